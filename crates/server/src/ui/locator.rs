//! The public locator page: the same query, limits and answer as `GET /api/v1/locate`.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};

use super::chrome::{Ctx, country_lang, country_name, error_text, page, status_words};
use crate::AppState;
use crate::api::{self, LocateParams};
use crate::extract::Client;
use crate::i18n::Lang;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/locator", get(locator_page))
}

fn too_vague(c: &Ctx, raw: &LocateParams) -> Markup {
    let parts: Vec<&str> = api::missing_parts(raw)
        .into_iter()
        .map(|p| match p {
            "family" => c.t("add_family"),
            "given" => c.t("add_given"),
            _ => c.t("add_country_or_dob"),
        })
        .collect();
    html! { (c.t("too_vague")) " " (parts.join(&format!(" {} ", c.t("and")))) "." }
}

async fn locator_page(
    State(st): State<AppState>,
    Client(client): Client,
    uri: Uri,
    mut c: Ctx,
) -> Response {
    let raw = match axum::extract::Query::<LocateParams>::try_from_uri(&uri) {
        Ok(q) => q.0,
        // A query that does not decode shows the empty form, as it always has.
        Err(_) => LocateParams::default(),
    };
    c.path = c.uri.clone();
    let searched = [&raw.family, &raw.given, &raw.country, &raw.dob]
        .iter()
        .any(|x| x.is_some());
    let result = if searched {
        match raw.query() {
            Ok(lq) => Some(api::locator::run_locate(&st, client, None, lq).await),
            Err(e) => Some(Err(e)),
        }
    } else {
        None
    };
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let first = match c.lang {
        Lang::Es => Some("SV"),
        Lang::En => None,
    };
    let countries = custodia_model::country::list(country_lang(c.lang), first);
    // The country field shows the name in the page's language when the query named one.
    let country_value = raw
        .country
        .as_deref()
        .and_then(custodia_model::country::parse)
        .map_or_else(|| v(&raw.country), |cc| country_name(c.lang, cc.as_str()));
    let body = html! {
        p { (c.t("locator_intro")) }
        form method="get" action="/locator" id="locator-form" class="stack" {
            label for="family" { (c.t("family_names")) " " span class="req" { "(" (c.t("required")) ")" } }
            input name="family" id="family" value=(v(&raw.family)) autocomplete="family-name" required;
            label for="given" { (c.t("given_names")) " " span class="req" { "(" (c.t("required")) ")" } }
            input name="given" id="given" value=(v(&raw.given)) autocomplete="given-name" required;
            label for="country" { (c.t("country_of_birth")) }
            input name="country" id="country" list="countries" value=(country_value) autocomplete="off" aria-describedby="country-hint";
            datalist id="countries" { @for (_, name) in &countries { option value=(name) {} } }
            small id="country-hint" { (c.t("country_hint")) }
            label for="dob" { (c.t("date_of_birth")) }
            input name="dob" type="date" id="dob" value=(v(&raw.dob));
            button type="submit" id="locate-submit" { (c.t("search")) }
        }
        @match &result {
            None => {}
            Some(Err(e)) if e.code == "locate_too_vague" => { p class="err" role="alert" id="locate-error" data-code=(e.code) { (too_vague(&c, &raw)) } }
            Some(Err(e)) => { p class="err" role="alert" id="locate-error" data-code=(e.code) { (error_text(c.lang, e)) } }
            Some(Ok(hits)) if hits.is_empty() => { p id="no-results" role="status" { (c.t("no_results")) } }
            Some(Ok(hits)) => {
                p role="status" { (c.t("results_note")) }
                ol id="hits" class="cards" {
                    @for h in hits {
                        li class="card hit" {
                            h2 { (h.given_names) " " (h.family_names) }
                            p class="match" { strong { @match h.match_kind {
                                crate::locator::MatchKind::Exact => (c.t("match_exact")),
                                crate::locator::MatchKind::Close => (c.t("match_close")),
                            } } }
                            dl {
                                dt { (c.t("country_of_birth")) } dd { (h.country_of_birth.as_deref().map(|x| country_name(c.lang, x)).unwrap_or_else(|| "—".into())) }
                                dt { (c.t("year_of_birth")) } dd { (h.year_of_birth.map(|y| y.to_string()).unwrap_or_else(|| "—".into())) }
                                dt { (c.t("status")) } dd class="status" {
                                    @if h.arrival_confirmed == Some(false) { (c.t("arrival_unconfirmed")) }
                                    @else { (status_words(&c, h.status)) }
                                    @if let Some(d) = &h.since { " " small { "(" (c.t("since")) " " (d) ")" } }
                                }
                                dt { (c.t("facility")) } dd class="facility" { (h.facility_name.clone().or_else(|| h.facility_id.clone()).unwrap_or_else(|| "—".into())) }
                                @if let Some(cc) = &h.country { dt { (c.t("country_now")) } dd class="country-now" { (country_name(c.lang, cc)) } }
                                @if let Some(g) = &h.custodian { dt { (c.t("custodian")) } dd class="custodian" { (c.t("government_of")) " " (government_name(c.lang, g)) } }
                                @if let Some(d) = &h.transferred_on { dt { (c.t("transferred_on")) } dd class="transferred-on" { time datetime=(d) { (d) } } }
                            }
                            @if let Some(k) = &h.contact {
                                details class="contact" open {
                                    summary { (c.t("contact")) }
                                    dl {
                                        @if let Some(x) = &k.visiting { dt { (c.t("visiting")) } dd { (x) } }
                                        @if let Some(x) = &k.consular { dt { (c.t("consular")) } dd { (x) } }
                                        @if let Some(x) = &k.counsel_access { dt { (c.t("counsel_access")) } dd { (x) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = match &result {
        Some(Err(e)) => e.status,
        _ => StatusCode::OK,
    };
    page(&c, status, c.t("locator"), body)
}

/// A country's name after "the government of": English puts "the" before the names that
/// take it ("the government of the United States"); Spanish writes them bare.
fn government_name(l: Lang, code: &str) -> String {
    let name = country_name(l, code);
    let takes_the = [
        "United ",
        "Dominican Republic",
        "Philippines",
        "Netherlands",
        "Bahamas",
        "Gambia",
        "Central African Republic",
        "Czech Republic",
        "Democratic Republic",
        "Marshall Islands",
        "Solomon Islands",
        "Maldives",
        "Comoros",
    ];
    if l == Lang::En && takes_the.iter().any(|t| name.starts_with(t)) {
        format!("the {name}")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_united_states_takes_the_article_in_english_only() {
        assert_eq!(government_name(Lang::En, "US"), "the United States");
        assert_eq!(government_name(Lang::En, "SV"), "El Salvador");
        assert_eq!(government_name(Lang::Es, "US"), "Estados Unidos");
    }
}
