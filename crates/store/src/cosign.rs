//! The witnesses' cosignatures of the log's checkpoints (CONTRACT §10): kept beside the
//! checkpoints, merged into them when served. Service state, not custody state: the ledger
//! does not depend on it and `verify`'s replay does not compare it (`verify --policy` checks
//! the cosignatures themselves against a policy).

use custodia_ledger::{NoteSignature, SignedCheckpoint, SignedNote};

use crate::backend::Value;
use crate::error::{Result, StoreError};
use crate::store::Store;

/// One witness's cosignature of the checkpoint of `size` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCosignature {
    /// The tree size of the checkpoint cosigned.
    pub size: u64,
    /// The witness's verifier key (`name+id+base64`).
    pub witness: String,
    /// The signature line (`— name base64…`), without its newline.
    pub line: String,
}

impl Store {
    /// Keeps cosignature lines for the checkpoint of `size` entries, one per witness (a
    /// witness's newer line for the same size replaces its older one). The caller has
    /// verified them; they are checked again by `verify --policy`.
    pub fn add_cosignatures(&mut self, size: u64, lines: &[(String, String)]) -> Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.backend_mut().write(&mut |c| {
            for (witness, line) in lines {
                c.execute(
                    "INSERT INTO cosignatures (size, witness, line) VALUES (?, ?, ?) \
                     ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line",
                    &[size.into(), witness.into(), line.into()],
                )?;
            }
            Ok(())
        })
    }

    /// The cosignatures kept for the checkpoint of `size` entries, by witness key.
    pub fn cosignatures(&mut self, size: u64) -> Result<Vec<StoredCosignature>> {
        self.read(|c| {
            c.query(
                "SELECT witness, line FROM cosignatures WHERE size = ? ORDER BY witness",
                &[size.into()],
            )?
            .iter()
            .map(|r| {
                Ok(StoredCosignature {
                    size,
                    witness: r.first().and_then(Value::opt_str).unwrap_or_default(),
                    line: r.get(1).and_then(Value::opt_str).unwrap_or_default(),
                })
            })
            .collect()
        })
    }

    /// The largest size each witness (by verifier key) has a cosignature kept for.
    pub fn cosigned_sizes(&mut self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            c.query(
                "SELECT witness, MAX(size) FROM cosignatures GROUP BY witness ORDER BY witness",
                &[],
            )?
            .iter()
            .map(|r| {
                let size = r
                    .get(1)
                    .and_then(Value::as_i64)
                    .and_then(|s| u64::try_from(s).ok())
                    .ok_or_else(|| {
                        StoreError::Corrupt("table `cosignatures`: a size is not a count".into())
                    })?;
                Ok((r.first().and_then(Value::opt_str).unwrap_or_default(), size))
            })
            .collect()
        })
    }

    /// The latest checkpoint with every cosignature kept for it appended to its note (after
    /// the log's own signature, as C2SP `tlog-cosignature` has it).
    pub fn cosigned_checkpoint(&mut self) -> Result<SignedCheckpoint> {
        let mut cp = self.checkpoint()?;
        let cosigs = self.cosignatures(cp.size)?;
        cp.note = merge(&cp.note, &cosigs)?;
        Ok(cp)
    }
}

/// Adds the kept lines to a signed note; a line already present is not repeated.
fn merge(note: &str, cosigs: &[StoredCosignature]) -> Result<String> {
    if cosigs.is_empty() {
        return Ok(note.to_string());
    }
    let mut parsed = SignedNote::parse(note)
        .map_err(|e| StoreError::Corrupt(format!("a stored checkpoint note: {e}")))?;
    for c in cosigs {
        let sig = NoteSignature::from_line(&c.line).map_err(|e| {
            StoreError::Corrupt(format!(
                "table `cosignatures`, row ({}, {}): {e}",
                c.size, c.witness
            ))
        })?;
        if !parsed
            .signatures
            .iter()
            .any(|s| s.name == sig.name && s.key_id == sig.key_id)
        {
            parsed.signatures.push(sig);
        }
    }
    Ok(parsed.to_text())
}
