#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The store's backstop for clean input (issue 18): an event holding a NUL anywhere in its
//! text is refused with the whole batch, so nothing reaches a PostgreSQL restore that its
//! `text` could not hold; a batch without one is appended.

use std::sync::Arc;

use custodia_model::clock::ManualClock;
use custodia_model::events::{EventData, NewEvent};
use custodia_store::{OpenOptions, Store, StoreError};

fn read(person: &str) -> NewEvent {
    NewEvent {
        occurred_at: "2025-03-15T10:00:00Z".parse().unwrap(),
        actor: "auditor:ana".into(),
        data: EventData::PersonRead {
            person_id: person.into(),
        },
    }
}

#[test]
fn a_nul_anywhere_in_an_event_is_refused_with_its_batch() {
    let dir = std::env::temp_dir().join(format!("custodia-clean-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("s.db");
    let _ = std::fs::remove_file(&db);
    let mut s = Store::open(
        db.to_str().unwrap(),
        OpenOptions {
            key_path: None,
            clock: Arc::new(ManualClock::new("2025-03-15T10:00:00Z".parse().unwrap())),
        },
    )
    .unwrap();
    s.append(vec![read("P-1")]).unwrap();
    for bad in [
        vec![read("P-2"), read("P-\u{0}3")],
        vec![NewEvent {
            actor: "auditor:a\u{0}na".into(),
            ..read("P-2")
        }],
    ] {
        let e = s.append(bad).unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid(m) if m.contains("NUL") && m.contains("person_read")),
            "{e}"
        );
        assert_eq!(s.size().unwrap(), 1, "the batch was refused whole");
    }
    // A backslash and the letters `u0000` are text, not a NUL.
    s.append(vec![read("P-\\u0000")]).unwrap();
    assert_eq!(s.size().unwrap(), 2);
}
