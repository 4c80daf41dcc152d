//! Transparency log trust policies (C2SP `tlog-policy`): which logs, which witnesses, and
//! the quorum of cosignatures a checkpoint needs.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use base64::Engine as _;
use custodia_ledger::{CheckpointBody, SignedCheckpoint, SignedNote};
use sha2::{Digest, Sha256};

use crate::cosignature::{CosignatureError, CosignerVerifier};

/// The most logs, witnesses and groups a policy may define (the spec asks for at least 32).
pub const MAX_ENTRIES: usize = 1024;

/// A policy file that could not be parsed; `line` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", source_prefix(.source_name), place(*.line))]
pub struct PolicyParseError {
    /// The file the policy came from, when known.
    pub source_name: Option<String>,
    /// The 1-based line number (0 for whole-file errors such as a missing quorum).
    pub line: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

/// `line N`, or the whole file for errors of no one line (line 0).
fn place(line: usize) -> String {
    if line == 0 {
        "the whole file".into()
    } else {
        format!("line {line}")
    }
}

fn source_prefix(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!("policy `{s}`, "))
        .unwrap_or_else(|| "policy ".into())
}

/// Why a checkpoint does not satisfy a policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The note or the checkpoint body is malformed.
    #[error(transparent)]
    Note(#[from] custodia_ledger::note::NoteError),
    /// No log of the policy has a valid signature on it.
    #[error("checkpoint for origin `{0}` is not signed by any log of the policy")]
    NoLogSignature(String),
    /// A listed log's signature line is present but does not verify.
    #[error("log signature of `{0}` does not verify")]
    BadLogSignature(String),
    /// A listed witness's cosignature line is present but does not verify.
    #[error("cosignature of witness `{witness}` does not verify: {source}")]
    BadCosignature {
        witness: String,
        source: CosignatureError,
    },
    /// The quorum is not reached.
    #[error("quorum `{quorum}` not reached; valid cosignatures from: {}", display_names(.cosigned))]
    QuorumNotReached {
        quorum: String,
        cosigned: Vec<String>,
    },
    /// The policy file could not be read.
    #[error("policy file `{path}`: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The policy file could not be parsed.
    #[error(transparent)]
    Parse(#[from] PolicyParseError),
}

fn display_names(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// A log the policy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLog {
    /// Its verifier key (type `0x01`); the key name is the log's origin.
    pub vkey: String,
    /// The origin (the key name of `vkey`).
    pub origin: String,
    /// Its key id.
    pub key_id: u32,
    /// The optional URL.
    pub url: Option<String>,
}

/// A witness of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    /// The name the policy gives it (used by groups and the quorum only).
    pub name: String,
    /// Its cosigner key (type `0x04`).
    pub verifier: CosignerVerifier,
    /// The submission prefix: the client POSTs to `<url>/add-checkpoint`.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed `tlog-policy` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    /// `None` is `quorum none`.
    quorum: Option<Member>,
    quorum_name: String,
}

/// What a checkpoint that satisfies the policy was found to carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Satisfied {
    /// The checkpoint, as the log signed it (`None` when the policy lists no log).
    pub checkpoint: Option<SignedCheckpoint>,
    /// The body of the checkpoint.
    pub body: CheckpointBody,
    /// The policy names of the witnesses with a valid cosignature, in policy order.
    pub cosigned_by: Vec<String>,
}

impl Policy {
    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read(path).map_err(|source| PolicyError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let text = String::from_utf8_lossy(&text);
        Self::parse(&text).map_err(|mut e| {
            e.source_name = Some(path.display().to_string());
            PolicyError::Parse(e)
        })
    }

