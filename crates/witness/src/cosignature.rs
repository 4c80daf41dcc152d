//! `cosignature/v1`: timestamped Ed25519 checkpoint cosignatures (C2SP `tlog-cosignature`),
//! signature type `0x04`.
//!
//! The signed message is `cosignature/v1\ntime <t>\n` followed by the whole checkpoint body
//! (origin, size, root, extension lines, with the final newline); the signature line carries
//! the key id `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]` and then the 8-byte big-endian
//! timestamp and the 64-byte Ed25519 signature.

use std::path::Path;

use base64::Engine as _;
use custodia_ledger::{CheckpointBody, NoteSignature, SignedNote};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// The signature type byte of timestamped Ed25519 cosignatures (`signed-note`).
pub const SIGNATURE_TYPE: u8 = 0x04;

/// The largest timestamp a cosignature may carry (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Errors making, loading or checking cosignatures.
#[derive(Debug, thiserror::Error)]
pub enum CosignatureError {
    /// The key file could not be read or written.
    #[error("key file `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The key file is not a cosigner key.
    #[error("key file `{0}`: not a cosigner key (`PRIVATE+KEY+<name>+<id>+<base64(0x04 ‖ seed)>`)")]
    KeyFormat(String),
    /// The key name is not a valid signed-note key name.
    #[error("key name `{0}` is not valid (non-empty, no spaces or `+`)")]
    Name(String),
    /// The verifier key is not a `0x04` vkey.
    #[error("verifier key `{0}` is not a cosignature/v1 vkey (`<name>+<id>+<base64(0x04 ‖ key)>`)")]
    Vkey(String),
    /// The note or the checkpoint body is malformed.
    #[error(transparent)]
    Note(#[from] custodia_ledger::note::NoteError),
    /// The timestamp is zero or above 2^63 - 1.
    #[error("timestamp {0} is out of range (1 ..= 2^63 - 1)")]
    Timestamp(u64),
    /// No signature line of the note matches the key's name and id.
    #[error("no cosignature from `{0}`")]
    Missing(String),
    /// A line with the key's name and id whose signature does not verify.
    #[error("cosignature from `{0}` does not verify")]
    Invalid(String),
}

/// The key id of a cosigner: `SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]`, big-endian.
pub fn key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', SIGNATURE_TYPE]);
    h.update(public_key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The exact bytes a `cosignature/v1` signs: header line, time line, checkpoint body.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}").into_bytes()
}

/// A witness's cosigning key. It lives in a key file, never in the witness's state.
#[derive(Clone)]
pub struct CosignerKey {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for CosignerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosignerKey")
            .field("name", &self.name)
            .field("vkey", &self.vkey())
            .finish()
    }
}

impl CosignerKey {
    /// A new key named `name` from the OS's randomness.
    pub fn generate(name: &str) -> Result<Self, CosignatureError> {
        Self::from_seed(name, SigningKey::generate(&mut rand_core::OsRng).to_bytes())
    }

    /// The key named `name` with the Ed25519 seed `seed` (deterministic; for tests).
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CosignatureError> {
        if !custodia_ledger::note::is_key_name_valid(name) {
            return Err(CosignatureError::Name(name.to_string()));
        }
        let key = SigningKey::from_bytes(&seed);
        let id = key_id(name, &key.verifying_key());
        Ok(Self {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// Parses the key file's text: `PRIVATE+KEY+<name>+<id hex>+<base64(0x04 ‖ seed)>`.
    pub fn from_skey(skey: &str) -> Option<Self> {
        let parts: Vec<&str> = skey.trim().splitn(5, '+').collect();
        let [_, _, name, id, b64] = parts.as_slice() else {
            return None;
        };
        if parts.first() != Some(&"PRIVATE") || parts.get(1) != Some(&"KEY") {
            return None;
        }
        let raw = B64.decode(b64).ok()?;
        let (&ty, seed) = raw.split_first()?;
        let seed: [u8; 32] = seed.try_into().ok()?;
        let key = Self::from_seed(name, seed).ok()?;
        (ty == SIGNATURE_TYPE && format!("{:08x}", key.id) == *id).then_some(key)
    }

    /// The key file's text (secret).
    pub fn to_skey(&self) -> String {
        let mut raw = vec![SIGNATURE_TYPE];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            B64.encode(raw)
        )
    }

    /// Loads the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, CosignatureError> {
        let s = std::fs::read_to_string(path).map_err(|source| CosignatureError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_skey(&s).ok_or_else(|| CosignatureError::KeyFormat(path.display().to_string()))
    }

    /// Writes the key to a new file at `path` (mode 0600); refuses to overwrite one.
    pub fn save(&self, path: &Path) -> Result<(), CosignatureError> {
        write_private(path, &format!("{}\n", self.to_skey())).map_err(|source| {
            CosignatureError::Io {
                path: path.display().to_string(),
                source,
            }
        })
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The verifier key: `<name>+<id, 8 hex>+<base64(0x04 ‖ public key)>`.
    pub fn vkey(&self) -> String {
        CosignerVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
        .vkey()
    }

    /// The verifier for this key.
    pub fn verifier(&self) -> CosignerVerifier {
        CosignerVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// Cosigns a checkpoint body (the note text: origin, size, root, extensions, ending in a
    /// newline) at POSIX time `timestamp`; returns the signature line, ending in a newline.
    pub fn sign(&self, checkpoint_body: &str, timestamp: u64) -> Result<String, CosignatureError> {
        CheckpointBody::parse(checkpoint_body)?;
        if timestamp == 0 || timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::Timestamp(timestamp));
        }
        let sig = self.key.sign(&signed_message(checkpoint_body, timestamp));
        let mut signature = Vec::with_capacity(72);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.id,
            signature,
        }
        .to_line())
    }
}

