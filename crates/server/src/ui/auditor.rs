//! The auditor's pages: `verify`, checkpoints, locator volume, withheld persons, the access
//! log, the oversight report (CONTRACT §9), and the in-browser proof check.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use custodia_app::Role;
use maud::html;
use serde::Deserialize;

use super::chrome::{Common, CsrfOnly, Post, Signed, csrf_field, error_page, fmt_time, page, pct};
use crate::AppState;
use crate::api;
use crate::error::ApiError;
use crate::extract::{Anyone, AuditorOrAdmin, Oversight};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auditor", get(auditor_page))
        .route("/oversight", get(oversight_page))
        .route("/auditor/verify", post(verify_post))
        .route("/proof", get(proof_page))
        .route("/static/proof.js", get(proof_js))
}

#[derive(Debug, Default, serde::Deserialize)]
struct OversightQuery {
    #[serde(default)]
    month: Option<String>,
}

/// The oversight report (CONTRACT §9; `custodia report overrides`): approvals of
/// `needs_review` passengers with their justifications, refused departures, corrections, and
/// late records that sent a manifest back.
async fn oversight_page(
    State(st): State<AppState>,
    Query(q): Query<OversightQuery>,
    Signed(c, p, ..): Signed<Oversight>,
) -> Response {
    let month = q.month.clone().filter(|m| !m.is_empty());
    let m2 = month.clone();
    let r = st
        .db(move |s| {
            Ok(custodia_app::oversight::overrides(
                s,
                &p.actor,
                m2.as_deref(),
            )?)
        })
        .await;
    let r = match r {
        Ok(r) => r,
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        form method="get" action="/oversight" class="stack" {
            label for="ov-month" { (c.t("month")) }
            input type="month" name="month" id="ov-month" value=(month.clone().unwrap_or_default());
            button type="submit" { (c.t("show")) }
        }
        section id="ov-approved" {
            h2 { (c.t("ov_approved")) " (" (r.approved_needs_review.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("person")) } th { (c.t("justification")) } th { (c.t("approved_by")) } }
                @for a in &r.approved_needs_review {
                    tr { td { (fmt_time(c.lang, &a.at, "UTC")) } td { a href={ "/manifests/" (pct(&a.manifest_id)) } { (a.manifest_id) } }
                         td { a href={ "/persons/" (pct(&a.person_id)) } { (a.person_id) } } td { (a.text) } td { (a.approver) } }
                }
            }
        }
        section id="ov-refused" {
            h2 { (c.t("ov_refused")) " (" (r.refused_departures.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("actor")) } th { (c.t("details")) } }
                @for d in &r.refused_departures {
                    tr { td { (fmt_time(c.lang, &d.at, "UTC")) } td { a href={ "/manifests/" (pct(&d.manifest_id)) } { (d.manifest_id) } }
                         td { (d.actor) } td { pre lang="en" { (d.detail) } } }
                }
            }
        }
        section id="ov-corrections" {
            h2 { (c.t("ov_corrections")) " (" (r.corrections.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("person")) } th { (c.t("ov_field")) } th { (c.t("ov_value")) } th { (c.t("reason")) } th { (c.t("ov_proposed_by")) } th { (c.t("ov_confirmed_by")) } }
                @for k in &r.corrections {
                    tr { td { (fmt_time(c.lang, &k.proposed_at, "UTC")) } td { a href={ "/persons/" (pct(&k.correction.person_id)) } { (k.correction.person_id) } }
                         td { code { (k.correction.field) } } td { (k.correction.value) } td { (k.correction.reason) } td { (k.correction.proposed_by) }
                         td { (k.correction.confirmed_by.clone().unwrap_or_else(|| "—".into())) } }
                }
            }
        }
        section id="ov-late" {
            h2 { (c.t("ov_late")) " (" (r.late_records.len()) ")" }
            table tabindex="0" {
                tr { th { (c.t("when")) } th { (c.t("flight")) } th { (c.t("person")) } th { (c.t("ov_cause")) } th { (c.t("actor")) } }
                @for l in &r.late_records {
                    tr { td { (fmt_time(c.lang, &l.at, "UTC")) } td { a href={ "/manifests/" (pct(&l.manifest_id)) } { (l.manifest_id) } }
                         td { a href={ "/persons/" (pct(&l.person_id)) } { (l.person_id) } } td { code { (l.cause) } } td { (l.actor) } }
                }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("oversight"), body)
}

