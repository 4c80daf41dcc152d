//! tlog-policy parsing (line-numbered errors) and quorum evaluation through groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use custodia_witness::{CosignerKey, Policy, PolicyError, add_cosignatures};

fn keys(n: usize) -> Vec<CosignerKey> {
    (0..n)
        .map(|i| CosignerKey::from_seed(&format!("w{i}.example"), [i as u8 + 1; 32]).unwrap())
        .collect()
}

#[test]
fn the_spec_example_two_levels_of_groups() {
    let mut log = common::Log::named("example.org/log");
    log.append(4, "x");
    let k = keys(6);
    let text = format!(
        "# two organisations\nlog {}\n\nwitness X1 {}\nwitness X2 {}\n\twitness X3 {} https://x3.example/\ngroup X-witnesses 2 X1 X2 X3\n\nwitness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
        log.key.verifier_key(),
        k[0].vkey(),
        k[1].vkey(),
        k[2].vkey(),
        k[3].vkey(),
        k[4].vkey(),
        k[5].vkey()
    );
    let p = Policy::parse(&text).unwrap();
    assert_eq!(p.witnesses()[2].url.as_deref(), Some("https://x3.example"));
    let note = log.checkpoint(4);
    let body = &note[..=note.rfind("\n\n").unwrap()];
    let sign = |which: &[usize]| {
        let lines: Vec<String> = which
            .iter()
            .map(|&i| k[i].sign(body, 1_700_000_000).unwrap())
            .collect();
        add_cosignatures(&note, &lines).unwrap()
    };
    let not_reached = |n: &str| matches!(p.satisfied(n), Err(PolicyError::QuorumNotReached { .. }));
    assert!(not_reached(&note));
    assert!(not_reached(&sign(&[0, 1])), "X without Y");
    assert!(not_reached(&sign(&[0, 3, 4, 5])), "one X is not two");
    assert_eq!(
        p.satisfied(&sign(&[0, 2, 4])).unwrap().cosigned_by,
        ["X1", "X3", "Y2"]
    );
    // A checkpoint signed by another log does not count.
    let other = common::Log::named("example.org/log");
    let foreign = other.checkpoint(0);
    assert!(matches!(
        p.satisfied(&foreign),
        Err(PolicyError::NoLogSignature(_))
    ));
    // A bad cosignature from a policy witness rejects the note.
    let good = sign(&[0, 2, 4]);
    let forged = add_cosignatures(
        &good,
        &[k[1]
            .sign(
                "example.org/log\n9\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
                5,
            )
            .unwrap()],
    )
    .unwrap();
    assert!(matches!(
        p.satisfied(&forged),
        Err(PolicyError::BadCosignature { .. })
    ));
}

#[test]
fn quorum_none_and_single_witness() {
    let log = common::Log::named("example.org/log");
    let note = log.checkpoint(0);
    let p = Policy::parse(&format!("log {}\nquorum none\n", log.key.verifier_key())).unwrap();
    assert!(p.satisfied(&note).is_ok());
    let k = keys(1);
    let p = Policy::parse(&format!("witness solo {}\nquorum solo\n", k[0].vkey())).unwrap();
    assert!(p.satisfied(&note).is_err());
    let body = &note[..=note.rfind("\n\n").unwrap()];
    let n = add_cosignatures(&note, &[k[0].sign(body, 1).unwrap()]).unwrap();
    let s = p.satisfied(&n).unwrap();
    assert!(
        s.checkpoint.is_none(),
        "no log listed: the log signature is not checked"
    );
}

#[test]
fn parse_errors_name_the_line() {
    let k = keys(3);
    let w0 = format!("witness a {}\n", k[0].vkey());
    let w1 = format!("witness b {}\n", k[1].vkey());
    let cases: Vec<(String, usize, &str)> = vec![
        (
            format!("{w0}quorum x\n"),
            2,
            "not `none` or a witness or group",
        ),
        (format!("{w0}{w0}quorum a\n"), 2, "already defined"),
        (
            format!("{w0}witness c {}\nquorum a\n", k[0].vkey()),
            2,
            "duplicate witness key",
        ),
        (
            format!("{w0}{w1}group g 3 a b\nquorum g\n"),
            3,
            "threshold `3`",
        ),
        (
            format!("{w0}{w1}group g 0 a b\nquorum g\n"),
            3,
            "threshold `0`",
        ),
        (
            format!("{w0}{w1}group g any a a\nquorum g\n"),
            3,
            "listed twice",
        ),
        (format!("{w0}group g any\nquorum g\n"), 2, "no member"),
        (format!("group g any a\n{w0}quorum g\n"), 1, "earlier line"),
        (format!("{w0}quorum a\nquorum a\n"), 3, "second `quorum`"),
        (
            format!("{w0}\n\nfrobnicate\nquorum a\n"),
            4,
            "unknown keyword",
        ),
        (
            "witness a not-a-key\nquorum a\n".into(),
            1,
            "not a cosignature/v1 vkey",
        ),
        (
            "log not-a-key\nquorum none\n".into(),
            1,
            "not an Ed25519 log vkey",
        ),
        (
            format!("witness none {}\nquorum none\n", k[0].vkey()),
            1,
            "reserved",
        ),
        (format!("{w0}quorum a\u{1}\n"), 2, "control character"),
        (w0.clone(), 0, "no `quorum` line"),
    ];
    for (text, line, needle) in cases {
        let e = Policy::parse(&text).unwrap_err();
        assert_eq!(e.line, line, "{text:?}: {e}");
        assert!(e.to_string().contains(needle), "{text:?}: {e}");
        let place = if line == 0 {
            "the whole file".to_string()
        } else {
            format!("line {line}")
        };
        assert!(e.to_string().contains(&place), "{e}");
    }
    // A witness key where a log key belongs is refused too.
    assert!(Policy::parse(&format!("log {}\nquorum none\n", k[2].vkey())).is_err());
}
