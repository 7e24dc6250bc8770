//! The customer's circle section of the report (docs/SPEC.md §9, issue
//! #23): how D's scored accounts spread over circle sizes, how the
//! in-house `network_influence` compares with the vendors' influence for
//! the accounts in the graph, and the first [`PROSPECT_ROWS`] prospects in
//! their published order. Read from D's committed `social_circle`,
//! `circle_prospects` and (for the vendor scores) `customer_tiers`; a date
//! published before the circle existed has neither table and the section
//! says so.

use chrono::NaiveDate;

use super::charts;
use super::data::{Queries, Query, ReportData};
use super::format::{self, Cell};
use super::html::{figure, section, HtmlTable};
use super::rows::{Columns, FromRow};
use crate::error::Result;
use crate::tables::Output;

/// The circle_size buckets: smallest and largest size (`None`: no limit).
/// circle_sizes.sql names each bucket by its smallest size.
pub const SIZE_BUCKETS: [(i64, Option<i64>); 7] = [
    (0, Some(0)),
    (1, Some(1)),
    (2, Some(4)),
    (5, Some(9)),
    (10, Some(19)),
    (20, Some(49)),
    (50, None),
];
/// Width of an influence band over 0 … 100.
pub const BAND_WIDTH: f64 = 20.0;
/// Influence bands; the last one holds 100 too.
pub const BANDS: usize = 5;
/// Prospects listed, in their published order.
pub const PROSPECT_ROWS: i64 = 20;

const SIZES: Query = (
    "circle_sizes.sql",
    include_str!("../../sql/report/circle_sizes.sql"),
);
const INFLUENCE: Query = (
    "circle_influence.sql",
    include_str!("../../sql/report/circle_influence.sql"),
);
const PROSPECTS: Query = (
    "circle_prospects.sql",
    include_str!("../../sql/report/circle_prospects.sql"),
);

/// Scored accounts of one circle_size bucket (circle_sizes.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct SizeBucket {
    /// The bucket's smallest circle_size.
    pub size_from: i64,
    #[allow(missing_docs)]
    pub accounts: i64,
    /// Accounts with at least one other scored customer in their circle.
    pub with_customers: i64,
}

impl FromRow for SizeBucket {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<SizeBucket> {
        Ok(SizeBucket {
            size_from: c.int("size_from", i)?,
            accounts: c.int("accounts", i)?,
            with_customers: c.int("with_customers", i)?,
        })
    }
}

/// Accounts in the graph of one network × vendor influence band
/// (circle_influence.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct InfluenceCell {
    /// Band of network_influence, 0 … [`BANDS`] − 1.
    pub network_band: i64,
    /// Band of the vendors' influence_norm; `None`: no vendor score.
    pub vendor_band: Option<i64>,
    #[allow(missing_docs)]
    pub accounts: i64,
}

impl FromRow for InfluenceCell {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<InfluenceCell> {
        Ok(InfluenceCell {
            network_band: c.int("network_band", i)?,
            vendor_band: c.int_opt("vendor_band", i)?,
            accounts: c.int("accounts", i)?,
        })
    }
}

/// One of the first prospects of D's `circle_prospects` (circle_prospects.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct Prospect {
    /// Its place in the published order, from 1.
    pub prospect_rank: i64,
    /// Rows of D's circle_prospects (the same in every row).
    pub prospects: i64,
    #[allow(missing_docs)]
    pub handle: String,
    #[allow(missing_docs)]
    pub customers_linked: i64,
    #[allow(missing_docs)]
    pub customers_value: f64,
    #[allow(missing_docs)]
    pub network_influence: Option<f64>,
}

impl FromRow for Prospect {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<Prospect> {
        Ok(Prospect {
            prospect_rank: c.int("prospect_rank", i)?,
            prospects: c.int("prospects", i)?,
            handle: c.text("handle", i)?,
            customers_linked: c.int("customers_linked", i)?,
            customers_value: c.float("customers_value", i)?,
            network_influence: c.float_opt("network_influence", i)?,
        })
    }
}

/// What the section shows of D.
#[derive(Debug, Clone, PartialEq)]
pub struct Circle {
    /// Every bucket of [`SIZE_BUCKETS`], in order (0 accounts included).
    pub sizes: Vec<SizeBucket>,
    /// The network × vendor bands that have accounts.
    pub influence: Vec<InfluenceCell>,
    /// The first [`PROSPECT_ROWS`] prospects.
    pub prospects: Vec<Prospect>,
    /// D's run averaged network_influence into influence_norm (SPEC §9.5):
    /// the vendors' influence cannot be told apart from it.
    pub network_provider: bool,
}

impl Circle {
    /// Scored accounts (rows of social_circle).
    pub fn scored(&self) -> i64 {
        self.sizes.iter().map(|b| b.accounts).sum()
    }

