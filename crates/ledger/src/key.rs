//! Ed25519 checkpoint signing as C2SP `signed-note` and `tlog-checkpoint`.

use std::path::Path;

use base64::Engine as _;
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::checkpoint::Checkpoint;
use tlog_tiles::tlog::Hash;

/// Errors loading or creating a signing key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("key file `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The key file does not hold a `PRIVATE+KEY+name+id+key` signer key.
    #[error(
        "key file `{0}`: not a signed-note Ed25519 signer key (`PRIVATE+KEY+<name>+<id>+<base64>`)"
    )]
    Format(String),
    /// The key name is not valid for a signed note.
    #[error("key name `{0}` is not valid (non-empty, no spaces or `+`)")]
    Name(String),
}

/// Errors checking a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Not a checkpoint, or the signature does not verify.
    #[error("checkpoint: {0}")]
    Invalid(String),
}

/// The log's signing key. It is never stored inside the store: it lives in a key file.
#[derive(Clone)]
pub struct LogKey {
    name: String,
    skey: String,
    signer: StandardSigner,
    vkey: String,
}

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKey")
            .field("name", &self.name)
            .field("vkey", &self.vkey)
            .finish()
    }
}

/// A checkpoint with its signature, as text, and the values it signs.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// The whole signed note, ending in a newline.
    pub note: String,
}

