//! A seeded Monte Carlo forecast of occupancy and cost under an agreement.

use jiff::civil::Date;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson};
use rust_decimal::Decimal;
use serde::Serialize;
use thiserror::Error;

use crate::agreement::{Agreement, split_amount};
use crate::calendar::{Month, day_number, from_day_number};
use crate::money::ser_money;
use crate::stays::Stay;

/// What to forecast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastParams {
    /// Beds at the facility.
    pub capacity: u32,
    /// The first forecast month; the history is read up to the day before it.
    pub start_month: Month,
    /// How many months to forecast (at most 1200).
    pub months: u32,
    /// Monte Carlo runs (1 to 1,000,000).
    pub runs: u32,
    pub seed: u64,
    /// How many days of history, counted back from the day before `start_month`, the
    /// rates are estimated from (365 by [`ForecastParams::new`]).
    pub window_days: u32,
}

impl ForecastParams {
    /// Parameters with the default one-year estimation window.
    pub fn new(capacity: u32, start_month: Month, months: u32, runs: u32, seed: u64) -> Self {
        ForecastParams {
            capacity,
            start_month,
            months,
            runs,
            seed,
            window_days: 365,
        }
    }
}

/// The 10th, 50th and 90th percentiles over the runs (nearest rank, so each is a value some
/// run actually produced, and `p10 <= p50 <= p90`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Percentiles<T> {
    pub p10: T,
    pub p50: T,
    pub p90: T,
}

/// Percentiles of money, written as strings with two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MoneyPercentiles {
    #[serde(serialize_with = "ser_money")]
    pub p10: Decimal,
    #[serde(serialize_with = "ser_money")]
    pub p50: Decimal,
    #[serde(serialize_with = "ser_money")]
    pub p90: Decimal,
}

/// Arrivals observed in one calendar month of the estimation window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthArrivals {
    pub month: Month,
    pub arrivals: u64,
    /// Days of this month inside the window (a window rarely starts on the 1st).
    pub observed_days: u32,
}

/// The rates fitted from the history, shown so a reader can judge the forecast.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForecastModel {
    /// First and last day of the estimation window (`None`: no usable history).
    pub observed_from: Option<Date>,
    pub observed_to: Date,
    /// Persons present at the census of `observed_to`: the forecast's starting point.
    pub initial_census: u64,
    /// Mean arrivals per day over the window.
    pub daily_arrival_rate: f64,
    /// Releases per person-day at risk over the window.
    pub daily_release_hazard: f64,
    pub monthly_arrivals: Vec<MonthArrivals>,
}

/// One forecast month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForecastMonth {
    pub month: Month,
    pub person_days: Percentiles<u64>,
    /// Census on the month's last day.
    pub occupancy_end: Percentiles<u64>,
    /// Highest census of the month.
    pub occupancy_peak: Percentiles<u64>,
    /// Billed under the agreement's rates and reservation (days outside it cost nothing).
    pub cost: MoneyPercentiles,
}

/// The forecast. See [`forecast`] for the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    pub agreement: String,
    pub currency: String,
    pub capacity: u32,
    pub reserved_beds: Option<u32>,
    pub runs: u32,
    pub seed: u64,
    pub model: ForecastModel,
    pub months: Vec<ForecastMonth>,
    /// First day the census exceeds `capacity`, over the runs: `p10` is the early date
    /// (10% of runs have run out by then), `p90` the late one; `None` where that share of
    /// runs never ran out within the horizon (`None` sorts after every date).
    pub capacity_exceeded: Percentiles<Option<Date>>,
    /// Runs in which the census exceeded `capacity` at some point.
    pub runs_exceeding_capacity: u32,
    /// The same for `reserved_beds` (`None` when the agreement reserves none).
    pub reserved_beds_exceeded: Option<Percentiles<Option<Date>>>,
    pub runs_exceeding_reserved_beds: u32,
}

/// Why a forecast could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ForecastError {
    #[error("`runs` is {0} (expected 1 to 1000000)")]
    Runs(u32),
    #[error("`months` is {0} (expected at most 1200)")]
    Months(u32),
    #[error(
        "the forecast runs past year 9999 (expected a `start_month` and `months` within the calendar)"
    )]
    Calendar,
}