/// A cosigner's public key, parsed from its vkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignerVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

/// A cosignature that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Cosignature {
    /// The cosigner's name.
    pub name: String,
    /// When it was made (POSIX seconds).
    pub timestamp: u64,
    /// What it cosigns.
    pub checkpoint: CheckpointBody,
    /// The signature line, ending in a newline.
    pub line: String,
}

impl CosignerVerifier {
    /// Parses a vkey with signature type `0x04`. The key id must be the one the name and
    /// key imply.
    pub fn from_vkey(vkey: &str) -> Result<Self, CosignatureError> {
        let bad = || CosignatureError::Vkey(vkey.to_string());
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        if !custodia_ledger::note::is_key_name_valid(name) || id.len() != 8 {
            return Err(bad());
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad())?;
        let raw = B64.decode(b64).map_err(|_| bad())?;
        let (&ty, pk) = raw.split_first().ok_or_else(bad)?;
        let pk: [u8; 32] = pk.try_into().map_err(|_| bad())?;
        let key = VerifyingKey::from_bytes(&pk).map_err(|_| bad())?;
        if ty != SIGNATURE_TYPE || key_id(name, &key) != id {
            return Err(bad());
        }
        Ok(Self {
            name: name.to_string(),
            id,
            key,
        })
    }

    /// The vkey text.
    pub fn vkey(&self) -> String {
        let mut raw = vec![SIGNATURE_TYPE];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }

    /// The cosigner's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Whether a signature line names this key (name and id both match).
    pub fn matches(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_id == self.id
    }

    /// Verifies one signature line (already matched by name and id) over a note text;
    /// returns its timestamp.
    pub fn verify_signature(
        &self,
        text: &str,
        sig: &NoteSignature,
    ) -> Result<u64, CosignatureError> {
        let invalid = || CosignatureError::Invalid(self.name.clone());
        if !self.matches(sig) {
            return Err(CosignatureError::Missing(self.name.clone()));
        }
        let (ts, ed) = sig.signature.split_first_chunk::<8>().ok_or_else(invalid)?;
        let ts = u64::from_be_bytes(*ts);
        let ed: [u8; 64] = ed.try_into().map_err(|_| invalid())?;
        if ts > MAX_TIMESTAMP {
            return Err(invalid());
        }
        self.key
            .verify_strict(
                &signed_message(text, ts),
                &ed25519_dalek::Signature::from_bytes(&ed),
            )
            .map_err(|_| invalid())?;
        Ok(ts)
    }

    /// Finds this cosigner's line in a parsed note and verifies it. A note may carry several
    /// lines from one key (several timestamps); the first one decides.
    pub fn verify_note(&self, note: &SignedNote) -> Result<Cosignature, CosignatureError> {
        let sig = note
            .signatures
            .iter()
            .find(|s| self.matches(s))
            .ok_or_else(|| CosignatureError::Missing(self.name.clone()))?;
        let checkpoint = CheckpointBody::parse(&note.text)?;
        let timestamp = self.verify_signature(&note.text, sig)?;
        Ok(Cosignature {
            name: self.name.clone(),
            timestamp,
            checkpoint,
            line: sig.to_line(),
        })
    }
}

/// Verifies the cosignature of the cosigner `vkey` (type `0x04`) on a checkpoint note. The
/// log's signature is not checked here (see [`custodia_ledger::verify_checkpoint`] or
/// [`crate::Policy::satisfied`]).
pub fn verify_cosignature(note: &str, vkey: &str) -> Result<Cosignature, CosignatureError> {
    let verifier = CosignerVerifier::from_vkey(vkey)?;
    verifier.verify_note(&SignedNote::parse(note)?)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}
