//! `verify`: recompute every leaf hash, every stored tree hash and the root; check every
//! stored checkpoint's signature and root; replay the events into an empty database and
//! compare each projection table with the stored one, row by row.

use custodia_ledger::{
    Frontier, Hash, SignedCheckpoint, leaf_hash, verify_checkpoint, verify_consistency,
};
use custodia_model::events::Leaf;

use crate::backend::{Backend, Value};
use crate::error::{Result, StoreError};
use crate::project::{self, PROJECTIONS};
use crate::sqlite::Sqlite;
use crate::store::{Store, hash_from};
use crate::trail::Trail;

/// What verification found.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Everything holds: `entries` leaves, root `root`.
    Ok {
        entries: u64,
        root: Hash,
        checkpoints: u64,
        /// The latest signed checkpoint, which signs exactly these `entries` (a trail saves it).
        latest: SignedCheckpoint,
    },
    /// The first inconsistency, named.
    Failed(String),
}

/// Options.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// An earlier checkpoint the log must extend.
    pub checkpoint: Option<String>,
    /// The verifier key to trust (default: the trail's pinned key, else the key the store
    /// itself records, which proves the store intact but not authentic).
    pub verifier_key: Option<String>,
    /// Skip the replay of projections (log only).
    pub skip_replay: bool,
    /// An auditor's trail: the store must extend every checkpoint saved there.
    pub trail: Option<Trail>,
}

impl VerifyOptions {
    /// The key the checkpoints are checked against, and whether it is a trust anchor
    /// (given, or pinned by a trail) rather than the store's own word.
    pub fn trusted_key(&self, store: &Store) -> (String, bool) {
        match (
            &self.verifier_key,
            self.trail.as_ref().and_then(Trail::pinned),
        ) {
            (Some(k), _) => (k.clone(), true),
            (None, Some(p)) => (p.to_string(), true),
            (None, None) => (store.verifier_key().to_string(), false),
        }
    }
}

struct Cp {
    size: u64,
    root: Hash,
    note: String,
}

