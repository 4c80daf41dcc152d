//! Manifest reads: passengers, their screenings on a manifest, who edited it, why it was sent
//! back, intake rows and the discrepancy cases it opened.

use custodia_model::state::CaseState;
use jiff::civil::Date;

use super::Reads;
use crate::decode::rows;
use crate::error::Result;

/// A person or an intake row as reconciliation compares them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRow {
    /// The person's id (manifest side) or the intake record's id.
    pub id: String,
    pub family_names: String,
    pub given_names: String,
    pub date_of_birth: Option<Date>,
    pub sex: Option<String>,
    /// The first nationality (manifest side) or the one intake wrote down.
    pub nationality: Option<String>,
    pub document_number: Option<String>,
}

/// An intake row as recorded, for the idempotency check of a re-sent row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeRow {
    pub family_names: String,
    pub given_names: String,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub nationality: Option<String>,
    pub document_number: Option<String>,
    pub manifest_id: Option<String>,
}

impl Reads<'_> {
    /// Whether a facility with this id exists.
    pub fn facility_exists(&mut self, id: &str) -> Result<bool> {
        self.exists("SELECT id FROM facilities WHERE id = ?", &[id.into()])
    }

    /// Whether an agreement with this id exists.
    pub fn agreement_exists(&mut self, id: &str) -> Result<bool> {
        self.exists("SELECT id FROM agreements WHERE id = ?", &[id.into()])
    }

    /// How many manifests exist (the next id is one more).
    pub fn manifest_count(&mut self) -> Result<u64> {
        self.count("manifests", "SELECT COUNT(*) FROM manifests", &[])
    }

    /// The manifest's passengers, by person id.
    pub fn passengers(&mut self, manifest_id: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT person_id FROM manifest_passengers WHERE manifest_id = ? ORDER BY person_id",
            &[manifest_id.into()],
        )?;
        rows("manifest_passengers", &["person_id"], &r, |a| a.text(0))
    }

    /// The outcome of a passenger's latest screening on this manifest, if screened.
    pub fn latest_outcome(&mut self, person_id: &str, manifest_id: &str) -> Result<Option<String>> {
        let r = self.query(
            "SELECT outcome FROM screenings WHERE person_id = ? AND manifest_id = ? ORDER BY seq DESC LIMIT 1",
            &[person_id.into(), manifest_id.into()],
        )?;
        Ok(rows("screenings", &["outcome"], &r, |a| a.text(0))?
            .into_iter()
            .next())
    }

    /// The sequence number of a person's latest screening anywhere, if any.
    pub fn latest_screening_seq(&mut self, person_id: &str) -> Result<Option<u64>> {
        let r = self.query(
            "SELECT seq FROM screenings WHERE person_id = ? ORDER BY seq DESC LIMIT 1",
            &[person_id.into()],
        )?;
        Ok(rows("screenings", &["seq"], &r, |a| a.u64(0))?
            .into_iter()
            .next())
    }

    /// Whether the approval recorded a justification for this passenger.
    pub fn justified(&mut self, manifest_id: &str, person_id: &str) -> Result<bool> {
        self.exists(
            "SELECT text FROM manifest_justifications WHERE manifest_id = ? AND person_id = ?",
            &[manifest_id.into(), person_id.into()],
        )
    }

    /// The names of everyone who changed the manifest's passenger list.
    pub fn manifest_editors(&mut self, manifest_id: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT name FROM manifest_editors WHERE manifest_id = ? ORDER BY name",
            &[manifest_id.into()],
        )?;
        rows("manifest_editors", &["name"], &r, |a| a.text(0))
    }

    /// Why an approved manifest was sent back: (passenger, cause), latest first.
    pub fn reopened(&mut self, manifest_id: &str) -> Result<Vec<(String, String)>> {
        let r = self.query(
            "SELECT person_id, cause FROM manifest_reopened WHERE manifest_id = ? ORDER BY seq DESC",
            &[manifest_id.into()],
        )?;
        rows("manifest_reopened", &["person_id", "cause"], &r, |a| {
            Ok((a.text(0)?, a.text(1)?))
        })
    }

    /// The sequence number of the manifest's latest change, if it exists.
    pub fn manifest_updated_seq(&mut self, manifest_id: &str) -> Result<Option<u64>> {
        let r = self.query(
            "SELECT id, updated_seq FROM manifests WHERE id = ?",
            &[manifest_id.into()],
        )?;
        Ok(rows("manifests", &["id", "updated_seq"], &r, |a| a.u64(1))?
            .into_iter()
            .next())
    }

    /// An intake row already recorded at a facility under this record id.
    pub fn intake_row(&mut self, facility_id: &str, record_id: &str) -> Result<Option<IntakeRow>> {
        let r = self.query(
            "SELECT record_id, family_names, given_names, date_of_birth, sex, nationality, document_number, manifest_id \
             FROM intake WHERE facility_id = ? AND record_id = ?",
            &[facility_id.into(), record_id.into()],
        )?;
        Ok(rows("intake", INTAKE_COLS, &r, |a| {
            Ok(IntakeRow {
                family_names: a.text(1)?,
                given_names: a.text(2)?,
                date_of_birth: a.opt_text(3)?,
                sex: a.opt_text(4)?,
                nationality: a.opt_text(5)?,
                document_number: a.opt_text(6)?,
                manifest_id: a.opt_text(7)?,
            })
        })?
        .into_iter()
        .next())
    }

    /// The manifest's passengers as reconciliation compares them, by person id.
    pub fn passenger_link_rows(&mut self, manifest_id: &str) -> Result<Vec<LinkRow>> {
        let r = self.query(
            "SELECT p.id, p.family_names, p.given_names, p.date_of_birth, p.sex, p.nationalities FROM persons p \
             JOIN manifest_passengers mp ON mp.person_id = p.id WHERE mp.manifest_id = ? ORDER BY p.id",
            &[manifest_id.into()],
        )?;
        rows(
            "persons",
            &[
                "id",
                "family_names",
                "given_names",
                "date_of_birth",
                "sex",
                "nationalities",
            ],
            &r,
            |a| {
                Ok(LinkRow {
                    id: a.text(0)?,
                    family_names: a.text(1)?,
                    given_names: a.text(2)?,
                    date_of_birth: a.opt_date(3)?,
                    sex: a.opt_text(4)?,
                    nationality: a.list(5)?.into_iter().next(),
                    document_number: None,
                })
            },
        )
    }

    /// The intake rows a facility recorded for a manifest, in ledger order.
    pub fn intake_link_rows(
        &mut self,
        facility_id: &str,
        manifest_id: &str,
    ) -> Result<Vec<LinkRow>> {
        let r = self.query(
            "SELECT record_id, family_names, given_names, date_of_birth, sex, nationality, document_number FROM intake \
             WHERE facility_id = ? AND manifest_id = ? ORDER BY seq",
            &[facility_id.into(), manifest_id.into()],
        )?;
        rows("intake", INTAKE_COLS, &r, |a| {
            Ok(LinkRow {
                id: a.text(0)?,
                family_names: a.text(1)?,
                given_names: a.text(2)?,
                date_of_birth: a.opt_date(3)?,
                sex: a.opt_text(4)?,
                nationality: a.opt_text(5)?,
                document_number: a.opt_text(6)?,
            })
        })
    }

    /// How many discrepancy cases the manifest has opened (the next case number is one more).
    pub fn case_count(&mut self, manifest_id: &str) -> Result<u64> {
        self.count(
            "cases",
            "SELECT COUNT(*) FROM cases WHERE manifest_id = ?",
            &[manifest_id.into()],
        )
    }

    /// A case's state, if the case exists.
    pub fn case_state(&mut self, case_id: &str) -> Result<Option<CaseState>> {
        let r = self.query(
            "SELECT id, state FROM cases WHERE id = ?",
            &[case_id.into()],
        )?;
        Ok(rows("cases", &["id", "state"], &r, |a| {
            a.parsed(1, "a case state")
        })?
        .into_iter()
        .next())
    }

    /// The ids of the manifest's open cases.
    pub fn open_case_ids(&mut self, manifest_id: &str) -> Result<Vec<String>> {
        let r = self.query(
            "SELECT id FROM cases WHERE manifest_id = ? AND state = 'open' ORDER BY id",
            &[manifest_id.into()],
        )?;
        rows("cases", &["id"], &r, |a| a.text(0))
    }
}

const INTAKE_COLS: &[&str] = &[
    "record_id",
    "family_names",
    "given_names",
    "date_of_birth",
    "sex",
    "nationality",
    "document_number",
    "manifest_id",
];
