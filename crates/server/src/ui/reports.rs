//! The dashboard and the reports behind it: occupancy, population, the month's costs
//! (`custodia_app::billing::month_costs`) and the standards report, cached by log size and
//! warmed off the request path.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use custodia_app::Role;
use custodia_app::billing::MonthCost;
use custodia_store::Store;
use custodia_store::queries::{CellRow, FacilityRow};
use maud::html;
use serde::Deserialize;

use super::charts::{ImplLang, bar_chart, heat_map};
use super::chrome::{Ctx, Signed, error_page, fmt_dec, fmt_int, money, page};
use crate::AppState;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{Billing, Staff};

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard))
        .route("/standards", get(standards_page))
        .route("/costs", get(costs_page))
}

/// The latest month with data in the store (the month of `today` when there is none) and
/// its costs, both cached: what the dashboard and `/costs` show by default.
fn latest_costs(
    st: &AppState,
    s: &mut Store,
    today: jiff::civil::Date,
) -> Result<(custodia_billing::Month, Arc<Vec<MonthCost>>), ApiError> {
    let month = *st.cached(s, format!("latest-month:{today}"), |s| {
        Ok(custodia_app::billing::latest_month(s)?
            .unwrap_or_else(|| custodia_billing::Month::containing(today)))
    })?;
    let costs = cached_costs(st, s, month)?;
    Ok((month, costs))
}

/// A month's costs per agreement (`custodia_app::billing::month_costs`), cached; an
/// agreement whose stays overlap is left out and logged.
fn cached_costs(
    st: &AppState,
    s: &mut Store,
    month: custodia_billing::Month,
) -> Result<Arc<Vec<MonthCost>>, ApiError> {
    st.cached(s, format!("costs:{month}"), |s| {
        let m = custodia_app::billing::month_costs(s, month)?;
        for (agreement, e) in &m.conflicts {
            tracing::warn!(agreement = %agreement, error = %e, "stays do not invoice");
        }
        Ok(m.costs)
    })
}

/// The standards report of `facility` over the 30 days to `as_of`, cached.
fn standards(
    st: &AppState,
    s: &mut Store,
    facility: &str,
    as_of: jiff::civil::Date,
) -> Result<Arc<custodia_housing::StandardsReport>, ApiError> {
    let from = as_of.saturating_sub(jiff::ToSpan::days(29));
    st.cached(s, format!("standards:{facility}:{as_of}"), |s| {
        Ok(custodia_app::housing::standards_report(
            s,
            Some(facility),
            from,
            as_of,
            &custodia_housing::StandardsParams::default(),
        )?)
    })
}