impl Store {
    /// Verifies the whole store. `progress` is called with the entries checked so far.
    pub fn verify(
        &mut self,
        opts: &VerifyOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<Verdict> {
        let (vkey, _) = opts.trusted_key(self);
        if let (Some(given), Some(pinned)) = (
            &opts.verifier_key,
            opts.trail.as_ref().and_then(Trail::pinned),
        ) && given != pinned
        {
            return Ok(Verdict::Failed(format!(
                "the trail pins key `{pinned}`, but the key given is `{given}`"
            )));
        }
        if vkey != self.verifier_key() {
            return Ok(Verdict::Failed(format!(
                "the store's checkpoints are signed by key `{}`, not by the trusted key `{vkey}`: its history was re-signed, or it is another log",
                self.verifier_key()
            )));
        }
        // The trail's checkpoints, checked under the trusted key; a trail that saw a larger
        // tree than the store holds names a rollback before anything else is read.
        let mut saved: Vec<(SignedCheckpoint, String)> = Vec::new();
        if let Some(trail) = &opts.trail {
            for s in trail.saved() {
                let file = s.file.display().to_string();
                match verify_checkpoint(&s.note, &vkey) {
                    Ok(cp) if cp.size == s.size => saved.push((cp, file)),
                    Ok(cp) => {
                        return Ok(Verdict::Failed(format!(
                            "trail file `{file}` holds a checkpoint of size {}, not {}",
                            cp.size, s.size
                        )));
                    }
                    Err(e) => {
                        return Ok(Verdict::Failed(format!(
                            "trail file `{file}`: {e} (under the pinned key `{vkey}`)"
                        )));
                    }
                }
            }
            let size = self.size()?;
            if let Some((cp, file)) = saved.last()
                && cp.size > size
            {
                return Ok(Verdict::Failed(format!(
                    "rolled back: the trail saw a signed checkpoint of size {} (`{file}`), but the store holds {size} entries: committed entries were cut back or lost",
                    cp.size
                )));
            }
        }
        let earlier = match &opts.checkpoint {
            None => None,
            Some(text) => match verify_checkpoint(text, &vkey) {
                Ok(cp) => Some(cp),
                Err(e) => return Ok(Verdict::Failed(format!("the given checkpoint: {e}"))),
            },
        };
        // Checkpoints, oldest first.
        let mut cps: Vec<Cp> = Vec::new();
        self.read(|c| {
            for r in c.query(
                "SELECT size, root, note FROM checkpoints ORDER BY size",
                &[],
            )? {
                cps.push(Cp {
                    size: u64::try_from(r.first().and_then(Value::as_i64).unwrap_or(-1))
                        .unwrap_or(u64::MAX),
                    root: hash_from(r.get(1).unwrap_or(&Value::Null))?,
                    note: r.get(2).and_then(Value::opt_str).unwrap_or_default(),
                });
            }
            Ok(())
        })?;
        for cp in &cps {
            match verify_checkpoint(&cp.note, &vkey) {
                Ok(SignedCheckpoint { size, root, .. }) if size == cp.size && root == cp.root => {}
                Ok(_) => {
                    return Ok(Verdict::Failed(format!(
                        "checkpoint at size {}: its note does not match its stored size and root",
                        cp.size
                    )));
                }
                Err(e) => {
                    return Ok(Verdict::Failed(format!(
                        "checkpoint at size {}: {e}",
                        cp.size
                    )));
                }
            }
        }

        let mut replay = if opts.skip_replay {
            None
        } else {
            Some(Replay::new()?)
        };
        let mut frontier = Frontier::default();
        let mut expect = Vec::with_capacity(64);
        let mut failure: Option<String> = None;
        let mut cp_i = 0usize;
        let mut earlier_ok = earlier.as_ref().map(|e| e.size == 0);
        let mut check_roots = |frontier: &Frontier, failure: &mut Option<String>| {
            while let Some(cp) = cps.get(cp_i).filter(|cp| cp.size == frontier.size()) {
                if cp.root != frontier.root() && failure.is_none() {
                    *failure = Some(format!(
                        "checkpoint at size {}: signed root differs from the log's root at that size",
                        cp.size
                    ));
                }
                cp_i += 1;
            }
            if let Some(e) = earlier.as_ref().filter(|e| e.size == frontier.size()) {
                earlier_ok = Some(e.root == frontier.root());
            }
        };
        check_roots(&frontier, &mut failure);
        let mut n = 0u64;
        let replaying = replay.is_some();
        self.backend_mut().stream_ledger(&mut |seq, body, stored| {
            if failure.is_some() {
                return Ok(());
            }
            if u64::try_from(seq).ok() != Some(n) {
                failure = Some(format!("entry {n}: missing (next stored entry is {seq})"));
                return Ok(());
            }
            expect.clear();
            frontier.push(leaf_hash(body), &mut expect)?;
            if stored.get(..32) != expect.first().map(|h| &h.0[..]) {
                failure = Some(format!(
                    "entry {n}: leaf bytes do not match the stored leaf hash"
                ));
                return Ok(());
            }
            let same_tree = stored.len() == expect.len() * 32
                && expect
                    .iter()
                    .enumerate()
                    .all(|(k, h)| stored.get(k * 32..k * 32 + 32) == Some(&h.0[..]));
            if !same_tree {
                failure = Some(format!(
                    "entry {n}: stored tree hashes differ from the recomputed tree"
                ));
                return Ok(());
            }
            if replaying {
                match Leaf::from_bytes(body) {
                    Ok(leaf) if leaf.seq == n => {
                        if let Some(rp) = replay.as_mut() {
                            rp.apply(leaf)?;
                        }
                    }
                    Ok(leaf) => {
                        failure = Some(format!("entry {n}: leaf says seq {}", leaf.seq));
                        return Ok(());
                    }
                    Err(e) => {
                        failure = Some(format!("entry {n}: leaf is not a valid event: {e}"));
                        return Ok(());
                    }
                }
            } else if !leaf_says_seq(body, n) {
                failure = Some(format!("entry {n}: leaf does not begin with its own seq"));
                return Ok(());
            }
            n += 1;
            check_roots(&frontier, &mut failure);
            if n.is_multiple_of(65_536) {
                progress(n);
            }
            Ok(())
        })?;
        progress(n);
        if let Some(f) = failure {
            return Ok(Verdict::Failed(f));
        }
        if let Some(cp) = cps.get(cp_i) {
            return Ok(Verdict::Failed(format!(
                "checkpoint at size {} is beyond the log's {n} entries",
                cp.size
            )));
        }
        match cps.last() {
            Some(last) if last.size == n => {}
            Some(last) => {
                return Ok(Verdict::Failed(format!(
                    "the log has {n} entries but the latest checkpoint signs {}: entries after it are unsigned",
                    last.size
                )));
            }
            None => return Ok(Verdict::Failed("no checkpoint stored".into())),
        }
        if let Some(e) = &earlier {
            if e.size > n {
                return Ok(Verdict::Failed(format!(
                    "the given checkpoint has size {} but the log only {n}: the log was truncated",
                    e.size
                )));
            }
            if earlier_ok != Some(true) {
                return Ok(Verdict::Failed(format!(
                    "the log is not an extension of the given checkpoint (size {}): its root at that size differs",
                    e.size
                )));
            }
        }
        // Every checkpoint the trail ever saw must be a prefix of this tree: a consistency
        // proof from it to the verified root, read from the store's own stored hashes.
        for (cp, file) in &saved {
            let (_, _, proof) = self.consistency(cp.size, Some(n))?;
            if let Err(e) = verify_consistency(&proof, cp.size, cp.root, n, frontier.root()) {
                return Ok(Verdict::Failed(format!(
                    "the log is not an extension of the trail's checkpoint at size {} (`{file}`): its history was rewritten ({e})",
                    cp.size
                )));
            }
        }
        if let Some(diff) = match replay {
            Some(mut rp) => rp.compare(self)?,
            None => None,
        } {
            return Ok(Verdict::Failed(diff));
        }
        let latest = match cps.last() {
            Some(c) => SignedCheckpoint {
                origin: self.origin().to_string(),
                size: c.size,
                root: c.root,
                note: c.note.clone(),
            },
            None => return Ok(Verdict::Failed("no checkpoint stored".into())),
        };
        Ok(Verdict::Ok {
            entries: n,
            root: frontier.root(),
            checkpoints: cps.len() as u64,
            latest,
        })
    }
}

/// Whether a leaf begins `{"seq":n,` (a cheap check of the leaf's own index).
fn leaf_says_seq(body: &[u8], n: u64) -> bool {
    let p = format!("{{\"seq\":{n},");
    body.starts_with(p.as_bytes())
}

/// The replay target: an in-memory SQLite with the projection schema.
struct Replay {
    db: Sqlite,
    batch: Vec<Leaf>,
}

impl Replay {
    fn new() -> Result<Self> {
        let mut db = Sqlite::memory()?;
        db.migrate()?;
        Ok(Self {
            db,
            batch: Vec::new(),
        })
    }

