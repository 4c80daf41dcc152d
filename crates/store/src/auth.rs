//! The service tables that are not custody state and so are not in the ledger: API tokens
//! (only their SHA-256 is stored), browser sessions (only the hash of the cookie's id),
//! idempotency keys of state-changing requests, and the locator's daily query counter.
//!
//! Hashing and random ids are the caller's (the server's): this module is SQL only.

use crate::backend::Value;
use crate::decode::At;
use crate::error::Result;
use crate::store::Store;

/// A stored token: who it speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub role: String,
    pub name: String,
    pub facility_id: Option<String>,
}

/// A stored browser session: the token it was opened with and its CSRF token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub token: TokenRow,
    pub csrf: String,
    pub expires_at: String,
}

/// The first answer given to an idempotent request. `status` 0 means the request took
/// effect but its answer is not recorded yet (it is running, or it died before answering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    pub request_hash: String,
    pub status: u16,
    pub response: String,
}

/// A request's claim on an idempotency key ([`crate::Store::claim`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub key: String,
    pub token_hash: String,
    pub request_hash: String,
}

/// Records `claim` as a pending answer (status 0) in the current transaction; `false` if
/// the key is already held.
pub(crate) fn record_claim(
    c: &mut dyn crate::backend::Conn,
    claim: &IdempotencyClaim,
) -> Result<bool> {
    Ok(c.execute(
        "INSERT INTO idempotency (key, token_hash, request_hash, status, response) VALUES (?, ?, ?, 0, '') ON CONFLICT DO NOTHING",
        &[
            claim.key.as_str().into(),
            claim.token_hash.as_str().into(),
            claim.request_hash.as_str().into(),
        ],
    )? == 1)
}

/// One day of locator traffic.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LocatorDay {
    pub day: String,
    pub anonymous: u64,
    pub authenticated: u64,
}

fn u(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_i64)
        .and_then(|i| u64::try_from(i).ok())
        .unwrap_or(0)
}

impl Store {
    /// Stores a token by its hash.
    pub fn insert_token(
        &mut self,
        hash: &str,
        role: &str,
        name: &str,
        facility_id: Option<&str>,
        created_at: jiff::Timestamp,
    ) -> Result<()> {
        self.transact(|tx| {
            tx.execute_service(
                "INSERT INTO tokens (hash, role, name, facility_id, created_at, revoked) VALUES (?, ?, ?, ?, ?, 0)",
                &[hash.into(), role.into(), name.into(), facility_id.map(str::to_string).into(), created_at.to_string().into()],
            )
        })?;
        Ok(())
    }

