//! The witness's state survives a restart: a new process on the same file remembers the
//! latest cosigned size and root of every origin, and the evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custodia_witness::{AddError, WitnessDb};

use common::{Log, cosigner, witness_on};

#[test]
fn state_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("witness.db");
    let mut log = Log::named("example.org/log");
    log.append(20, "a");
    let mut fork = Log::new(log.key.clone());
    fork.append(20, "b");
    let key = cosigner("witness.example.org/w1");
    {
        let w = witness_on(key.clone(), &[&log], WitnessDb::open(&path).unwrap());
        w.add_checkpoint(log.body(0, 7).as_bytes()).unwrap();
        w.add_checkpoint(log.body(7, 12).as_bytes()).unwrap();
        assert!(matches!(
            w.add_checkpoint(fork.body(12, 15).as_bytes()),
            Err(AddError::Unprocessable(_))
        ));
    }
    let w = witness_on(key, &[&log], WitnessDb::open(&path).unwrap());
    let latest = w.db().latest("example.org/log").unwrap().unwrap();
    assert_eq!((latest.size, latest.root), (12, log.root(12)));
    assert!(matches!(
        w.add_checkpoint(log.body(0, 20).as_bytes()),
        Err(AddError::Conflict(12))
    ));
    assert!(matches!(
        w.add_checkpoint(fork.body(12, 20).as_bytes()),
        Err(AddError::Unprocessable(_))
    ));
    w.add_checkpoint(log.body(12, 20).as_bytes()).unwrap();
    assert_eq!(w.db().refused().unwrap().len(), 2);
}
