//! An auditor's own trail (`custodia verify --trail DIR`): the directory keeps the log's
//! verifier key, pinned at first use, and every signed checkpoint a verification of the
//! store has ever accepted. The store alone can be rolled back, emptied, replaced or
//! re-signed by whoever holds the disk; a trail kept elsewhere cannot. `verify` checks the
//! store against every saved checkpoint (its signature under the pinned key, and a
//! consistency proof from it to the current tree), then saves the new one.
//!
//! Layout: `DIR/vkey` (one line, the pinned verifier key) and
//! `DIR/checkpoints/<size, 20 digits>.checkpoint` (a signed note, exactly as served).
//! Files are written to a temporary name and renamed, so a killed verify leaves whole files.

use std::path::{Path, PathBuf};

use custodia_ledger::SignedCheckpoint;
use custodia_ledger::note::parse_decimal;

use crate::error::{Result, StoreError};

/// One checkpoint saved in a trail.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The file it was read from.
    pub file: PathBuf,
    /// Its size, from the file name (checked against the note when verified).
    pub size: u64,
    /// The signed note.
    pub note: String,
}

/// A trail directory, as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trail {
    dir: PathBuf,
    pinned: Option<String>,
    saved: Vec<Saved>,
}

fn io(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Invalid(format!("trail `{}`: {e}", path.display()))
}

impl Trail {
    /// Reads the trail at `dir`; a directory that does not exist yet is an empty trail
    /// (created by the first [`Trail::save`]).
    pub fn open(dir: &Path) -> Result<Self> {
        let mut t = Self {
            dir: dir.to_path_buf(),
            pinned: None,
            saved: Vec::new(),
        };
        if !dir.exists() {
            return Ok(t);
        }
        if !dir.is_dir() {
            return Err(StoreError::Invalid(format!(
                "trail `{}` is not a directory",
                dir.display()
            )));
        }
        let vkey = dir.join("vkey");
        match std::fs::read_to_string(&vkey) {
            Ok(s) => {
                let k = s.trim();
                if !k.is_empty() {
                    t.pinned = Some(k.to_string());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&vkey, &e)),
        }
        let cps = dir.join("checkpoints");
        let entries = match std::fs::read_dir(&cps) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(t),
            Err(e) => return Err(io(&cps, &e)),
        };
        for e in entries {
            let e = e.map_err(|e| io(&cps, &e))?;
            let file = e.path();
            let Some(size) = file
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".checkpoint"))
                .and_then(parse_decimal_padded)
            else {
                continue;
            };
            let note = std::fs::read_to_string(&file).map_err(|e| io(&file, &e))?;
            t.saved.push(Saved { file, size, note });
        }
        t.saved.sort_by_key(|s| s.size);
        if t.pinned.is_none() && !t.saved.is_empty() {
            return Err(StoreError::Invalid(format!(
                "trail `{}` holds checkpoints but no pinned key (`vkey`)",
                dir.display()
            )));
        }
        Ok(t)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The verifier key pinned at first use, if any.
    pub fn pinned(&self) -> Option<&str> {
        self.pinned.as_deref()
    }

    /// Every saved checkpoint, smallest size first.
    pub fn saved(&self) -> &[Saved] {
        &self.saved
    }

    /// The largest checkpoint saved.
    pub fn latest(&self) -> Option<&Saved> {
        self.saved.last()
    }

    /// Pins `vkey` if nothing is pinned yet (it must be the pinned key otherwise) and saves
    /// `cp` unless a checkpoint of its size is already saved. Returns whether a file was
    /// written.
    pub fn save(&mut self, vkey: &str, cp: &SignedCheckpoint) -> Result<bool> {
        if let Some(p) = &self.pinned
            && p != vkey
        {
            return Err(StoreError::Invalid(format!(
                "trail `{}` pins key `{p}`, not `{vkey}`",
                self.dir.display()
            )));
        }
        let cps = self.dir.join("checkpoints");
        std::fs::create_dir_all(&cps).map_err(|e| io(&cps, &e))?;
        let mut wrote = false;
        if self.pinned.is_none() {
            write_atomic(&self.dir.join("vkey"), &format!("{vkey}\n"))?;
            self.pinned = Some(vkey.to_string());
            wrote = true;
        }
        if self.saved.iter().any(|s| s.size == cp.size) {
            return Ok(wrote);
        }
        let file = cps.join(format!("{:020}.checkpoint", cp.size));
        write_atomic(&file, &cp.note)?;
        self.saved.push(Saved {
            file,
            size: cp.size,
            note: cp.note.clone(),
        });
        self.saved.sort_by_key(|s| s.size);
        Ok(true)
    }
}

/// A decimal with leading zeros (the file names are zero-padded).
fn parse_decimal_padded(s: &str) -> Option<u64> {
    let t = s.trim_start_matches('0');
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if t.is_empty() {
        Some(0)
    } else {
        parse_decimal(t)
    }
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, text).map_err(|e| io(&tmp, &e))?;
    if let Ok(f) = std::fs::File::open(&tmp) {
        let _ = f.sync_all();
    }
    std::fs::rename(&tmp, path).map_err(|e| io(path, &e))
}