/// Forecasts occupancy and cost at `agreement.facility_id` per month from
/// `params.start_month`, by a seeded Monte Carlo.
///
/// The model and its assumptions:
/// - **History.** Only stays at the agreement's facility admitted before `start_month`
///   count; releases on or after its first day are treated as not yet known (the person
///   is still held). The starting census is the census of the day before `start_month`.
/// - **Arrivals** are a Poisson process with a constant daily rate: arrivals in the window
///   (the last `window_days` days before `start_month`, or since the first admission
///   when the history is shorter) divided by the window's length. No trend, no
///   seasonality, no flights: a month's arrivals are Poisson with the window's mean.
/// - **Releases** follow a constant per-person daily hazard (an exponential length of
///   stay): releases in the window divided by person-days at risk in the window (the
///   maximum-likelihood estimate, with people still held counted as censored). Each day
///   each person present is released independently with that probability (a binomial
///   draw), then the day's arrivals are added.
/// - **Demand is not capped.** The simulated census is demand: it may exceed `capacity`,
///   and the forecast reports when it first does (`capacity_exceeded`) rather than
///   turning people away. Likewise `reserved_beds_exceeded` is the first day someone is
///   billed above the reservation.
/// - **Cost** is each simulated day billed exactly as [`crate::invoice`] would: the
///   agreement's dated rates, reservation and over-reservation rate, nothing outside
///   `start..=end`. Rates are not extrapolated.
/// - **Percentiles** are per month and per quantity across runs (nearest rank), so the
///   p50 of cost need not come from the run giving the p50 of occupancy.
/// - **Determinism.** Run `i` draws from ChaCha8 seeded with `seed` on stream `i`; the
///   same inputs and seed give the same forecast (the floating-point samplers of
///   `rand_distr` are used on one build; results could differ across platforms in the
///   last bits of `ln`/`exp`).
pub fn forecast(
    history: &[Stay],
    agreement: &Agreement,
    params: &ForecastParams,
) -> Result<Forecast, ForecastError> {
    if params.runs == 0 || params.runs > 1_000_000 {
        return Err(ForecastError::Runs(params.runs));
    }
    if params.months > 1200 {
        return Err(ForecastError::Months(params.months));
    }
    let model = fit(history, agreement, params);

    // The horizon: months and their day numbers.
    let mut months = Vec::with_capacity(params.months as usize);
    let mut m = params.start_month;
    for i in 0..params.months {
        months.push(m);
        if i + 1 < params.months {
            m = m.next().ok_or(ForecastError::Calendar)?;
        }
    }
    let d0 = day_number(params.start_month.first_day());
    let n_days: usize = months.iter().map(|m| m.days() as usize).sum();
    // Each day's (rate, month index); rate `None` when the day is not billed.
    let mut day_rate: Vec<Option<Decimal>> = Vec::with_capacity(n_days);
    let mut day_month: Vec<usize> = Vec::with_capacity(n_days);
    for (mi, m) in months.iter().enumerate() {
        for k in 0..m.days() {
            let date = from_day_number(day_number(m.first_day()) + k as i32);
            let rate = if agreement.in_force(date) {
                agreement.rate_on(date).map(|r| r.per_person_day)
            } else {
                None
            };
            day_rate.push(rate);
            day_month.push(mi);
        }
    }

    let runs = params.runs as usize;
    let n_months = months.len();
    // Per month, per run: [month][run].
    let mut pd = vec![vec![0u64; runs]; n_months];
    let mut end = vec![vec![0u64; runs]; n_months];
    let mut peak = vec![vec![0u64; runs]; n_months];
    let mut cost = vec![vec![Decimal::ZERO; runs]; n_months];
    let mut cap_day: Vec<Option<i32>> = vec![None; runs];
    let mut res_day: Vec<Option<i32>> = vec![None; runs];

    let arrivals = if model.daily_arrival_rate > 0.0 {
        Poisson::new(model.daily_arrival_rate).ok()
    } else {
        None
    };
    let h = model.daily_release_hazard;
    let capacity = u64::from(params.capacity);
    let reserved = agreement.reserved_beds.map(u64::from);

    for run in 0..runs {
        let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
        rng.set_stream(run as u64);
        let mut census = model.initial_census;
        for day in 0..n_days {
            if census > 0 && h > 0.0 {
                let released = Binomial::new(census, h).map_or(0, |b| b.sample(&mut rng));
                census -= released.min(census);
            }
            if let Some(p) = &arrivals {
                let a: f64 = p.sample(&mut rng);
                census += a as u64;
            }
            let mi = day_month[day];
            pd[mi][run] += census;
            peak[mi][run] = peak[mi][run].max(census);
            end[mi][run] = census;
            if let Some(rate) = day_rate[day]
                && census > 0
            {
                cost[mi][run] += split_amount(
                    census,
                    rate,
                    agreement.reserved_beds,
                    agreement.over_reserved_per_person_day,
                );
            }
            let d = d0 + day as i32;
            if cap_day[run].is_none() && census > capacity {
                cap_day[run] = Some(d);
            }
            if res_day[run].is_none() && reserved.is_some_and(|r| census > r) {
                res_day[run] = Some(d);
            }
        }
    }

    let out_months = months
        .iter()
        .enumerate()
        .map(|(mi, m)| {
            let c = percentiles(&mut cost[mi]);
            ForecastMonth {
                month: *m,
                person_days: percentiles(&mut pd[mi]),
                occupancy_end: percentiles(&mut end[mi]),
                occupancy_peak: percentiles(&mut peak[mi]),
                cost: MoneyPercentiles {
                    p10: c.p10,
                    p50: c.p50,
                    p90: c.p90,
                },
            }
        })
        .collect();

    let runs_exceeding_capacity = cap_day.iter().filter(|d| d.is_some()).count() as u32;
    let runs_exceeding_reserved_beds = res_day.iter().filter(|d| d.is_some()).count() as u32;
    Ok(Forecast {
        agreement: agreement.id.clone(),
        currency: agreement.currency.clone(),
        capacity: params.capacity,
        reserved_beds: agreement.reserved_beds,
        runs: params.runs,
        seed: params.seed,
        model,
        months: out_months,
        capacity_exceeded: date_percentiles(&mut cap_day),
        runs_exceeding_capacity,
        reserved_beds_exceeded: agreement
            .reserved_beds
            .map(|_| date_percentiles(&mut res_day)),
        runs_exceeding_reserved_beds,
    })
}

