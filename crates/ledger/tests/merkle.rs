#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The ledger's tree against the RFC 6962 test vectors and an independent implementation
//! written straight from RFC 9162 §2.1 (recursive MTH, PATH and PROOF).

use custodia_ledger::*;
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn h_leaf(d: &[u8]) -> [u8; 32] {
    let mut s = Sha256::new();
    s.update([0u8]);
    s.update(d);
    s.finalize().into()
}
fn h_node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut s = Sha256::new();
    s.update([1u8]);
    s.update(l);
    s.update(r);
    s.finalize().into()
}
/// k: the largest power of two smaller than n (RFC 9162 §2.1.1).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}
fn mth(d: &[Vec<u8>]) -> [u8; 32] {
    match d.len() {
        0 => Sha256::digest(b"").into(),
        1 => h_leaf(&d[0]),
        n => {
            let k = split(n);
            h_node(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}
fn path(m: usize, d: &[Vec<u8>]) -> Vec<[u8; 32]> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = split(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}
fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<[u8; 32]> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = split(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn build(leaves: &[Vec<u8>]) -> (MemoryHashes, Hash) {
    let mut mem = MemoryHashes::default();
    // Append in a few uneven batches to exercise the frontier reload.
    let mut i = 0;
    let mut step = 1;
    while i < leaves.len() {
        let end = (i + step).min(leaves.len());
        let mut b = BatchHasher::new(i as u64, &mem).unwrap();
        for l in &leaves[i..end] {
            b.push(l).unwrap();
        }
        let (start, hashes, _) = b.finish();
        mem.put(start, &hashes);
        i = end;
        step = step * 2 + 1;
    }
    let root = tree_root(leaves.len() as u64, &mem).unwrap();
    (mem, root)
}

const RFC6962_LEAVES: [&[u8]; 8] = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
];
/// Roots of the first 1..8 leaves, from the RFC 6962 reference test data (certificate-transparency).
const RFC6962_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

#[test]
fn rfc6962_test_vector_roots() {
    let leaves: Vec<Vec<u8>> = RFC6962_LEAVES.iter().map(|l| l.to_vec()).collect();
    let (mem, _) = build(&leaves);
    for (n, want) in RFC6962_ROOTS.iter().enumerate() {
        let got = tree_root(n as u64 + 1, &mem).unwrap();
        assert_eq!(hex::encode(got.0), *want, "root of first {} leaves", n + 1);
        assert_eq!(hex::encode(mth(&leaves[..=n])), *want, "independent MTH");
    }
    assert_eq!(
        hex::encode(tree_root(0, &mem).unwrap().0),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn frontier_root_matches_stored_root() {
    let leaves: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let mut f = Frontier::default();
    let mut out = Vec::new();
    for (i, l) in leaves.iter().enumerate() {
        f.push(leaf_hash(l), &mut out).unwrap();
        assert_eq!(f.root().0, mth(&leaves[..=i]));
    }
    let (mem, _) = build(&leaves);
    assert_eq!(out, mem.as_slice());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn inclusion_proofs_match_rfc_path_and_verify(n in 1usize..200, seed in any::<u64>()) {
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| format!("{seed}-{i}").into_bytes()).collect();
        let (mem, root) = build(&leaves);
        prop_assert_eq!(root.0, mth(&leaves));
        for m in [0, n / 3, n / 2, n - 1] {
            let p = inclusion_proof(n as u64, m as u64, &mem).unwrap();
            let want = path(m, &leaves);
            prop_assert_eq!(p.iter().map(|h| h.0).collect::<Vec<_>>(), want);
            verify_inclusion(&p, n as u64, root, m as u64, leaf_hash(&leaves[m])).unwrap();
            // Any other leaf, or a flipped proof byte, fails.
            let other = leaf_hash(b"not in the log");
            prop_assert!(verify_inclusion(&p, n as u64, root, m as u64, other).is_err());
            if let Some(first) = p.first() {
                let mut bad = p.clone();
                let mut b = first.0;
                b[(seed % 32) as usize] ^= 1;
                bad[0] = Hash(b);
                prop_assert!(verify_inclusion(&bad, n as u64, root, m as u64, leaf_hash(&leaves[m])).is_err());
            }
        }
    }

    #[test]
    fn consistency_proofs_match_rfc_and_verify(n in 2usize..200, frac in 0.0f64..1.0) {
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8, (i >> 8) as u8]).collect();
        let (mem, root) = build(&leaves);
        let m = ((n as f64 * frac) as usize).clamp(1, n - 1);
        let p = consistency_proof(m as u64, n as u64, &mem).unwrap();
        prop_assert_eq!(p.iter().map(|h| h.0).collect::<Vec<_>>(), subproof(m, &leaves, true));
        let old_root = tree_root(m as u64, &mem).unwrap();
        verify_consistency(&p, m as u64, old_root, n as u64, root).unwrap();
        let wrong = Hash(mth(&leaves[1..=m]));
        prop_assert!(verify_consistency(&p, m as u64, wrong, n as u64, root).is_err());
    }

    #[test]
    fn any_changed_leaf_byte_changes_the_root(n in 1usize..64, pick in any::<usize>(), bit in 0u8..8) {
        let leaves: Vec<Vec<u8>> = (0..n).map(|i| format!("{{\"seq\":{i}}}").into_bytes()).collect();
        let (_, root) = build(&leaves);
        let mut tampered = leaves.clone();
        let li = pick % n;
        let bi = (pick / n) % tampered[li].len();
        tampered[li][bi] ^= 1 << bit;
        let (_, root2) = build(&tampered);
        prop_assert_ne!(root, root2);
    }
}

#[test]
fn checkpoint_signs_and_verifies_and_rejects_tampering() {
    let key = LogKey::generate("custodia.test/ledger").unwrap();
    let leaves: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i]).collect();
    let (_, root) = build(&leaves);
    let cp = key.sign(10, root).unwrap();
    let lines: Vec<&str> = cp.note.lines().collect();
    assert_eq!(lines[0], "custodia.test/ledger");
    assert_eq!(lines[1], "10");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} custodia.test/ledger "));
    let got = verify_checkpoint(&cp.note, key.verifier_key()).unwrap();
    assert_eq!((got.size, got.root), (10, root));
    // The key id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
    let vk: Vec<&str> = key.verifier_key().splitn(3, '+').collect();
    use base64::Engine as _;
    let pk = base64::engine::general_purpose::STANDARD
        .decode(vk[2])
        .unwrap();
    let mut s = Sha256::new();
    s.update(b"custodia.test/ledger\n");
    s.update(&pk);
    let id = s.finalize();
    assert_eq!(vk[1], hex::encode(&id[..4]));
    let sig = lines[4].rsplit(' ').next().unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(sig)
        .unwrap();
    assert_eq!(sig.len(), 68);
    assert_eq!(&sig[..4], &id[..4]);

    let forged = cp.note.replacen("\n10\n", "\n11\n", 1);
    assert!(verify_checkpoint(&forged, key.verifier_key()).is_err());
    let other = LogKey::generate("custodia.test/ledger").unwrap();
    assert!(verify_checkpoint(&cp.note, other.verifier_key()).is_err());
}

#[test]
fn key_round_trips_through_a_file() {
    let dir = std::env::temp_dir().join(format!("custodia-key-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let a = LogKey::load_or_create(&dir, "custodia/ledger").unwrap();
    let b = LogKey::load_or_create(&dir, "custodia/ledger").unwrap();
    assert_eq!(a.verifier_key(), b.verifier_key());
    std::fs::remove_file(&dir).unwrap();
}
