//! Locator benchmark: build time, memory, recall@1/@5 per noise type beside exact matching
//! after accent folding (the US locator's behaviour), query latency, and score calibration.
//!
//! `cargo run --release -p custodia-linkage --example locator_bench -- [--persons N]
//!  [--per-noise K] [--seed S] [--calibrate]`

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use custodia_linkage::locator::synth::{QueryNoise, population, queries};
use custodia_linkage::locator::{
    LocatorEntry, LocatorIndex, MIN_SCORE, SCORE_PRIOR, exact_folded_match,
};
use custodia_linkage::names::fold;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default, Clone, Copy)]
struct Tally {
    n: usize,
    /// Expected hits at rank 1 of an oracle that ranks the target among the persons of the
    /// country with the same name words (and date of birth, when the query gives one),
    /// those arranged as the query types them first, ties in random order.
    best1: f64,
    /// The same within the top 5.
    best5: f64,
    fuzzy1: usize,
    fuzzy5: usize,
    exact1: usize,
    exact5: usize,
    empty: usize,
}

/// Resident set size (Linux `/proc/self/statm`, 4 KiB pages), 0 elsewhere.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|x| x.parse::<f64>().ok())
        })
        .map_or(0.0, |pages| pages * 4096.0 / (1024.0 * 1024.0))
}