    fn apply(&mut self, leaf: Leaf) -> Result<()> {
        self.batch.push(leaf);
        if self.batch.len() >= 50_000 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let batch = std::mem::take(&mut self.batch);
        self.db.write(&mut |c| {
            for l in &batch {
                project::apply(c, l)?;
            }
            Ok(())
        })
    }

    /// The first projection row that differs, named by table and key.
    fn compare(&mut self, store: &mut Store) -> Result<Option<String>> {
        self.flush()?;
        for (table, key) in PROJECTIONS {
            let sql = format!("SELECT * FROM {table} ORDER BY {key}");
            let want = {
                let mut v = Vec::new();
                self.db.read(&mut |c| {
                    v = c.query(&sql, &[])?;
                    Ok(())
                })?;
                v
            };
            let mut i = 0usize;
            let mut diff: Option<String> = None;
            let nkeys = key.split(',').count();
            store.stream(&sql, &[], &mut |row| {
                if diff.is_some() {
                    return Ok(());
                }
                let name = |r: &Vec<Value>| {
                    r.iter().take(nkeys).map(Value::canonical).collect::<Vec<_>>().join(", ")
                };
                match want.get(i) {
                    None => diff = Some(format!("table `{table}`, row ({}): not produced by replaying the log", name(&row))),
                    Some(w) => {
                        let a: Vec<String> = row.iter().map(Value::canonical).collect();
                        let b: Vec<String> = w.iter().map(Value::canonical).collect();
                        if a != b {
                            let col = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(0);
                            diff = Some(if a.iter().take(nkeys).eq(b.iter().take(nkeys)) {
                                format!(
                                    "table `{table}`, row ({}): column {} is {} but replay gives {}",
                                    name(&row), col + 1, a.get(col).cloned().unwrap_or_default(), b.get(col).cloned().unwrap_or_default()
                                )
                            } else {
                                format!("table `{table}`: stored row ({}) where replay gives ({})", name(&row), name(w))
                            });
                        }
                    }
                }
                i += 1;
                Ok(())
            })?;
            if diff.is_none()
                && let Some(w) = want.get(i)
            {
                let nk: Vec<String> = w.iter().take(nkeys).map(Value::canonical).collect();
                diff = Some(format!(
                    "table `{table}`, row ({}): missing from the store",
                    nk.join(", ")
                ));
            }
            if diff.is_some() {
                return Ok(diff);
            }
        }
        Ok(None)
    }
}

impl From<custodia_ledger::CheckpointError> for StoreError {
    fn from(e: custodia_ledger::CheckpointError) -> Self {
        Self::Invalid(e.to_string())
    }
}