/// Computes what the pages' first views would otherwise compute: the locator and staff
/// indexes, the latest month's costs, and today's standards report of every facility that
/// holds anyone. Run at start and after the log changes, off the request path, so that no
/// visitor pays for a cold cache.
pub(crate) fn warm(st: &AppState, s: &mut Store) -> Result<(), ApiError> {
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    st.locator(s)?;
    latest_costs(st, s, today)?;
    for f in s.facilities()? {
        if f.in_custody > 0 {
            standards(st, s, &f.id, today)?;
        }
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    pub lang: Option<String>,
    pub facility: Option<String>,
}

async fn dashboard(State(st): State<AppState>, Query(q): Query<DashQuery>, c: Ctx) -> Response {
    let Some(p) = c.who.clone() else {
        let body = html! {
            p { (c.t("welcome")) }
            p { a href="/locator" { (c.t("locator")) } " · " a href="/login" { (c.t("login")) } }
        };
        return page(&c, StatusCode::OK, c.t("tagline"), body);
    };
    if p.actor.role == Role::Counsel {
        let id = p.actor.id();
        let rows = st.db(move |s| Ok(s.counsel_persons(&id)?)).await;
        return match rows {
            Err(e) => error_page(&c, &e),
            Ok(rows) => page(
                &c,
                StatusCode::OK,
                c.t("all_persons_counsel"),
                html! {
                    ul { @for r in &rows { li { a href={ "/persons/" (r.person_id) } { (r.family_names) ", " (r.given_names) } " (" (r.person_id) ")" } } }
                },
            ),
        };
    }
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let want = chosen_facility(q.facility.as_deref(), &p);
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let facilities = s.facilities()?;
            let fac = facility_to_show(want, &facilities);
            let cells = s.cells(&fac)?;
            let pop = s.population_by_nationality(None)?;
            let cases = s.cases(true, None, 50)?;
            let (_, costs) = latest_costs(&st2, s, today)?;
            Ok((facilities, fac, cells, pop, cases, costs))
        })
        .await;
    let (facilities, fac, cells, pop, cases, costs) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let occupied: u64 = cells.iter().map(|x| x.occupants).sum();
    let area: f64 = cells
        .iter()
        .filter(|x| x.occupants > 0)
        .map(|x| x.area_m2)
        .sum();
    let body = html! {
        div class="grid" {
            section {
                h2 { (c.t("occupancy")) " — " (fac) }
                form method="get" action="/" {
                    label for="facility-select" { (c.t("facility")) } " "
                    select name="facility" id="facility-select" { @for f in &facilities { option value=(f.id) selected[f.id == fac] { (f.id) " (" (fmt_int(c.lang, f.in_custody)) ")" } } }
                    " " button type="submit" { (c.t("search")) }
                }
                p { small { (c.t("occupancy_note")) } }
                (heat_map(&ImplLang(c.lang), &cells))
                @if occupied > 0 { p { (fmt_int(c.lang, occupied)) " " (c.t("in_custody")) "; " (fmt_dec(c.lang, area / occupied as f64, 2)) " m²" } }
            }
            section {
                h2 { (c.t("population")) }
                (bar_chart(&ImplLang(c.lang), &pop))
            }
            section {
                h2 { (c.t("month_cost")) }
                p { a href="/costs" { (c.t("costs")) } }
                table tabindex="0" {
                    tr { th { (c.t("agreement")) } th { (c.t("facility")) } th { (c.t("month")) } th { (c.t("person_days")) } th { (c.t("total")) } }
                    @for m in costs.iter() { tr { td { (m.agreement) } td { (m.facility) } td { (m.month) } td { (fmt_int(c.lang, m.person_days)) } td id="month-total" { (money(c.lang, &m.total)) " " (m.currency) } } }
                }
            }
            section {
                h2 { (c.t("open_cases")) " (" (cases.len()) ")" }
                @if cases.is_empty() { p { (c.t("no_cases")) } }
                ul { @for k in cases.iter().take(20) { li { a href={ "/manifests/" (k.manifest_id) } { (k.id) } " — " (crate::i18n::word(c.lang, "case", &k.kind)) ": " (k.detail) } } }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("dashboard"), body)
}

#[derive(Debug, Default, Deserialize)]
pub struct StandardsQuery {
    pub lang: Option<String>,
    pub facility: Option<String>,
    pub as_of: Option<String>,
}

/// What is out of standard and why, as `custodia report standards` says it (the same
/// use case, the same parameters), with the cells drawn in the heat map's colours.
async fn standards_page(
    State(st): State<AppState>,
    Query(q): Query<StandardsQuery>,
    Signed(c, p, ..): Signed<Staff>,
) -> Response {
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let as_of = match q.as_of.as_deref().filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => match d.parse::<jiff::civil::Date>() {
            Ok(d) => d,
            Err(_) => {
                return error_page(
                    &c,
                    &ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "date_invalid",
                        format!("`{d}`: expected YYYY-MM-DD"),
                    ),
                );
            }
        },
    };
    let want = chosen_facility(q.facility.as_deref(), &p);
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let facilities = s.facilities()?;
            let fac = facility_to_show(want, &facilities);
            let r = standards(&st2, s, &fac, as_of)?;
            Ok((facilities, fac, r))
        })
        .await;
    let (facilities, fac, r) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let cells: Vec<CellRow> = r
        .space
        .cells
        .iter()
        .map(|x| CellRow {
            id: x.cell_id.clone(),
            facility_id: fac.clone(),
            pavilion: x.pavilion.clone(),
            area_m2: x.m2_per_person.map_or(0.0, |m| m * f64::from(x.occupants)),
            capacity: u64::from(x.capacity),
            in_use: x.in_use,
            occupants: u64::from(x.occupants),
            m2_per_person: x.m2_per_person,
        })
        .collect();
    let body = html! {
        form method="get" action="/standards" class="stack" {
            label for="standards-facility" { (c.t("facility")) }
            select name="facility" id="standards-facility" { @for f in &facilities { option value=(f.id) selected[f.id == fac] { (f.id) } } }
            label for="as-of" { (c.t("as_of")) }
            input type="date" name="as_of" id="as-of" value=(r.as_of.to_string());
            button type="submit" { (c.t("show")) }
        }
        p { (c.t("period")) " " time datetime=(r.period_from.to_string()) { (r.period_from) } " — " time datetime=(r.as_of.to_string()) { (r.as_of) }
            " · " (fmt_int(c.lang, r.persons_present as u64)) " " (c.t("persons_present")) }
        section {
            h2 { (c.t("findings")) }
            ol id="standards-findings" class="cards" {
                @for f in &r.findings {
                    li class="card" data-finding=(f.id) data-out=(f.out_of_standard) {
                        h3 { (crate::i18n::word(c.lang, "finding", &f.id)) }
                        p { strong class=(if f.out_of_standard { "blocked" } else { "eligible" }) {
                            (if f.out_of_standard { c.t("out_of_standard") } else { c.t("within_standard") }) }
                            " · " (fmt_int(c.lang, f.persons_affected)) " " (c.t("persons_affected")) }
                        p { small lang="en" { (f.statement) } }
                        p { small { cite { (f.citation) } } }
                    }
                }
            }
        }
        section {
            h2 { (c.t("occupancy")) " — " (fac) }
            p { small { (c.t("occupancy_note")) } }
            (heat_map(&ImplLang(c.lang), &cells))
        }
    };
    page(&c, StatusCode::OK, c.t("standards"), body)
}