impl LogKey {
    /// Generates a new key named `name` (the log's origin) from the OS's randomness.
    pub fn generate(name: &str) -> Result<Self, KeyError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(KeyError::Name(name.to_string()));
        }
        let (skey, _vkey) = signed_note::generate_key(&mut rand_core::OsRng, name);
        Self::from_skey(&skey).map_err(|_| KeyError::Name(name.to_string()))
    }

    /// A key named `name` derived from `seed` (a seeded ChaCha20 stream), so a deterministic
    /// world (`custodia demo --federated`) signs the same bytes every time. Only for demo
    /// and test stores: whoever knows the seed holds the key.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, KeyError> {
        use rand_chacha::rand_core::SeedableRng as _;
        if !signed_note::is_key_name_valid(name) {
            return Err(KeyError::Name(name.to_string()));
        }
        let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed);
        let (skey, _vkey) = signed_note::generate_key(&mut rng, name);
        Self::from_skey(&skey).map_err(|_| KeyError::Name(name.to_string()))
    }

    /// Writes the key to a new file `path` (mode 0600); refuses one that exists.
    pub fn save_new(&self, path: &Path) -> Result<(), KeyError> {
        write_private(path, &format!("{}\n", self.skey)).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Parses a signer key (`PRIVATE+KEY+name+id+base64`).
    pub fn from_skey(skey: &str) -> Result<Self, KeyError> {
        let skey = skey.trim().to_string();
        let signer = StandardSigner::new(&skey).map_err(|_| KeyError::Format(String::new()))?;
        let parts: Vec<&str> = skey.splitn(5, '+').collect();
        let (name, b64) = match parts.as_slice() {
            [_, _, name, _, b64] => (name.to_string(), *b64),
            _ => return Err(KeyError::Format(String::new())),
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| KeyError::Format(String::new()))?;
        let seed: [u8; 32] = raw
            .get(1..33)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| KeyError::Format(String::new()))?;
        let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
        let vkey = signed_note::new_ed25519_verifier_key(&name, &sk.verifying_key());
        Ok(Self {
            name,
            skey,
            signer,
            vkey,
        })
    }

    /// Loads the key at `path`, or creates it (mode 0600) named `name` when absent.
    pub fn load_or_create(path: &Path, name: &str) -> Result<Self, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(s) => Self::from_skey(&s).map_err(|_| KeyError::Format(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate(name)?;
                write_private(path, &format!("{}\n", key.skey)).map_err(|source| KeyError::Io {
                    path: path.display().to_string(),
                    source,
                })?;
                Ok(key)
            }
            Err(source) => Err(KeyError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// Loads the key at `path`; it must exist.
    pub fn load(path: &Path) -> Result<Self, KeyError> {
        let s = std::fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_skey(&s).map_err(|_| KeyError::Format(path.display().to_string()))
    }

    /// The key's name, which is also the log's origin line.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key: `<name>+<key id, 8 hex>+<base64(0x01 ‖ public key)>`.
    pub fn verifier_key(&self) -> &str {
        &self.vkey
    }

    /// Signs the checkpoint of a tree of `size` leaves with root `root`.
    pub fn sign(&self, size: u64, root: Hash) -> Result<SignedCheckpoint, CheckpointError> {
        let cp = Checkpoint::new(&self.name, size, root, "")
            .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        let mut note =
            Note::new(&cp.to_bytes(), &[]).map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        let text = String::from_utf8(note.to_bytes())
            .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        Ok(SignedCheckpoint {
            origin: self.name.clone(),
            size,
            root,
            note: text,
        })
    }
}

impl LogKey {
    /// Signs an arbitrary note text (C2SP `signed-note`) with this key: the text (which must
    /// end in a newline and hold no blank line), a blank line, one signature line. The
    /// federation's hand-over documents and receipts are such notes.
    pub fn sign_note(&self, text: &str) -> Result<String, CheckpointError> {
        let mut note =
            Note::new(text.as_bytes(), &[]).map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
        String::from_utf8(note.to_bytes()).map_err(|e| CheckpointError::Invalid(e.to_string()))
    }
}

/// Checks that `vkey` is a signed-note Ed25519 verifier key (`name+id+base64`).
pub fn check_verifier_key(vkey: &str) -> Result<(), CheckpointError> {
    StandardVerifier::new(vkey)
        .map(|_| ())
        .map_err(|e| CheckpointError::Invalid(format!("verifier key: {e}")))
}

/// Verifies a signed note against a verifier key and returns its text (with its final
/// newline). Signatures by other keys are ignored; one by `vkey` must verify.
pub fn verify_note(note: &str, vkey: &str) -> Result<String, CheckpointError> {
    let verifier = StandardVerifier::new(vkey)
        .map_err(|e| CheckpointError::Invalid(format!("verifier key: {e}")))?;
    let parsed = Note::from_bytes(note.as_bytes())
        .map_err(|e| CheckpointError::Invalid(format!("not a signed note: {e}")))?;
    let list = VerifierList::new(vec![Box::new(verifier)]);
    parsed
        .verify(&list)
        .map_err(|e| CheckpointError::Invalid(format!("signature does not verify: {e}")))?;
    String::from_utf8(parsed.text().to_vec())
        .map_err(|e| CheckpointError::Invalid(format!("note text is not UTF-8: {e}")))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    // Written whole beside the target, then linked into place: a process killed half-way
    // (a killed `demo`, issue 18) leaves no empty or partial key that would refuse every
    // later open, and the link, like `create_new`, fails if someone else created it first.
    let tmp = path.with_extension(format!("key-tmp-{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(contents.as_bytes())?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Verifies a signed checkpoint note against a verifier key; returns what it signs.
pub fn verify_checkpoint(note: &str, vkey: &str) -> Result<SignedCheckpoint, CheckpointError> {
    let verifier = StandardVerifier::new(vkey)
        .map_err(|e| CheckpointError::Invalid(format!("verifier key: {e}")))?;
    let parsed = Note::from_bytes(note.as_bytes())
        .map_err(|e| CheckpointError::Invalid(format!("not a signed note: {e}")))?;
    let list = VerifierList::new(vec![Box::new(verifier)]);
    parsed
        .verify(&list)
        .map_err(|e| CheckpointError::Invalid(format!("signature does not verify: {e}")))?;
    let cp = Checkpoint::from_bytes(parsed.text())
        .map_err(|e| CheckpointError::Invalid(e.to_string()))?;
    Ok(SignedCheckpoint {
        origin: cp.origin().to_string(),
        size: cp.size(),
        root: *cp.hash(),
        note: note.to_string(),
    })
}
