//! custodia-billing: exact invoices under a custody agreement, what the same person-days
//! would cost under other schemes, and a seeded forecast of occupancy and cost.
//!
//! Pure: no I/O, no clock. Money is [`rust_decimal::Decimal`], dates are
//! [`jiff::civil::Date`]. The main pieces:
//! - [`parse_agreement`] → [`Agreement`] (CONTRACT §6 TOML) and [`parse_stays`] →
//!   [`StaysTable`] (CONTRACT §6 CSV), both with errors naming line and field;
//! - [`invoice`] → [`Invoice`], whose `serde` JSON is CONTRACT §6's output;
//! - [`cost_comparison`] over [`CostParams`] (dated parameters with named sources);
//! - [`forecast`] → [`Forecast`]: a seeded Monte Carlo of occupancy and cost.
//!
//! ```
//! use custodia_billing::{invoice, parse_agreement, parse_stays, Month};
//!
//! let agreement = parse_agreement(r#"
//! id = "A-1"
//! facility_id = "F"
//! currency = "USD"
//! start = "2025-03-01"
//! [[rate]]
//! from = "2025-03-01"
//! per_person_day = "50.00"
//! "#).unwrap();
//! let stays = parse_stays("person_id,facility_id,admitted_on,released_on\n\
//!                          P1,F,2025-03-30,\nP2,F,2025-03-31,2025-03-31\n").unwrap();
//! let month: Month = "2025-03".parse().unwrap();
//! let inv = invoice(&agreement, &stays.stays, month).unwrap();
//! assert_eq!(inv.person_days, 3);
//! assert_eq!(inv.total.to_string(), "150.00");
//! ```

mod agreement;
mod calendar;
mod costs;
mod forecast;
mod invoice;
mod money;
mod stays;

pub use agreement::{Agreement, AgreementError, Rate, parse_agreement};
pub use calendar::{Month, MonthError};
pub use costs::{
    BUILTIN_COST_PARAMS_TOML, CostBasis, CostLine, CostParams, CostParamsError, CostScheme,
    CostValue, cost_comparison,
};
pub use forecast::{
    Forecast, ForecastError, ForecastModel, ForecastMonth, ForecastParams, MoneyPercentiles,
    MonthArrivals, Percentiles, forecast,
};
pub use invoice::{Invoice, InvoiceDay, PersonDays, invoice};
pub use money::format_money;
pub use stays::{Stay, StayConflict, StaysError, StaysTable, check_stays, parse_stays};