fn pct(a: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { a as f64 / n as f64 }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let persons = arg(&args, "--persons", 100_000) as usize;
    let per_noise = arg(&args, "--per-noise", 500) as usize;
    let seed = arg(&args, "--seed", 42);
    let calibrate = args.iter().any(|a| a == "--calibrate");
    let misses = args.iter().any(|a| a == "--misses");
    let today = jiff::civil::date(2025, 6, 1);

    if args.iter().any(|a| a == "--memory") {
        // Resident set of generating the persons and indexing them (the generator's own
        // leftovers included): an upper bound on the index's footprint.
        let rss0 = rss_mib();
        let idx = LocatorIndex::build(population(seed, persons, today));
        println!(
            "{} persons: resident set growth {:.1} MiB (index estimate {:.1} MiB)",
            idx.len(),
            rss_mib() - rss0,
            idx.memory_bytes() as f64 / (1024.0 * 1024.0)
        );
        return;
    }
    let t = Instant::now();
    let people = population(seed, persons, today);
    eprintln!("generated {} persons in {:.2?}", people.len(), t.elapsed());

    let entries = people.clone();
    let t = Instant::now();
    let idx = LocatorIndex::build(entries);
    let build = t.elapsed();
    println!(
        "index: {} persons, build {:.2?}, memory estimate {:.1} MiB",
        idx.len(),
        build,
        idx.memory_bytes() as f64 / (1024.0 * 1024.0),
    );

    let qs = queries(seed + 1, &people, per_noise, today);
    // The baseline: exact match after folding (the US locator's answer set), through a map
    // from (country, folded family names, folded given names); `exact_folded_match` then
    // checks the date of birth too.
    let t = Instant::now();
    let mut exact_key: HashMap<(String, String, String), Vec<&LocatorEntry>> = HashMap::new();
    for e in &people {
        if let Some(c) = e.country_of_birth.as_deref() {
            exact_key
                .entry((c.to_string(), fold(&e.family_names), fold(&e.given_names)))
                .or_default()
                .push(e);
        }
    }
    eprintln!("baseline map built in {:.2?}", t.elapsed());

    // Who could be told apart at all: (country, name word) -> persons.
    let words_of = |e: &LocatorEntry| -> Vec<String> {
        let mut w = custodia_linkage::names::tokens(&e.family_names);
        w.extend(custodia_linkage::names::tokens(&e.given_names));
        w
    };
    let mut by_word: HashMap<(String, String), Vec<usize>> = HashMap::new();
    let mut person_words: Vec<Vec<String>> = Vec::with_capacity(people.len());
    let mut slot_of: HashMap<&str, usize> = HashMap::new();
    for (k, e) in people.iter().enumerate() {
        let w = words_of(e);
        let c = e.country_of_birth.clone().unwrap_or_default();
        for x in &w {
            by_word.entry((c.clone(), x.clone())).or_default().push(k);
        }
        person_words.push(w);
        slot_of.insert(e.person_id.as_str(), k);
    }
    // Persons no query can tell from the target: same country, the same name words (in any
    // order and field), and the same date of birth when the query gives a date. The oracle
    // reads the query as typed, order included: among them, those whose names are arranged
    // as the query arranges them (each field's words in the query's order) rank first. A
    // query of a kind that moves the names (family names moved, given and family swapped)
    // puts the target's own arrangement below its namesakes arranged as typed; a kind that
    // drops a name leaves one tier. Returns the oracle's expected hits at rank 1 and in the
    // top 5.
    let arrangement = |k: usize| -> (Vec<String>, Vec<String>) {
        (
            custodia_linkage::names::tokens(&people[k].family_names),
            custodia_linkage::names::tokens(&people[k].given_names),
        )
    };
    let oracle = |nq: &custodia_linkage::locator::synth::NoisyQuery| -> (f64, f64, usize) {
        let Some(&t) = slot_of.get(nq.person_id.as_str()) else {
            return (1.0, 1.0, 1);
        };
        let target = &people[t];
        let mut tw = person_words[t].clone();
        tw.sort();
        let c = target.country_of_birth.clone().unwrap_or_default();
        let Some(list) = tw
            .iter()
            .filter_map(|w| by_word.get(&(c.clone(), w.clone())))
            .min_by_key(|l| l.len())
        else {
            return (1.0, 1.0, 1);
        };
        let namesakes: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&k| {
                let mut w = person_words[k].clone();
                w.sort();
                w == tw
                    && (nq.query.dob.is_none() || people[k].date_of_birth == target.date_of_birth)
                    && custodia_linkage::locator::publicly_visible(&people[k], today)
            })
            .collect();
        let k = namesakes.len().max(1);
        let (fam, giv) = arrangement(t);
        let typed = match nq.noise {
            QueryNoise::FirstFamilyOnly
            | QueryNoise::SecondFamilyOnly
            | QueryNoise::MiddleNameDropped
            | QueryNoise::FirstFamilyTypoNoAccents => None,
            QueryNoise::FamilyNamesMoved | QueryNoise::MovedNoAccentsNoDob => {
                let mut f = fam.clone();
                if f.len() >= 2 {
                    f.swap(0, 1);
                }
                Some((f, giv.clone()))
            }
            QueryNoise::GivenFamilySwapped => Some((giv.clone(), fam.clone())),
            _ => Some((fam.clone(), giv.clone())),
        };
        let Some(typed) = typed else {
            return (1.0 / k as f64, (5.0 / k as f64).min(1.0), k);
        };
        // Only the first two words of each field carry order for the locator.
        let head = |v: &[String]| v.iter().take(2).cloned().collect::<Vec<_>>();
        let as_typed = |k: usize| {
            let (f, g) = arrangement(k);
            head(&f) == head(&typed.0) && head(&g) == head(&typed.1)
        };
        let above: usize = namesakes.iter().filter(|&&x| x != t && as_typed(x)).count();
        let tier = if as_typed(t) {
            above + 1
        } else {
            namesakes.len().saturating_sub(above).max(1)
        };
        let above = if as_typed(t) { 0 } else { above };
        let best1 = if above > 0 { 0.0 } else { 1.0 / tier as f64 };
        let best5 = if above >= 5 {
            0.0
        } else {
            ((5 - above) as f64 / tier as f64).min(1.0)
        };
        (best1, best5, k)
    };
    let mut tallies: BTreeMap<QueryNoise, Tally> = BTreeMap::new();
    let mut lat: Vec<f64> = Vec::with_capacity(qs.len());
    let mut cpu_lat: Vec<f64> = Vec::with_capacity(qs.len());
    let mut calib: Vec<(f64, bool)> = Vec::new();
    for nq in &qs {
        let t = Instant::now();
        let hits = idx.search(&nq.query, today);
        let first = t.elapsed().as_secs_f64() * 1e3;
        lat.push(first);
        // The fastest of three runs: the query's own cost, without the time the scheduler
        // gave to other processes (a shared machine preempts a 1 ms query often).
        let mut fastest = first;
        for _ in 0..2 {
            let t = Instant::now();
            let again = idx.search(&nq.query, today);
            fastest = fastest.min(t.elapsed().as_secs_f64() * 1e3);
            std::hint::black_box(again);
        }
        cpu_lat.push(fastest);
        if misses && hits.first().is_none_or(|h| h.person_id != nq.person_id) {
            let truth = people.iter().find(|e| e.person_id == nq.person_id);
            eprintln!(
                "MISS {:?}\n  query {:?}\n  truth {:?}\n  hits {:?}",
                nq.noise, nq.query, truth, hits
            );
        }
        let tally = tallies.entry(nq.noise).or_default();
        tally.n += 1;
        let (best1, best5, k) = oracle(nq);
        // A target the oracle would place in the top 5 that we did not: the part of the
        // recall@5 gap that ranking or candidates could close.
        if misses && best5 >= 1.0 && !hits.iter().take(5).any(|h| h.person_id == nq.person_id) {
            let truth = people.iter().find(|e| e.person_id == nq.person_id);
            eprintln!(
                "MISS5 {:?} namesakes {k} hits {}\n  query {:?}\n  truth {:?}\n  hits {:?}",
                nq.noise,
                hits.len(),
                nq.query,
                truth,
                hits
            );
        }
        tally.best1 += best1;
        tally.best5 += best5;
        if hits.is_empty() {
            tally.empty += 1;
        }
        if hits.first().is_some_and(|h| h.person_id == nq.person_id) {
            tally.fuzzy1 += 1;
        }
        if hits.iter().take(5).any(|h| h.person_id == nq.person_id) {
            tally.fuzzy5 += 1;
        }
        for h in &hits {
            calib.push((h.score, h.person_id == nq.person_id));
        }
        let key = (
            nq.query.country.clone(),
            fold(&nq.query.family),
            fold(nq.query.given.as_deref().unwrap_or_default()),
        );
        let exact: Vec<&&LocatorEntry> = exact_key
            .get(&key)
            .map(|v| {
                v.iter()
                    .filter(|e| exact_folded_match(e, &nq.query))
                    .collect()
            })
            .unwrap_or_default();
        if exact.first().is_some_and(|e| e.person_id == nq.person_id) {
            tally.exact1 += 1;
        }
        if exact.iter().take(5).any(|e| e.person_id == nq.person_id) {
            tally.exact5 += 1;
        }
    }

    println!(
        "\n| noise | queries | recall@1 | best possible @1 | recall@5 | best possible @5 | exact-folded @1 | exact-folded @5 | no result |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut all = Tally::default();
    for (noise, t) in &tallies {
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            noise.label(),
            t.n,
            pct(t.fuzzy1, t.n),
            t.best1 / t.n.max(1) as f64,
            pct(t.fuzzy5, t.n),
            t.best5 / t.n.max(1) as f64,
            pct(t.exact1, t.n),
            pct(t.exact5, t.n),
            pct(t.empty, t.n)
        );
        all.n += t.n;
        all.best1 += t.best1;
        all.best5 += t.best5;
        all.fuzzy1 += t.fuzzy1;
        all.fuzzy5 += t.fuzzy5;
        all.exact1 += t.exact1;
        all.exact5 += t.exact5;
        all.empty += t.empty;
    }
    println!(
        "| **all** | {} | **{:.3}** | {:.3} | **{:.3}** | {:.3} | {:.3} | {:.3} | {:.3} |",
        all.n,
        pct(all.fuzzy1, all.n),
        all.best1 / all.n.max(1) as f64,
        pct(all.fuzzy5, all.n),
        all.best5 / all.n.max(1) as f64,
        pct(all.exact1, all.n),
        pct(all.exact5, all.n),
        pct(all.empty, all.n)
    );

    cpu_lat.sort_by(f64::total_cmp);
    if !cpu_lat.is_empty() {
        let q = |p: f64| cpu_lat[((cpu_lat.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "\nfastest of three runs per query: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            q(0.5),
            q(0.9),
            q(0.99),
            q(1.0)
        );
    }
    lat.sort_by(f64::total_cmp);
    let q = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];
    println!(
        "\nlatency over {} queries (one thread): p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        lat.len(),
        q(0.5),
        q(0.9),
        q(0.99),
        q(1.0)
    );

    println!("\ncalibration (every hit shown; score bin -> share that is the person meant):");
    println!("| score | hits | mean score | correct |");
    println!("|---|---:|---:|---:|");
    let bins = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.01];
    for w in bins.windows(2) {
        let in_bin: Vec<&(f64, bool)> = calib
            .iter()
            .filter(|(s, _)| *s >= w[0] && *s < w[1])
            .collect();
        if in_bin.is_empty() {
            continue;
        }
        let mean = in_bin.iter().map(|x| x.0).sum::<f64>() / in_bin.len() as f64;
        let ok = in_bin.iter().filter(|x| x.1).count();
        println!(
            "| [{:.2}, {:.2}) | {} | {:.3} | {:.3} |",
            w[0],
            w[1].min(1.0),
            in_bin.len(),
            mean,
            pct(ok, in_bin.len())
        );
    }

    // Vague queries: the commonest family names alone, no given name, no date of birth.
    let t = Instant::now();
    let mut shown = 0;
    for fam in ["Hernández", "García", "López", "Martínez"] {
        for c in ["SV", "HN", "GT"] {
            let q = custodia_linkage::locator::LocatorQuery {
                family: fam.into(),
                given: None,
                country: c.into(),
                dob: None,
                limit: 10,
            };
            shown += idx.search(&q, today).len();
        }
    }
    println!(
        "\nvague queries (4 common family names alone x 3 countries, limit 10): {shown} hits shown in total, {:.2?}",
        t.elapsed()
    );

    if calibrate {
        println!(
            "\nprior sweep (log loss and Brier score of every hit shown; recall@5 at the floor):"
        );
        for prior in [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0] {
            for floor in [0.01, 0.02, 0.05] {
                let (mut ll, mut brier, mut n, mut r5) = (0.0, 0.0, 0usize, 0usize);
                for nq in &qs {
                    let hits = idx.search_with_prior(&nq.query, today, prior, floor);
                    if hits.iter().any(|h| h.person_id == nq.person_id) {
                        r5 += 1;
                    }
                    for h in &hits {
                        let y = if h.person_id == nq.person_id {
                            1.0
                        } else {
                            0.0
                        };
                        let p = h.score.clamp(1e-4, 1.0 - 1e-4);
                        ll -= y * p.ln() + (1.0 - y) * (1.0 - p).ln();
                        brier += (p - y) * (p - y);
                        n += 1;
                    }
                }
                println!(
                    "prior {prior:+.1} floor {floor:.2}: log loss {:.4}, Brier {:.4}, recall@5 {:.3}",
                    ll / n.max(1) as f64,
                    brier / n.max(1) as f64,
                    pct(r5, qs.len())
                );
            }
        }
        println!("(current: prior {SCORE_PRIOR:+.1}, floor {MIN_SCORE:.2})");
    }
}