    /// Scored accounts whose handle is in the graph.
    pub fn in_graph(&self) -> i64 {
        self.influence.iter().map(|c| c.accounts).sum()
    }

    /// Accounts in the graph without a vendor influence score.
    pub fn no_vendor_score(&self) -> i64 {
        let none = self.influence.iter().filter(|c| c.vendor_band.is_none());
        none.map(|c| c.accounts).sum()
    }

    /// Rows of D's circle_prospects.
    pub fn prospects_total(&self) -> i64 {
        self.prospects.first().map_or(0, |p| p.prospects)
    }

    /// Accounts of network band `network` and vendor band `vendor`.
    fn count(&self, network: i64, vendor: Option<i64>) -> i64 {
        let cells = self.influence.iter();
        let found = cells.filter(|c| c.network_band == network && c.vendor_band == vendor);
        found.map(|c| c.accounts).sum()
    }
}

/// D's circle, when both of its tables are committed for D.
pub(super) async fn read(
    q: &Queries<'_>,
    date: NaiveDate,
    network_provider: bool,
) -> Result<Option<Circle>> {
    if !q.committed(Output::SocialCircle, date).await?
        || !q.committed(Output::CircleProspects, date).await?
    {
        return Ok(None);
    }
    let found: Vec<SizeBucket> = q.rows(Output::SocialCircle, date, SIZES).await?;
    let sizes = SIZE_BUCKETS
        .iter()
        .map(|&(from, to)| {
            let inside =
                |b: &&SizeBucket| b.size_from >= from && to.is_none_or(|t| b.size_from <= t);
            let rows: Vec<&SizeBucket> = found.iter().filter(inside).collect();
            SizeBucket {
                size_from: from,
                accounts: rows.iter().map(|b| b.accounts).sum(),
                with_customers: rows.iter().map(|b| b.with_customers).sum(),
            }
        })
        .collect();
    let tables = [
        ("t", Output::SocialCircle),
        ("tiers", Output::CustomerTiers),
    ];
    Ok(Some(Circle {
        sizes,
        influence: q.rows_over(&tables, date, INFLUENCE).await?,
        prospects: q.rows(Output::CircleProspects, date, PROSPECTS).await?,
        network_provider,
    }))
}

/// `0`, `1`, `2–4`, …, `50+`.
fn size_label((from, to): (i64, Option<i64>)) -> String {
    match to {
        Some(t) if t == from => from.to_string(),
        Some(t) => format!("{from}–{t}"),
        None => format!("{from}+"),
    }
}

/// `0–20`, …, `80–100` for band `i`.
fn band_label(i: i64) -> String {
    let from = i as f64 * BAND_WIDTH;
    format!("{from}–{}", from + BAND_WIDTH)
}

/// The vendor bands as the grid's columns: no score, then the bands.
fn vendor_bands() -> Vec<Option<i64>> {
    std::iter::once(None)
        .chain((0..BANDS as i64).map(Some))
        .collect()
}

fn vendor_label(band: Option<i64>) -> String {
    band.map_or("none".to_string(), band_label)
}

/// A figure of the section's facts.
fn fact(field: &str, v: i64) -> String {
    format!(
        "<span data-field=\"{field}\" data-value=\"{v}\">{}</span>",
        format::int(v)
    )
}

/// The circle_size distribution: its chart and its table.
fn sizes(c: &Circle) -> String {
    let mut table = HtmlTable::new(
        "circle_sizes",
        &["circle-size"],
        &["accounts", "with_customers"],
    );
    let labels: Vec<String> = SIZE_BUCKETS.iter().map(|b| size_label(*b)).collect();
    for (label, b) in labels.iter().zip(&c.sizes) {
        table.row(
            &[label],
            &[
                Some(Cell::int(b.accounts)),
                Some(Cell::int(b.with_customers)),
            ],
        );
    }
    let values: Vec<f64> = c.sizes.iter().map(|b| b.accounts as f64).collect();
    let title = "Scored accounts per circle size";
    let chart = figure(
        charts::bars(title, &labels, &values, "circle_size", "accounts"),
        title,
        "Scored accounts of D per circle_size bucket: 0, 1, 2–4, 5–9, 10–19, 20–49, 50 and more handles in their circle.",
    );
    chart + &table.collapsed()
}