/// Nearest-rank percentiles; sorts `v` in place. `v` is never empty (runs >= 1).
fn percentiles<T: Ord + Copy + Default>(v: &mut [T]) -> Percentiles<T> {
    v.sort_unstable();
    let at = |p: usize| {
        let n = v.len();
        let rank = (p * n).div_ceil(100).max(1);
        v.get(rank - 1).copied().unwrap_or_default()
    };
    Percentiles {
        p10: at(10),
        p50: at(50),
        p90: at(90),
    }
}

/// Percentiles of first-exceeded days, `None` (never) sorting last.
fn date_percentiles(v: &mut [Option<i32>]) -> Percentiles<Option<Date>> {
    let mut keyed: Vec<i64> = v.iter().map(|d| d.map_or(i64::MAX, i64::from)).collect();
    let p = percentiles(&mut keyed);
    let back = |k: i64| {
        if k == i64::MAX {
            None
        } else {
            i32::try_from(k).ok().map(from_day_number)
        }
    };
    Percentiles {
        p10: back(p.p10),
        p50: back(p.p50),
        p90: back(p.p90),
    }
}

/// Estimates the arrival rate and release hazard (see [`forecast`]).
fn fit(history: &[Stay], agreement: &Agreement, params: &ForecastParams) -> ForecastModel {
    let c = day_number(params.start_month.first_day());
    let last = c - 1;
    let stays: Vec<(i32, i32)> = history
        .iter()
        .filter(|s| s.facility_id == agreement.facility_id)
        .map(Stay::census_range)
        .filter(|(first, _)| *first <= last)
        .collect();
    let initial_census = stays
        .iter()
        .filter(|(f, e)| *f <= last && last < *e)
        .count() as u64;
    let observed_to = from_day_number(last);
    let Some(earliest) = stays.iter().map(|(f, _)| *f).min() else {
        return ForecastModel {
            observed_from: None,
            observed_to,
            initial_census,
            daily_arrival_rate: 0.0,
            daily_release_hazard: 0.0,
            monthly_arrivals: Vec::new(),
        };
    };
    let w0 = earliest.max(last - params.window_days as i32);
    // Transitions observed: from the census of day d to that of d + 1, d in [w0, last).
    let transitions = i64::from(last - w0);
    let mut exposure: i64 = 0;
    let mut releases: i64 = 0;
    let mut arrivals: i64 = 0;
    let mut monthly: Vec<MonthArrivals> = Vec::new();
    // Months of the window's arrival days [w0 + 1, last].
    if transitions > 0 {
        let mut m = Month::containing(from_day_number(w0 + 1));
        loop {
            let (a, b) = (
                day_number(m.first_day()).max(w0 + 1),
                day_number(m.last_day()).min(last),
            );
            monthly.push(MonthArrivals {
                month: m,
                arrivals: 0,
                observed_days: (b - a + 1) as u32,
            });
            match m.next() {
                Some(n) if day_number(n.first_day()) <= last => m = n,
                _ => break,
            }
        }
    }
    let m_first = monthly.first().map(|m| m.month);
    for &(f, e) in &stays {
        let (a, b) = (f.max(w0), e.min(last));
        if a < b {
            exposure += i64::from(b - a);
        }
        if e > w0 && e <= last {
            releases += 1;
        }
        if f > w0 && f <= last {
            arrivals += 1;
            if let Some(first) = m_first {
                let m = Month::containing(from_day_number(f));
                let idx = months_between(first, m);
                if let Some(slot) = monthly.get_mut(idx) {
                    slot.arrivals += 1;
                }
            }
        }
    }
    let daily_arrival_rate = if transitions > 0 {
        arrivals as f64 / transitions as f64
    } else {
        0.0
    };
    let daily_release_hazard = if exposure > 0 {
        (releases as f64 / exposure as f64).min(1.0)
    } else {
        0.0
    };
    ForecastModel {
        observed_from: Some(from_day_number(w0)),
        observed_to,
        initial_census,
        daily_arrival_rate,
        daily_release_hazard,
        monthly_arrivals: monthly,
    }
}

fn months_between(a: Month, b: Month) -> usize {
    let (da, db) = (a.first_day(), b.first_day());
    let n = (i32::from(db.year()) - i32::from(da.year())) * 12 + i32::from(db.month())
        - i32::from(da.month());
    n.max(0) as usize
}
