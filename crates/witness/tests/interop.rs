//! Interoperability: cosignatures checked by an independent implementation written here from
//! the text of C2SP tlog-cosignature and signed-note (ed25519-dalek and sha2 directly), and the
//! signed message checked against the spec's example.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use custodia_witness::{CosignerKey, signed_message, verify_cosignature};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

const SPEC_BODY: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

/// tlog-cosignature, "Ed25519 signed message", byte for byte.
#[test]
fn signed_message_is_the_spec_example() {
    let expected = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    assert_eq!(signed_message(SPEC_BODY, 1679315147), expected.as_bytes());
}

/// The spec's example cosignature line carries the 4-byte key id, then the big-endian
/// timestamp 1679315147 of the example message, then 64 bytes of signature.
#[test]
fn spec_example_line_layout() {
    let line = "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
    let raw = B64.decode(line).unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    let ts = u64::from_be_bytes(raw[4..12].try_into().unwrap());
    assert_eq!(ts, 1679315147);
    let parsed = custodia_ledger::NoteSignature::from_line(&format!(
        "\u{2014} witness.example.com/w1 {line}"
    ))
    .unwrap();
    assert_eq!(
        parsed.key_id,
        u32::from_be_bytes(raw[..4].try_into().unwrap())
    );
    assert_eq!(parsed.signature.len(), 72);
}

/// An independent verifier: parse the vkey, find the line by name and key id, rebuild the
/// message, check Ed25519.
fn independent_verify(note: &str, vkey: &str) -> Option<u64> {
    let mut parts = vkey.splitn(3, '+');
    let (name, id_hex, b64) = (parts.next()?, parts.next()?, parts.next()?);
    let raw = B64.decode(b64).ok()?;
    if raw.first() != Some(&0x04) || raw.len() != 33 {
        return None;
    }
    let pk: [u8; 32] = raw[1..].try_into().ok()?;
    // key ID = SHA-256(name || "\n" || 0x04 || public key)[:4]
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([0x04]);
    h.update(pk);
    let id = h.finalize()[..4].to_vec();
    if hex::encode(&id) != id_hex {
        return None;
    }
    let key = VerifyingKey::from_bytes(&pk).ok()?;
    // The text is separated from the signatures by the last blank line.
    let split = note.rfind("\n\n")?;
    let text = &note[..=split];
    for line in note[split + 2..].lines() {
        let rest = line.strip_prefix("\u{2014} ")?;
        let (n, sig_b64) = rest.split_once(' ')?;
        let sig = B64.decode(sig_b64).ok()?;
        if n != name || sig.len() != 76 || sig[..4] != id[..] {
            continue;
        }
        let ts = u64::from_be_bytes(sig[4..12].try_into().ok()?);
        let msg = format!("cosignature/v1\ntime {ts}\n{text}");
        let s = Signature::from_bytes(&sig[12..].try_into().ok()?);
        return key.verify(msg.as_bytes(), &s).is_ok().then_some(ts);
    }
    None
}

#[test]
fn crate_cosignatures_verify_independently() {
    let mut log = common::Log::named("example.org/custody-log");
    log.append(5, "a");
    let key = CosignerKey::generate("witness.example.org/w1").unwrap();
    let note = log.checkpoint(5);
    let text = &note[..=note.rfind("\n\n").unwrap()];
    let line = key.sign(text, 1_700_000_123).unwrap();
    let cosigned = format!("{note}{line}");
    assert_eq!(
        independent_verify(&cosigned, &key.vkey()),
        Some(1_700_000_123)
    );
    // And the crate agrees with itself.
    assert_eq!(
        verify_cosignature(&cosigned, &key.vkey())
            .unwrap()
            .timestamp,
        1_700_000_123
    );
    // One flipped bit of the body fails the independent check.
    let tampered = cosigned.replacen("\n5\n", "\n6\n", 1);
    assert_eq!(independent_verify(&tampered, &key.vkey()), None);
    assert!(verify_cosignature(&tampered, &key.vkey()).is_err());
}

#[test]
fn independent_cosignatures_verify_in_the_crate() {
    let mut log = common::Log::named("example.org/custody-log");
    log.append(3, "b");
    let note = log.checkpoint(3);
    let text = &note[..=note.rfind("\n\n").unwrap()];
    // An independent signer from the spec text.
    let name = "witness.example.org/other";
    let sk = SigningKey::from_bytes(&[7u8; 32]);
    let pk = sk.verifying_key().to_bytes();
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n\x04");
    h.update(pk);
    let id = h.finalize()[..4].to_vec();
    let vkey = format!(
        "{name}+{}+{}",
        hex::encode(&id),
        B64.encode([&[4u8][..], &pk].concat())
    );
    let ts: u64 = 1_679_315_147;
    let sig = sk.sign(format!("cosignature/v1\ntime {ts}\n{text}").as_bytes());
    let line = format!(
        "\u{2014} {name} {}\n",
        B64.encode([&id[..], &ts.to_be_bytes(), &sig.to_bytes()].concat())
    );
    let cosigned = format!("{note}{line}");
    let c = verify_cosignature(&cosigned, &vkey).unwrap();
    assert_eq!((c.timestamp, c.checkpoint.size), (ts, 3));
    // The crate derives the same vkey from the same seed.
    assert_eq!(
        CosignerKey::from_seed(name, [7u8; 32]).unwrap().vkey(),
        vkey
    );
    // The log's own signature still verifies with the ledger, cosignature and all.
    custodia_ledger::verify_checkpoint(&cosigned, log.key.verifier_key()).unwrap();
}

#[test]
fn key_file_round_trip_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.key");
    let key = CosignerKey::generate("witness.example.org/w1").unwrap();
    key.save(&path).unwrap();
    assert!(
        key.save(&path).is_err(),
        "an existing key file is never overwritten"
    );
    let back = CosignerKey::load(&path).unwrap();
    assert_eq!(back.vkey(), key.vkey());
    assert!(key.vkey().starts_with("witness.example.org/w1+"));
    std::fs::write(dir.path().join("bad.key"), "PRIVATE+KEY+x+00000000+AAAA\n").unwrap();
    assert!(CosignerKey::load(&dir.path().join("bad.key")).is_err());
    assert!(CosignerKey::generate("has space").is_err());
    // A zero timestamp is refused (tlog-witness: the timestamp MUST NOT be zero).
    assert!(key.sign(SPEC_BODY, 0).is_err());
    // A log (0x01) vkey is not a cosigner vkey.
    let log = custodia_ledger::LogKey::generate("example.org/log").unwrap();
    assert!(
        verify_cosignature(
            &log.sign(0, custodia_witness::server::empty_root())
                .unwrap()
                .note,
            log.verifier_key()
        )
        .is_err()
    );
}