/// Network against vendor influence for the accounts in the graph.
fn influence(c: &Circle) -> String {
    if c.network_provider {
        return "<p class=\"note\" data-note=\"network_provider\">This run has [influence] network_provider \
                on: customer_tiers' influence_norm averages network_influence in, so the vendors' own \
                influence cannot be read apart from it and is not compared here.</p>\n"
            .to_string();
    }
    if c.in_graph() == 0 {
        return "<p class=\"note\">No scored account's handle is in D's interaction graph: \
                there is no network influence to compare.</p>\n"
            .to_string();
    }
    let mut table = HtmlTable::new("circle_influence", &["network", "vendor"], &["accounts"]);
    let network: Vec<i64> = (0..BANDS as i64).rev().collect(); // the top band first
    let vendor = vendor_bands();
    let mut counts = Vec::new();
    for n in &network {
        let mut row = Vec::new();
        for v in &vendor {
            let k = c.count(*n, *v);
            table.row(&[&band_label(*n), &vendor_label(*v)], &[Some(Cell::int(k))]);
            row.push(k.max(0) as u64);
        }
        counts.push(row);
    }
    let rows: Vec<String> = network.iter().map(|n| band_label(*n)).collect();
    let cols: Vec<String> = vendor.iter().map(|v| vendor_label(*v)).collect();
    let title = "Network influence against vendor influence";
    let axes = (
        "vendor influence_norm (customer_tiers)",
        "network_influence",
    );
    let chart = figure(
        charts::grid(title, &rows, &cols, &counts, axes),
        title,
        "Scored accounts whose handle is in the graph, per network_influence band (rows, top band first) \
         and vendor influence_norm band (columns; none: no vendor score), bands of 20 over 0 to 100.",
    );
    chart + &table.collapsed()
}

/// The first prospects, in published order.
fn prospects(c: &Circle) -> String {
    let mut table = HtmlTable::new(
        "circle_prospects_top",
        &["prospect-rank"],
        &[
            "handle",
            "customers_linked",
            "customers_value",
            "network_influence",
        ],
    );
    for p in &c.prospects {
        table.row(
            &[&p.prospect_rank.to_string()],
            &[
                Some(Cell::plain(&p.handle)),
                Some(Cell::int(p.customers_linked)),
                Some(Cell::float(p.customers_value, 2)),
                p.network_influence.map(|v| Cell::float(v, 1)),
            ],
        );
    }
    let heading = format!(
        "<h3>The first {PROSPECT_ROWS} prospects in published order (of {})</h3>\n",
        format::int(c.prospects_total())
    );
    match c.prospects.is_empty() {
        true => heading + "<p class=\"note\">D has no prospect.</p>\n",
        false => heading + &table.render(),
    }
}

/// The section.
pub fn render(out: &mut String, d: &ReportData) {
    let Some(c) = &d.circle else {
        section(
            out,
            "circle",
            "Customer's circle: not published for this date",
            "social_circle and circle_prospects are not committed for D: it was published before the circle existed.",
            "",
        );
        return;
    };
    let with_circle: i64 = c
        .sizes
        .iter()
        .filter(|b| b.size_from > 0)
        .map(|b| b.accounts)
        .sum();
    let with_customers: i64 = c.sizes.iter().map(|b| b.with_customers).sum();
    let vendor = match c.network_provider {
        true => String::new(),
        false => format!(
            "; {} of them have no vendor influence score",
            fact("no_vendor_score", c.no_vendor_score())
        ),
    };
    let min = d.manifest.config.circle.prospect_min_customers;
    let facts = format!(
        "<ul class=\"facts\" data-facts=\"circle\">\
         <li>{} scored accounts: {} with a circle (circle_size ≥ 1), {} with another customer in it</li>\
         <li>{} with their handle in the interaction graph (a network_influence){vendor}</li>\
         <li>{} prospects: handles of no scored customer linked to {min} or more customers</li></ul>\n",
        fact("scored", c.scored()),
        fact("with_circle", with_circle),
        fact("with_customers", with_customers),
        fact("in_graph", c.in_graph()),
        fact("prospects", c.prospects_total()),
    );
    let body = format!("{facts}{}{}{}", sizes(c), influence(c), prospects(c));
    section(
        out,
        "circle",
        &format!(
            "Customer's circle: {} of {} scored accounts in the graph, {} prospect{}",
            format::int(c.in_graph()),
            format::int(c.scored()),
            format::int(c.prospects_total()),
            if c.prospects_total() == 1 { "" } else { "s" }
        ),
        "social_circle and circle_prospects of D (SPEC §9): circle sizes of the scored accounts; \
         network_influence (a percentile of the graph's handles) against the vendors' influence_norm \
         (a 0–100 score) for the accounts in the graph; the prospects customers are linked to.",
        &body,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_bands_are_labelled_as_documented() {
        let labels: Vec<String> = SIZE_BUCKETS.iter().map(|b| size_label(*b)).collect();
        assert_eq!(labels, ["0", "1", "2–4", "5–9", "10–19", "20–49", "50+"]);
        let bands: Vec<String> = vendor_bands().into_iter().map(vendor_label).collect();
        assert_eq!(bands, ["none", "0–20", "20–40", "40–60", "60–80", "80–100"]);
    }

    #[test]
    fn buckets_cover_every_size_once() {
        for size in 0..200 {
            let holding = SIZE_BUCKETS
                .iter()
                .filter(|(from, to)| size >= *from && to.is_none_or(|t| size <= t))
                .count();
            assert_eq!(holding, 1, "{size}");
        }
    }
}