async fn auditor_page(
    State(st): State<AppState>,
    Query(_): Query<Common>,
    Signed(c, p, ..): Signed<AuditorOrAdmin>,
) -> Response {
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            st2.flush_counts(s)?;
            Ok((
                s.checkpoints(20)?,
                s.locator_counts(30)?,
                s.access_log(None, 50)?,
                s.locator_withheld()?,
            ))
        })
        .await;
    let (cps, counts, reads, withheld) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let v = st.verify_cached();
    if v.is_none() {
        st.verify_start();
    }
    let body = html! {
        section id="verify" {
            h2 { (c.t("verify")) }
            @match &v {
                Some(x) if !x.running || x.result.is_ok() => {
                    @match &x.result {
                        Ok(s) => p class="flash" { code { (s) } " · " (fmt_time(c.lang, &x.at.to_string(), "UTC")) },
                        Err(s) => p class="err" { code { (s) } " · " (fmt_time(c.lang, &x.at.to_string(), "UTC")) },
                    }
                }
                _ => p { (c.t("verify_running")) },
            }
            form method="post" action="/auditor/verify" { (csrf_field(&p)) button type="submit" { (c.t("verify_again")) } }
        }
        section {
            h2 { (c.t("checkpoints")) }
            table id="checkpoints" tabindex="0" {
                tr { th { (c.t("size")) } th { (c.t("root")) } th { (c.t("note")) } }
                @for cp in &cps { tr { td { (cp.size) } td { code { (hex::encode(cp.root.0)) } } td { pre { (cp.note) } } } }
            }
        }
        section {
            h2 { (c.t("proof_check")) }
            p { a href="/proof" { (c.t("proof_check")) } }
            p { a href="/oversight" id="oversight-link" { (c.t("oversight")) } }
        }
        section {
            h2 { (c.t("locator_volume")) }
            table tabindex="0" { tr { th { (c.t("month")) } th { (c.t("anonymous")) } th { (c.t("authenticated")) } }
                @for d in &counts { tr { td { (d.day) } td { (d.anonymous) } td { (d.authenticated) } } } }
        }
        section id="withheld" {
            h2 { (c.t("withheld")) }
            @if withheld.is_empty() { p { (c.t("none")) } }
            @else {
                table tabindex="0" { tr { th { (c.t("persons")) } th { (c.t("requested_by")) } th { (c.t("reason")) } th { (c.t("actor")) } th { "seq" } }
                    @for w in &withheld {
                        tr { td { a href={ "/persons/" (pct(&w.person_id)) } { (w.person_id) } } td { (if w.requested_by == "counsel" { c.t("counsel") } else { c.t("the_person") }) } td { (w.reason) } td { (w.actor) } td { (w.seq) } }
                    }
                }
            }
        }
        section {
            h2 { (c.t("access_log")) }
            table tabindex="0" { @for r in &reads { tr { td { (r.seq) } td { (fmt_time(c.lang, &r.at, "UTC")) } td { (r.actor) } td { a href={ "/persons/" (pct(&r.person_id)) } { (r.person_id) } } } } }
        }
    };
    page(&c, StatusCode::OK, c.t("auditor"), body)
}