    /// The live (not revoked) token with this hash.
    pub fn token_by_hash(&mut self, hash: &str) -> Result<Option<TokenRow>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT role, name, facility_id FROM tokens WHERE hash = ? AND revoked = 0",
                &[hash.into()],
            )?;
            rows.first()
                .map(|r| {
                    let a = At::new("tokens", &["role", "name", "facility_id"], r);
                    Ok(TokenRow {
                        role: a.text(0)?,
                        name: a.text(1)?,
                        facility_id: a.opt_text(2)?,
                    })
                })
                .transpose()
        })
    }

    /// Revokes a token; returns whether one was live.
    pub fn revoke_token(&mut self, hash: &str) -> Result<bool> {
        let (n, _) = self.transact(|tx| {
            tx.execute_service(
                "UPDATE tokens SET revoked = 1 WHERE hash = ? AND revoked = 0",
                &[hash.into()],
            )
        })?;
        Ok(n > 0)
    }

    /// Opens a session (stored by the hash of its id).
    pub fn insert_session(
        &mut self,
        id_hash: &str,
        token_hash: &str,
        csrf: &str,
        expires_at: jiff::Timestamp,
    ) -> Result<()> {
        self.transact(|tx| {
            tx.execute_service(
                "INSERT INTO sessions (id_hash, token_hash, csrf, expires_at) VALUES (?, ?, ?, ?)",
                &[
                    id_hash.into(),
                    token_hash.into(),
                    csrf.into(),
                    expires_at.to_string().into(),
                ],
            )
        })?;
        Ok(())
    }

    /// The session with this id hash, if it has not expired at `now` and its token is live.
    pub fn session(&mut self, id_hash: &str, now: jiff::Timestamp) -> Result<Option<SessionRow>> {
        let row = self.read(|c| {
            let rows = c.query(
                "SELECT s.token_hash, s.csrf, s.expires_at, t.role, t.name, t.facility_id FROM sessions s \
                 JOIN tokens t ON t.hash = s.token_hash WHERE s.id_hash = ? AND t.revoked = 0",
                &[id_hash.into()],
            )?;
            rows.first()
                .map(|r| {
                    let a = At::new(
                        "sessions",
                        &["token_hash", "csrf", "expires_at", "role", "name", "facility_id"],
                        r,
                    );
                    Ok(SessionRow {
                        token_hash: a.text(0)?,
                        csrf: a.text(1)?,
                        expires_at: a.text(2)?,
                        token: TokenRow {
                            role: a.text(3)?,
                            name: a.text(4)?,
                            facility_id: a.opt_text(5)?,
                        },
                    })
                })
                .transpose()
        })?;
        Ok(row.filter(|s| {
            s.expires_at
                .parse::<jiff::Timestamp>()
                .is_ok_and(|e| e > now)
        }))
    }

    /// Ends a session.
    pub fn delete_session(&mut self, id_hash: &str) -> Result<()> {
        self.transact(|tx| {
            tx.execute_service("DELETE FROM sessions WHERE id_hash = ?", &[id_hash.into()])
        })?;
        Ok(())
    }

    /// The answer first given under this idempotency key by this token, if any.
    pub fn idempotent_answer(
        &mut self,
        key: &str,
        token_hash: &str,
    ) -> Result<Option<IdempotentAnswer>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT request_hash, status, response FROM idempotency WHERE key = ? AND token_hash = ?",
                &[key.into(), token_hash.into()],
            )?;
            rows.first()
                .map(|r| {
                    let a = At::new("idempotency", &["request_hash", "status", "response"], r);
                    Ok(IdempotentAnswer {
                        request_hash: a.text(0)?,
                        status: u16::try_from(a.u64(1)?).map_err(|_| {
                            crate::error::StoreError::Corrupt(format!(
                                "table `idempotency`, key `{key}`: column `status`: expected an HTTP status"
                            ))
                        })?,
                        response: a.text(2)?,
                    })
                })
                .transpose()
        })
    }

    /// Remembers the answer to an idempotent request: the first one wins, and fills in the
    /// pending answer its claim recorded.
    pub fn remember_answer(
        &mut self,
        key: &str,
        token_hash: &str,
        a: &IdempotentAnswer,
    ) -> Result<()> {
        self.transact(|tx| {
            tx.execute_service(
                "INSERT INTO idempotency (key, token_hash, request_hash, status, response) VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (key, token_hash) DO UPDATE SET status = excluded.status, response = excluded.response \
                 WHERE idempotency.status = 0 AND idempotency.request_hash = excluded.request_hash",
                &[key.into(), token_hash.into(), a.request_hash.as_str().into(), i64::from(a.status).into(), a.response.as_str().into()],
            )
        })?;
        Ok(())
    }

    /// Counts one locator query on `day` (`YYYY-MM-DD`).
    pub fn count_locate(&mut self, day: &str, authenticated: bool) -> Result<()> {
        let (a, b) = if authenticated { (0i64, 1i64) } else { (1, 0) };
        self.transact(|tx| {
            tx.execute_service(
                "INSERT INTO locator_counts (day, anonymous, authenticated) VALUES (?, ?, ?) \
                 ON CONFLICT (day) DO UPDATE SET anonymous = locator_counts.anonymous + excluded.anonymous, \
                 authenticated = locator_counts.authenticated + excluded.authenticated",
                &[day.into(), a.into(), b.into()],
            )
        })?;
        Ok(())
    }

    /// Adds counted locator queries: `(day, anonymous, authenticated)` each, in one
    /// transaction.
    pub fn count_locate_many(&mut self, counts: &[(String, u64, u64)]) -> Result<()> {
        self.transact(|tx| {
            for (day, a, b) in counts {
                tx.execute_service(
                    "INSERT INTO locator_counts (day, anonymous, authenticated) VALUES (?, ?, ?) \
                     ON CONFLICT (day) DO UPDATE SET anonymous = locator_counts.anonymous + excluded.anonymous, \
                     authenticated = locator_counts.authenticated + excluded.authenticated",
                    &[day.as_str().into(), (*a).into(), (*b).into()],
                )?;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Locator traffic, newest day first, at most `limit` days.
    pub fn locator_counts(&mut self, limit: u64) -> Result<Vec<LocatorDay>> {
        self.read(|c| {
            let rows = c.query("SELECT day, anonymous, authenticated FROM locator_counts ORDER BY day DESC LIMIT ?", &[limit.into()])?;
            Ok(rows
                .iter()
                .map(|r| LocatorDay { day: r.first().and_then(Value::opt_str).unwrap_or_default(), anonymous: u(r.get(1)), authenticated: u(r.get(2)) })
                .collect())
        })
    }
}

/// A departure the gate refused (service state, not in the ledger).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DepartureRefusal {
    pub at: String,
    pub actor: String,
    pub manifest_id: String,
    pub detail: String,
}

impl Store {
    /// Keeps a refused departure for auditors.
    pub fn record_departure_refusal(
        &mut self,
        at: jiff::Timestamp,
        actor: &str,
        manifest_id: &str,
        detail: &str,
    ) -> Result<()> {
        self.transact(|tx| {
            tx.execute_service(
                "INSERT INTO departure_refusals (at, actor, manifest_id, detail) VALUES (?, ?, ?, ?)",
                &[at.to_string().into(), actor.into(), manifest_id.into(), detail.into()],
            )
        })?;
        Ok(())
    }

    /// Every refused departure, oldest first.
    pub fn departure_refusals(&mut self) -> Result<Vec<DepartureRefusal>> {
        self.read(|c| {
            let rows = c.query(
                "SELECT at, actor, manifest_id, detail FROM departure_refusals ORDER BY at, manifest_id",
                &[],
            )?;
            Ok(rows
                .iter()
                .map(|r| {
                    let s = |i: usize| r.get(i).and_then(Value::opt_str).unwrap_or_default();
                    DepartureRefusal {
                        at: s(0),
                        actor: s(1),
                        manifest_id: s(2),
                        detail: s(3),
                    }
                })
                .collect())
        })
    }
}
