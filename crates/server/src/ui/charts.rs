//! Charts drawn here as SVG: the occupancy heat map and the population bars.

use std::collections::BTreeMap;

use custodia_store::queries::{CellRow, Count};
use maud::{Markup, html};

use super::chrome::fmt_int;
use crate::i18n::{Lang, t};

/// The colour of a cell by floor space per person against the 3.4 m² minimum (ICRC,
/// "Water, sanitation, hygiene and habitat in prisons", 2005/2012: 3.4 m² per person in
/// shared cells).
pub fn cell_colour(m2: Option<f64>) -> &'static str {
    // INVARIANT: green exactly when the standards report does not count the cell as below
    // standard (`custodia_housing` compares `m2 < min_m2_per_person`), so the heat map and
    // `custodia report standards` always agree.
    let min = custodia_housing::SpaceStandard::icrc_2012().min_m2_per_person;
    match m2 {
        None => "#e0e0e0",
        Some(x) if x >= min => "#2b9348",
        Some(x) if x >= 2.0 => "#f4a261",
        Some(x) if x >= 1.0 => "#e76f51",
        Some(_) => "#9d0208",
    }
}

/// The heat map: one row per pavilion, one square per cell.
pub fn heat_map(c: &ImplLang, cells: &[CellRow]) -> Markup {
    let mut by_pav: BTreeMap<&str, Vec<&CellRow>> = BTreeMap::new();
    for cell in cells {
        by_pav.entry(cell.pavilion.as_str()).or_default().push(cell);
    }
    let cols = by_pav.values().map(Vec::len).max().unwrap_or(1).max(1);
    let (sq, gap, left) = (14usize, 2usize, 90usize);
    let w = left + cols * (sq + gap) + 10;
    let h = by_pav.len() * (sq + gap + 4) + 100;
    let legend = [
        ("legend_empty", None),
        ("legend_ok", Some(4.0)),
        ("legend_low", Some(3.0)),
        ("legend_bad", Some(1.5)),
        ("legend_worst", Some(0.5)),
    ];
    let rows_h = by_pav.len() * (sq + gap + 4);
    html! {
        svg xmlns="http://www.w3.org/2000/svg" width=(w) height=(h) viewBox={ "0 0 " (w) " " (h) } role="img" id="heatmap" aria-label=(t(c.0, "occupancy")) {
            @for (i, (pav, cs)) in by_pav.iter().enumerate() {
                @let y = i * (sq + gap + 4);
                text x="0" y=(y + sq - 2) font-size="11" { (t(c.0, "pavilion")) " " (pav) }
                @for (j, cell) in cs.iter().enumerate() {
                    rect class="cell" x=(left + j * (sq + gap)) y=(y) width=(sq) height=(sq) fill=(cell_colour(cell.m2_per_person)) {
                        title { (cell.id) ": " (cell.occupants) " / " (format!("{:.0}", cell.area_m2)) " m²"
                            @if let Some(m) = cell.m2_per_person { " = " (format!("{m:.2}")) " m²" } }
                    }
                }
            }
            @for (k, (key, v)) in legend.iter().enumerate() {
                @let x = (k % 3) * 170;
                @let y = rows_h + 10 + (k / 3) * 20;
                rect class="legend" x=(x) y=(y) width="12" height="12" fill=(cell_colour(*v)) {}
                text x=(x + 16) y=(y + 11) font-size="11" { (t(c.0, key)) }
            }
        }
    }
}

/// A language wrapper for chart helpers.
pub struct ImplLang(pub Lang);

/// Horizontal bars, one per nationality (the top 12).
pub fn bar_chart(c: &ImplLang, counts: &[Count]) -> Markup {
    let cl = c.0;
    let top: Vec<&Count> = counts.iter().take(12).collect();
    let max = top.iter().map(|c| c.count).max().unwrap_or(1).max(1);
    let (bar_h, left, width) = (18usize, 40usize, 320usize);
    let h = top.len() * (bar_h + 4) + 4;
    html! {
        @let alt = format!("{}: {}", t(c.0, "population"), top.iter().map(|x| format!("{} {}", x.key, fmt_int(c.0, x.count))).collect::<Vec<_>>().join(", "));
        svg xmlns="http://www.w3.org/2000/svg" width=(left + width + 60) height=(h) viewBox={ "0 0 " (left + width + 60) " " (h) } role="img" id="population" aria-label=(alt) {
            title { (alt) }
            @for (i, c) in top.iter().enumerate() {
                @let lang = cl;
                @let y = i * (bar_h + 4);
                @let w = ((c.count as f64 / max as f64) * width as f64).round().max(1.0) as usize;
                text x="0" y=(y + 13) font-size="12" { (c.key) }
                rect class="bar" x=(left) y=(y) width=(w) height=(bar_h) fill="#457b9d" {}
                text x=(left + w + 4) y=(y + 13) font-size="12" { (fmt_int(lang, c.count)) }
            }
        }
    }
}