#[derive(Debug, Default, Deserialize)]
pub struct CostsQuery {
    pub lang: Option<String>,
    pub month: Option<String>,
}

/// Costs per agreement for a month (default: the latest month with data in the store, not
/// the wall clock), and the invoices issued.
async fn costs_page(
    State(st): State<AppState>,
    Query(q): Query<CostsQuery>,
    Signed(c, ..): Signed<Billing>,
) -> Response {
    let asked = match q.month.as_deref().filter(|m| !m.is_empty()) {
        None => None,
        Some(m) => match m.parse::<custodia_billing::Month>() {
            Ok(m) => Some(m),
            Err(_) => {
                return error_page(
                    &c,
                    &ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "month_invalid",
                        format!("`{m}`: expected YYYY-MM"),
                    ),
                );
            }
        },
    };
    let today = st.now().to_zoned(jiff::tz::TimeZone::UTC).date();
    let st2 = st.clone();
    let data = st
        .db(move |s| {
            let (month, costs) = match asked {
                Some(m) => (m, cached_costs(&st2, s, m)?),
                None => latest_costs(&st2, s, today)?,
            };
            Ok((month, costs, s.invoices(200)?))
        })
        .await;
    let (month, costs, invoices) = match data {
        Ok(d) => d,
        Err(e) => return error_page(&c, &e),
    };
    let m = month.to_string();
    let body = html! {
        form method="get" action="/costs" class="stack" id="month-form" {
            label for="month" { (c.t("month")) }
            input type="month" name="month" id="month" value=(m);
            button type="submit" { (c.t("show")) }
        }
        section {
            h2 { (c.t("month_cost")) " — " (m) }
            @if costs.is_empty() { p { (c.t("none")) } }
            table id="costs" tabindex="0" {
                tr { th { (c.t("agreement")) } th { (c.t("facility")) } th { (c.t("person_days")) } th { (c.t("total")) } }
                @for x in costs.iter() { tr { td { (x.agreement) } td { (x.facility) } td { (fmt_int(c.lang, x.person_days)) } td { (money(c.lang, &x.total)) " " (x.currency) } } }
            }
        }
        section {
            h2 { (c.t("invoices")) }
            @if invoices.is_empty() { p { (c.t("none")) } }
            @else {
                table id="invoices" tabindex="0" {
                    tr { th { "id" } th { (c.t("agreement")) } th { (c.t("month")) } th { (c.t("person_days")) } th { (c.t("total")) } th { (c.t("proof")) } }
                    @for i in &invoices {
                        tr { td { (i.id) } td { (i.agreement_id) } td { a href={ "/costs?month=" (i.month) } { (i.month) } }
                             td { (fmt_int(c.lang, i.person_days)) } td { (money(c.lang, &i.total)) } td { a href={ "/proof?index=" (i.seq) } { (c.t("proof")) } } }
                    }
                }
            }
        }
    };
    page(&c, StatusCode::OK, c.t("costs"), body)
}

/// The facility a report page was asked for (`?facility=`, an empty one being none), else
/// the signed-in officer's own.
fn chosen_facility(asked: Option<&str>, p: &Principal) -> Option<String> {
    asked
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .or_else(|| p.actor.facility_id.clone())
}

/// The facility a report shows: the one chosen, else the one holding the most persons.
fn facility_to_show(chosen: Option<String>, facilities: &[FacilityRow]) -> String {
    chosen
        .or_else(|| {
            facilities
                .iter()
                .max_by_key(|f| f.in_custody)
                .map(|f| f.id.clone())
        })
        .unwrap_or_default()
}