async fn verify_post(State(st): State<AppState>, post: Post<CsrfOnly>) -> Response {
    if matches!(post.p.actor.role, Role::Auditor | Role::Admin) {
        st.verify_start();
        Redirect::to("/auditor").into_response()
    } else {
        error_page(&post.c, &ApiError::forbidden(post.c.t("forbidden")))
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ProofQuery {
    pub lang: Option<String>,
    pub index: Option<u64>,
}

/// RFC 9162 §2.1.3.2 inclusion verification, in the browser, with SubtleCrypto SHA-256.
const PROOF_JS: &str = r#"
async function sha(parts){const n=parts.reduce((a,p)=>a+p.length,0);const b=new Uint8Array(n);let o=0;for(const p of parts){b.set(p,o);o+=p.length}return new Uint8Array(await crypto.subtle.digest('SHA-256',b))}
function unhex(h){h=h.trim();const b=new Uint8Array(h.length/2);for(let i=0;i<b.length;i++)b[i]=parseInt(h.substr(i*2,2),16);return b}
function hex(b){return Array.from(b).map(x=>x.toString(16).padStart(2,'0')).join('')}
async function check(ev){ev.preventDefault();const f=ev.target;const out=document.getElementById('proof-result');
 try{let fn=BigInt(f.index.value),sn=BigInt(f.size.value)-1n;if(fn>sn)throw 0;
 let r=f.leaf.value?await sha([new Uint8Array([0]),new TextEncoder().encode(f.leaf.value)]):unhex(f.leaf_hash.value);
 for(const line of f.proof.value.split(/\s+/).filter(x=>x)){const p=unhex(line);if(sn===0n)throw 0;
  if((fn&1n)===1n||fn===sn){r=await sha([new Uint8Array([1]),p,r]);if((fn&1n)===0n){while((fn&1n)===0n&&fn!==0n){fn>>=1n;sn>>=1n}}}
  else{r=await sha([new Uint8Array([1]),r,p])}fn>>=1n;sn>>=1n}
 const ok=sn===0n&&hex(r)===f.root.value.trim().toLowerCase();out.textContent=ok?out.dataset.ok:out.dataset.bad;out.className=ok?'flash':'err'}
 catch(e){out.textContent=out.dataset.bad;out.className='err'}}
document.getElementById('proof-form').addEventListener('submit',check);
"#;

/// The proof check's script, from a file of its own: the CSP allows no inline script.
async fn proof_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        PROOF_JS,
    )
        .into_response()
}

async fn proof_page(
    State(st): State<AppState>,
    Query(q): Query<ProofQuery>,
    Signed(c, p, ..): Signed<Anyone>,
) -> Response {
    let idx = q.index;
    let data = st
        .db(move |s| {
            let Some(i) = idx else { return Ok(None) };
            let pr = s.prove(i, None)?;
            let root = s.root_at(pr.size)?;
            let leaf = s.leaf(i)?.unwrap_or_default();
            // A leaf can hold a person's name, birth date and legal records (issue 18): its
            // content goes only to whoever may read that person, and the read is logged;
            // everyone else gets its hash, which is all a proof needs.
            let person = crate::reads::leaf_person(&leaf);
            let shown = match &person {
                None => true,
                Some(pid) => {
                    p.actor.role == Role::Auditor
                        || s.person_scope(pid)?
                            .is_some_and(|scope| crate::auth::may_see_person(&p.actor, &scope))
                }
            };
            let hash = hex::encode(custodia_ledger::leaf_hash(leaf.as_bytes()).0);
            let read = person.filter(|_| shown).map(|pid| (p.actor.id(), pid));
            Ok(Some((
                pr,
                root,
                if shown { leaf } else { String::new() },
                hash,
                read,
            )))
        })
        .await;
    // The content of a leaf naming a person is a read of that person, on the ledger first.
    let data = match data {
        Ok(Some((pr, root, leaf, hash, Some((actor, pid))))) => st
            .record_read(actor, api::read_event(&pid))
            .await
            .map(|()| Some((pr, root, leaf, hash))),
        Ok(Some((pr, root, leaf, hash, None))) => Ok(Some((pr, root, leaf, hash))),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    let (index, size, leaf, leaf_hash, proof, root) = match data {
        Ok(Some((pr, root, leaf, hash))) => (
            pr.index.to_string(),
            pr.size.to_string(),
            leaf,
            hash,
            pr.proof
                .iter()
                .map(|h| hex::encode(h.0))
                .collect::<Vec<_>>()
                .join("\n"),
            hex::encode(root.0),
        ),
        Ok(None) => Default::default(),
        Err(e) => return error_page(&c, &e),
    };
    let body = html! {
        form id="proof-form" {
            p { label { (c.t("index")) " " input name="index" value=(index); } " " label { (c.t("size")) " " input name="size" value=(size); } }
            p { label { (c.t("leaf")) br; textarea name="leaf" rows="4" cols="100" { (leaf) } } }
            p { label { (c.t("leaf_hash")) " " input name="leaf_hash" size="70" value=(leaf_hash); } }
            p { label { (c.t("proof_hashes")) br; textarea name="proof" rows="8" cols="70" { (proof) } } }
            p { label { (c.t("root")) " " input name="root" size="70" value=(root); } }
            button type="submit" id="proof-check" { (c.t("check")) }
        }
        p id="proof-result" role="status" data-ok=(c.t("proof_ok")) data-bad=(c.t("proof_bad")) {}
        script src="/static/proof.js" {}
    };
    page(&c, StatusCode::OK, c.t("proof_check"), body)
}