    /// Parses a policy: `log VKEY [URL]`, `witness NAME VKEY [URL]`,
    /// `group NAME all|any|K MEMBER…`, exactly one `quorum NAME|none`; `#` comments and blank
    /// lines ignored; items separated by spaces and tabs.
    pub fn parse(text: &str) -> Result<Self, PolicyParseError> {
        let mut p = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
            quorum_name: String::new(),
        };
        let mut names: HashMap<String, Member> = HashMap::new();
        let mut keys: BTreeSet<[u8; 32]> = BTreeSet::new();
        let mut log_keys: BTreeSet<[u8; 32]> = BTreeSet::new();
        let mut quorum_seen = false;
        for (i, line) in text.split('\n').enumerate() {
            let n = i + 1;
            let err = |message: String| PolicyParseError {
                source_name: None,
                line: n,
                message,
            };
            if let Some(c) = line
                .chars()
                .find(|&c| c < ' ' && c != '\t' || c == '\u{7f}')
            {
                return Err(err(format!("control character U+{:04X}", u32::from(c))));
            }
            let items: Vec<&str> = line.split([' ', '\t']).filter(|s| !s.is_empty()).collect();
            let Some((&keyword, args)) = items.split_first() else {
                continue;
            };
            if keyword.starts_with('#') {
                continue;
            }
            if p.logs.len() + p.witnesses.len() + p.groups.len() >= MAX_ENTRIES {
                return Err(err(format!("more than {MAX_ENTRIES} definitions")));
            }
            match keyword {
                "log" => {
                    let (vkey, url) = match args {
                        [v] => (*v, None),
                        [v, u] => (*v, Some(u.to_string())),
                        _ => return Err(err("expected `log <vkey> [<url>]`".into())),
                    };
                    let (origin, key_id, pk) = parse_log_vkey(vkey).ok_or_else(|| {
                        err(format!(
                            "`{vkey}` is not an Ed25519 log vkey (`<origin>+<id>+<base64(0x01 ‖ key)>`)"
                        ))
                    })?;
                    if !log_keys.insert(pk) {
                        return Err(err(format!("duplicate log key `{vkey}`")));
                    }
                    p.logs.push(PolicyLog {
                        vkey: vkey.to_string(),
                        origin,
                        key_id,
                        url,
                    });
                }
                "witness" => {
                    let (name, vkey, url) = match args {
                        [n, v] => (*n, *v, None),
                        [n, v, u] => (*n, *v, Some(u.trim_end_matches('/').to_string())),
                        _ => return Err(err("expected `witness <name> <vkey> [<url>]`".into())),
                    };
                    check_new_name(&names, name).map_err(err)?;
                    let verifier = CosignerVerifier::from_vkey(vkey).map_err(|_| {
                        err(format!(
                            "`{vkey}` is not a cosignature/v1 vkey (`<name>+<id>+<base64(0x04 ‖ key)>`)"
                        ))
                    })?;
                    if !keys.insert(*verifier.public_key().as_bytes()) {
                        return Err(err(format!("duplicate witness key `{vkey}`")));
                    }
                    names.insert(name.to_string(), Member::Witness(p.witnesses.len()));
                    p.witnesses.push(PolicyWitness {
                        name: name.to_string(),
                        verifier,
                        url,
                    });
                }
                "group" => {
                    let [name, k, members @ ..] = args else {
                        return Err(err("expected `group <name> all|any|<k> <name>...`".into()));
                    };
                    check_new_name(&names, name).map_err(err)?;
                    if members.is_empty() {
                        return Err(err(format!("group `{name}` lists no member")));
                    }
                    let mut seen = BTreeSet::new();
                    let mut ms = Vec::with_capacity(members.len());
                    for m in members {
                        let member = names.get(*m).copied().ok_or_else(|| {
                            err(format!(
                                "`{m}` is not a witness or group defined on an earlier line"
                            ))
                        })?;
                        if !seen.insert(*m) {
                            return Err(err(format!("`{m}` is listed twice in group `{name}`")));
                        }
                        ms.push(member);
                    }
                    let threshold = match *k {
                        "all" => ms.len(),
                        "any" => 1,
                        k => match custodia_ledger::note::parse_decimal(k) {
                            Some(k) if k >= 1 && k <= ms.len() as u64 => k as usize,
                            _ => {
                                return Err(err(format!(
                                    "threshold `{k}` is not `all`, `any` or a decimal from 1 to {}",
                                    ms.len()
                                )));
                            }
                        },
                    };
                    names.insert(name.to_string(), Member::Group(p.groups.len()));
                    p.groups.push(Group {
                        name: name.to_string(),
                        threshold,
                        members: ms,
                    });
                }
                "quorum" => {
                    let [name] = args else {
                        return Err(err("expected `quorum <name>`".into()));
                    };
                    if quorum_seen {
                        return Err(err("a second `quorum` line".into()));
                    }
                    quorum_seen = true;
                    p.quorum = if *name == "none" {
                        None
                    } else {
                        Some(names.get(*name).copied().ok_or_else(|| {
                            err(format!(
                                "`{name}` is not `none` or a witness or group defined on an earlier line"
                            ))
                        })?)
                    };
                    p.quorum_name = name.to_string();
                }
                other => {
                    return Err(err(format!(
                        "unknown keyword `{other}` (expected `log`, `witness`, `group` or `quorum`)"
                    )));
                }
            }
        }
        if !quorum_seen {
            return Err(PolicyParseError {
                source_name: None,
                line: 0,
                message: "no `quorum` line".into(),
            });
        }
        Ok(p)
    }

    /// The logs the policy accepts.
    pub fn logs(&self) -> &[PolicyLog] {
        &self.logs
    }

    /// The witnesses, in file order.
    pub fn witnesses(&self) -> &[PolicyWitness] {
        &self.witnesses
    }

    /// The quorum's name (`none` when no cosignature is required).
    pub fn quorum_name(&self) -> &str {
        &self.quorum_name
    }

    /// The witnesses whose cosignature on the note verifies, in policy order. A witness line
    /// that names a policy witness but does not verify is an error (the note is malformed).
    pub fn cosigned_by(&self, note: &SignedNote) -> Result<Vec<&PolicyWitness>, PolicyError> {
        let mut out = Vec::new();
        for w in &self.witnesses {
            if !note.signatures.iter().any(|s| w.verifier.matches(s)) {
                continue;
            }
            w.verifier
                .verify_note(note)
                .map_err(|source| PolicyError::BadCosignature {
                    witness: w.name.clone(),
                    source,
                })?;
            out.push(w);
        }
        Ok(out)
    }

    /// Whether the quorum is reached by the witnesses named `cosigned` (by policy index).
    fn reached(&self, cosigned: &[bool]) -> bool {
        fn member(p: &Policy, m: Member, cosigned: &[bool], depth: usize) -> bool {
            match m {
                Member::Witness(i) => cosigned.get(i).copied().unwrap_or(false),
                // INVARIANT: groups only reference earlier definitions, so depth is bounded
                // by the number of groups; the guard is belt and braces.
                Member::Group(g) if depth <= p.groups.len() => p.groups.get(g).is_some_and(|g| {
                    g.members
                        .iter()
                        .filter(|&&m| member(p, m, cosigned, depth + 1))
                        .count()
                        >= g.threshold
                }),
                Member::Group(_) => false,
            }
        }
        match self.quorum {
            None => true,
            Some(m) => member(self, m, cosigned, 0),
        }
    }

    /// Checks a checkpoint note against the policy: it must be validly signed by one of the
    /// policy's logs (whose key name is its origin; skipped when the policy lists no log),
    /// every signature line of a policy key must verify, and the valid cosignatures must
    /// reach the quorum, counted through the groups.
    pub fn satisfied(&self, note: &str) -> Result<Satisfied, PolicyError> {
        let parsed = SignedNote::parse(note)?;
        let body = CheckpointBody::parse(&parsed.text)?;
        let checkpoint = if self.logs.is_empty() {
            None
        } else {
            Some(self.check_log_signature(note, &parsed, &body)?)
        };
        let cosigners = self.cosigned_by(&parsed)?;
        let mut cosigned = vec![false; self.witnesses.len()];
        for w in &cosigners {
            if let Some(i) = self.witnesses.iter().position(|x| x.name == w.name) {
                cosigned[i] = true;
            }
        }
        let cosigned_by: Vec<String> = cosigners.iter().map(|w| w.name.clone()).collect();
        if !self.reached(&cosigned) {
            return Err(PolicyError::QuorumNotReached {
                quorum: self.quorum_name.clone(),
                cosigned: cosigned_by,
            });
        }
        Ok(Satisfied {
            checkpoint,
            body,
            cosigned_by,
        })
    }

    fn check_log_signature(
        &self,
        note: &str,
        parsed: &SignedNote,
        body: &CheckpointBody,
    ) -> Result<SignedCheckpoint, PolicyError> {
        let mut ok = None;
        for log in self.logs.iter().filter(|l| l.origin == body.origin) {
            if !parsed
                .signatures
                .iter()
                .any(|s| s.name == log.origin && s.key_id == log.key_id)
            {
                continue;
            }
            let cp = custodia_ledger::verify_checkpoint(note, &log.vkey)
                .map_err(|_| PolicyError::BadLogSignature(log.vkey.clone()))?;
            ok = Some(cp);
        }
        ok.ok_or_else(|| PolicyError::NoLogSignature(body.origin.clone()))
    }
}

fn check_new_name(names: &HashMap<String, Member>, name: &str) -> Result<(), String> {
    if name == "none" {
        return Err("`none` is reserved".into());
    }
    if names.contains_key(name) {
        return Err(format!("name `{name}` is already defined"));
    }
    Ok(())
}

/// Parses an Ed25519 log vkey (type `0x01`): origin, key id, public key. The id must be the
/// one the name and key imply.
pub fn parse_log_vkey(vkey: &str) -> Option<(String, u32, [u8; 32])> {
    let mut parts = vkey.splitn(3, '+');
    let (name, id, b64) = (parts.next()?, parts.next()?, parts.next()?);
    if !custodia_ledger::note::is_key_name_valid(name) || id.len() != 8 {
        return None;
    }
    let id = u32::from_str_radix(id, 16).ok()?;
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let (&ty, pk) = raw.split_first()?;
    let pk: [u8; 32] = pk.try_into().ok()?;
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', 0x01]);
    h.update(pk);
    let d = h.finalize();
    let want = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    (ty == 0x01 && want == id).then(|| (name.to_string(), id, pk))
}
