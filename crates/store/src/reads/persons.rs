//! Person reads that use cases decide on: whether a person exists, who represents them, the
//! legal records and class-wide orders that apply to them, and the transfer they are on.

use super::Reads;
use crate::commands::{PERSON_COLUMNS, person_from_row};
use crate::decode::rows;
use crate::error::Result;
use custodia_model::events::PersonRecord;

impl Reads<'_> {
    /// What deciding access to a person needs; `None` when no such person exists.
    pub fn person_scope(&mut self, id: &str) -> Result<Option<crate::queries::PersonScope>> {
        crate::queries::person_scope(self.c, id)
    }

    /// Everything recorded about one person, if they exist.
    pub fn person_file(&mut self, id: &str) -> Result<Option<crate::queries::PersonFile>> {
        crate::queries::person_file(self.c, id)
    }

    /// Whether a person with this id exists.
    pub fn person_exists(&mut self, person_id: &str) -> Result<bool> {
        self.exists("SELECT id FROM persons WHERE id = ?", &[person_id.into()])
    }

    /// A person as stored, if any.
    pub fn person(&mut self, person_id: &str) -> Result<Option<PersonRecord>> {
        let r = self.query(
            &format!("SELECT {PERSON_COLUMNS} FROM persons WHERE id = ?"),
            &[person_id.into()],
        )?;
        r.first().map(person_from_row).transpose()
    }

    /// Whether `counsel` (an actor id) represents the person.
    pub fn is_counsel_of(&mut self, person_id: &str, counsel: &str) -> Result<bool> {
        self.exists(
            "SELECT person_id FROM counsel WHERE person_id = ? AND counsel = ?",
            &[person_id.into(), counsel.into()],
        )
    }

    /// The bodies of a person's legal records, in ledger order.
    pub fn legal_record_bodies(&mut self, person_id: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT seq, body FROM legal_records WHERE person_id = ? ORDER BY seq",
            &[person_id.into()],
        )?;
        rows("legal_records", &["seq", "body"], &r, |a| a.text(1))
    }

    /// Whether the person already has a legal record with exactly this body.
    pub fn legal_record_exists(&mut self, person_id: &str, body: &str) -> Result<bool> {
        self.exists(
            "SELECT seq FROM legal_records WHERE person_id = ? AND body = ?",
            &[person_id.into(), body.into()],
        )
    }

    /// Whether the class already has an order with exactly this body.
    pub fn class_order_exists(&mut self, class_id: &str, body: &str) -> Result<bool> {
        self.exists(
            "SELECT seq FROM class_orders WHERE class_id = ? AND body = ?",
            &[class_id.into(), body.into()],
        )
    }

    /// Whether the person is tagged as a member of the class.
    pub fn in_class(&mut self, person_id: &str, class_id: &str) -> Result<bool> {
        self.exists(
            "SELECT person_id FROM person_classes WHERE person_id = ? AND class_id = ?",
            &[person_id.into(), class_id.into()],
        )
    }

    /// Whether the facility admits adults only; `None` when there is no such facility.
    pub fn facility_adult_only(&mut self, facility_id: &str) -> Result<Option<bool>> {
        let r = self.query(
            "SELECT id, adult_only FROM facilities WHERE id = ?",
            &[facility_id.into()],
        )?;
        Ok(
            rows("facilities", &["id", "adult_only"], &r, |a| a.flag(1))?
                .into_iter()
                .next(),
        )
    }

    /// The manifest that has not departed (`draft`, `screened` or `approved`) the person is
    /// on, the earliest departure first.
    pub fn pending_manifest_of(&mut self, person_id: &str) -> Result<Option<String>> {
        let r = self.query(
            "SELECT m.id FROM manifests m JOIN manifest_passengers mp ON mp.manifest_id = m.id \
             WHERE mp.person_id = ? AND m.state IN ('draft', 'screened', 'approved') ORDER BY m.departure_on, m.id",
            &[person_id.into()],
        )?;
        Ok(rows("manifests", &["id"], &r, |a| a.text(0))?
            .into_iter()
            .next())
    }

    /// A facility's country and whether it admits adults only; `None` when there is no such
    /// facility.
    pub fn facility_country(&mut self, facility_id: &str) -> Result<Option<(String, bool)>> {
        let r = self.query(
            "SELECT id, country, adult_only FROM facilities WHERE id = ?",
            &[facility_id.into()],
        )?;
        Ok(
            rows("facilities", &["id", "country", "adult_only"], &r, |a| {
                Ok((a.text(1)?, a.flag(2)?))
            })?
            .into_iter()
            .next(),
        )
    }

    /// The day the person's open stay began, if they have one.
    pub fn open_stay_since(&mut self, person_id: &str) -> Result<Option<jiff::civil::Date>> {
        let r = self.query(
            "SELECT person_id, admitted_on FROM stays WHERE person_id = ? AND released_on IS NULL",
            &[person_id.into()],
        )?;
        Ok(
            rows("stays", &["person_id", "admitted_on"], &r, |a| a.date(1))?
                .into_iter()
                .next(),
        )
    }

    /// The departed (or later) manifests to `country` that carry the person, by id, with
    /// their receiving facility.
    pub fn departed_manifests_to(
        &mut self,
        person_id: &str,
        country: &str,
    ) -> Result<Vec<(String, String)>> {
        let r = self.query(
            "SELECT m.id, m.to_facility FROM manifests m JOIN manifest_passengers mp ON mp.manifest_id = m.id \
             WHERE mp.person_id = ? AND m.destination_country = ? \
             AND m.state IN ('departed', 'arrived', 'reconciled', 'closed') ORDER BY m.id",
            &[person_id.into(), country.into()],
        )?;
        rows("manifests", &["id", "to_facility"], &r, |a| {
            Ok((a.text(0)?, a.text(1)?))
        })
    }
}
