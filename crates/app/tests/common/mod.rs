//! What the app's integration tests share: country codes and a one-cell facility.
#![allow(dead_code, clippy::unwrap_used)]

use custodia_model::events::{CellRecord, EventData, FacilityRecord, PavilionRecord};
use custodia_model::legal::CountryCode;

pub fn cc(s: &str) -> CountryCode {
    CountryCode::new(s).unwrap()
}

/// A facility with one pavilion `P1` of one cell `{id}-C1` (100 m², 50 places).
pub fn facility(id: &str, country: &str, adult_only: bool) -> EventData {
    EventData::FacilityRegistered(FacilityRecord {
        id: id.into(),
        name: id.into(),
        country: cc(country),
        kind: "prison".into(),
        adult_only,
        pavilions: vec![PavilionRecord {
            id: "P1".into(),
            cells: vec![CellRecord {
                id: format!("{id}-C1"),
                area_m2: 100.0,
                capacity: 50,
                windows: true,
                sanitation: "shared".into(),
            }],
        }],
    })
}
