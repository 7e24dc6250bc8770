//! The report page: one self-contained HTML document (inline CSS and SVG,
//! no script, no request: its Content-Security-Policy forbids any). The
//! night's headline comes first ([`super::headline`]), then one section per
//! output. Every number is printed for people ([`super::format`]) in a
//! table collapsed under its chart, each row, cell and headline figure
//! marked with `data-` attributes holding the exact value (docs/report.md),
//! so a person reads it and a test compares it with the published outputs.

use std::fmt::Write;

use super::charts::{self, Rgb, Series};
use super::data::{NpsRow, PulseRow, ReportData, BINS, BIN_WIDTH, TIERS};
use super::format::{self, Cell};
use super::sections::{migration, rejects, timings};
use crate::tables::Output;

/// Mentions without a sentiment, lighter than the neutral ones.
const NO_SENTIMENT: Rgb = Rgb(0xDA, 0xDA, 0xDA);

/// The dimensions of `nps_aggregates`, in the order the report shows them.
const DIMENSIONS: [&str; 6] = ["all", "tier", "segment", "region", "plan", "channel"];

/// Text safe inside an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A table of the page: `data-table` names it, each row carries its keys as
/// `data-<key>` attributes and each cell its column as `data-field` and its
/// exact value as `data-value`.
pub(super) struct HtmlTable {
    name: &'static str,
    keys: Vec<&'static str>,
    fields: Vec<String>,
    body: String,
}

impl HtmlTable {
    pub(super) fn new(name: &'static str, keys: &[&'static str], fields: &[&str]) -> HtmlTable {
        HtmlTable {
            name,
            keys: keys.to_vec(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            body: String::new(),
        }
    }

    /// One row: key values, then one optional value per field (`None` = null,
    /// shown as an en dash).
    pub(super) fn row(&mut self, keys: &[&str], values: &[Option<Cell>]) {
        self.row_with(keys, values, "");
    }

    /// Rows so far.
    pub(super) fn row_count(&self) -> usize {
        self.body.matches("</tr>").count()
    }

    /// A row with more attributes (` data-low-sample="true"`).
    pub(super) fn row_with(&mut self, keys: &[&str], values: &[Option<Cell>], extra: &str) {
        let attrs: String = self
            .keys
            .iter()
            .zip(keys)
            .map(|(k, v)| format!(" data-{k}=\"{}\"", escape(v)))
            .collect();
        let _ = write!(self.body, "<tr{attrs}{extra}>");
        for v in keys {
            let _ = write!(self.body, "<th scope=\"row\">{}</th>", escape(v));
        }
        for (f, v) in self.fields.iter().zip(values) {
            match v {
                Some(v) => {
                    let _ = write!(
                        self.body,
                        "<td data-field=\"{f}\" data-value=\"{}\">{}</td>",
                        escape(&v.value),
                        escape(&v.text)
                    );
                }
                None => {
                    let _ = write!(
                        self.body,
                        "<td data-field=\"{f}\" data-null=\"true\">–</td>"
                    );
                }
            }
        }
        self.body.push_str("</tr>\n");
    }

    /// The table in a box that scrolls sideways when it is wider than the page.
    pub(super) fn render(&self) -> String {
        let head: String = self
            .keys
            .iter()
            .map(|k| k.replace('-', " "))
            .chain(self.fields.iter().map(|f| f.replace('_', " ")))
            .map(|h| format!("<th scope=\"col\">{}</th>", escape(&h)))
            .collect();
        format!(
            "<div class=\"scroll\"><table data-table=\"{}\"><thead><tr>{head}</tr></thead><tbody>\n{}</tbody></table></div>\n",
            self.name, self.body
        )
    }

    /// The table collapsed in a `<details>`, as it follows its chart.
    pub(super) fn collapsed(&self) -> String {
        format!(
            "<details><summary>The numbers: table {} ({} rows)</summary>\n{}</details>\n",
            self.name,
            self.row_count(),
            self.render()
        )
    }
}

/// A chart with its text alternative (`<title>`, `<desc>` inside the SVG),
/// or the reason it could not be drawn (the numbers stay in the table).
pub(super) fn figure(chart: Result<String, charts::ChartError>, title: &str, desc: &str) -> String {
    match chart {
        Ok(svg) => {
            let alt = format!(
                "<title>{}</title><desc>{}</desc>",
                escape(title),
                escape(desc)
            );
            let svg = match svg.find('>') {
                Some(i) => format!("{}{alt}{}", &svg[..=i], &svg[i + 1..]),
                None => svg,
            };
            format!("<figure>{svg}</figure>\n")
        }
        Err(e) => format!(
            "<p class=\"note\">chart not drawn: {}</p>\n",
            escape(&e.to_string())
        ),
    }
}

pub(super) fn section(out: &mut String, id: &str, title: &str, intro: &str, body: &str) {
    let _ = write!(
        out,
        "<section id=\"{id}\"><h2>{}</h2><p class=\"note\">{}</p>\n{body}</section>\n",
        escape(title),
        escape(intro)
    );
}

pub(super) fn tier_color(tier: &str) -> Rgb {
    match tier {
        "platinum" => charts::PLATINUM,
        "gold" => charts::GOLD,
        "silver" => charts::SILVER,
        "bronze" => charts::BRONZE,
        _ => charts::GREY,
    }
}

/// The whole page.
pub fn render(d: &ReportData) -> String {
    let m = &d.manifest;
    let mut body = String::new();
    let _ = write!(
        body,
        "<header><h1>pulsetier run report · {}</h1><dl>\
         <dt>snapshot_date</dt><dd data-field=\"snapshot_date\" data-value=\"{}\">{}</dd>\
         <dt>run</dt><dd data-field=\"run_id\">{}</dd>\
         <dt>status</dt><dd data-field=\"status\">{}</dd>\
         <dt>started</dt><dd data-field=\"started_at\" data-value=\"{}\">{}</dd>\
         <dt>finished</dt><dd data-field=\"finished_at\" data-value=\"{}\">{}</dd>\
         <dt>engine</dt><dd>{}</dd><dt>pulsetier</dt><dd>{}</dd>\
         <dt>compared with</dt><dd>previous {} · NPS baseline {}</dd></dl></header>",
        format::long_date(d.date),
        d.date,
        format::long_date(d.date),
        escape(&m.run_id),
        m.status.as_str(),
        escape(&m.started_at),
        escape(&format::time(&m.started_at)),
        escape(&m.finished_at),
        escape(&format::time(&m.finished_at)),
        escape(&m.engine),
        escape(&m.pulsetier_version),
        m.previous_snapshot_date.as_deref().unwrap_or("none"),
        m.baseline_snapshot_date.as_deref().unwrap_or("none"),
    );
    body.push('\n');
    super::headline::render(&mut body, d);
    body.push_str("<main>\n");
    if let Some(care) = &d.care {
        super::care::render(&mut body, d, care);
    }
    super::circle::render(&mut body, d);
    let mut outputs = HtmlTable::new("outputs", &["output"], &["rows", "files"]);
    for (table, o) in &m.outputs {
        outputs.row(
            &[table],
            &[
                Some(Cell::int(o.rows as i64)),
                Some(Cell::int(o.files.len() as i64)),
            ],
        );
    }
    section(
        &mut body,
        "outputs",
        "Outputs of this run",
        "Rows and files each table was published with (manifest).",
        &outputs.render(),
    );
    tiers_over_time(&mut body, d);
    if let Some(t) = &d.migration {
        migration(&mut body, t);
    }
    histogram(&mut body, d);
    nps(&mut body, &d.nps);
    pulse(&mut body, &d.pulse);
    rejects(&mut body, d);
    timings(&mut body, d);
    body.push_str("</main>\n");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>pulsetier report {date}</title><style>{CSS}</style></head>\n\
         <body data-snapshot-date=\"{date}\">\n{body}<footer><p class=\"note\">Every number on this page is read from the \
         published partitions and the run manifests under the output; nothing is recomputed from the inputs. \
         Numbers are rounded for reading; each one's exact value is in its data-value attribute.</p></footer>\n\
         </body></html>\n",
        date = d.date
    )
}

const CSS: &str = "*{box-sizing:border-box}\
body{font-family:sans-serif;margin:0 auto;padding:12px 16px;max-width:1200px;color:#222;overflow-wrap:anywhere}\
h1{font-size:1.4em;margin:4px 0}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:1.6em}\
h3{font-size:0.95em;margin:0 0 4px;color:#444}\
header dl{display:flex;flex-wrap:wrap;gap:2px 6px;margin:4px 0 8px;font-size:0.85em;color:#555}\
header dt{font-weight:bold}header dd{margin:0 10px 0 0}\
.band{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:10px;margin:8px 0}\
.kpi{border:1px solid #ccc;border-radius:6px;padding:8px 10px;background:#fafafa;min-width:0}\
.kpi .big{font-size:1.6em;font-weight:bold;margin:0}.kpi p{margin:2px 0;font-size:0.85em}\
.kpi ul{list-style:none;padding:0;margin:2px 0;font-size:0.85em;display:flex;flex-wrap:wrap;gap:2px 10px}\
.kpi table{font-size:0.75em;margin:2px 0}.kpi th,.kpi td{padding:1px 4px}\
.ok{color:#1a6b2f}.bad{color:#b00020;font-weight:bold}.muted{color:#777}\
.sw{display:inline-block;width:10px;height:10px;margin-right:3px;border-radius:2px}\
.sw-platinum{background:#4F6D8C}.sw-gold{background:#D4A017}.sw-silver{background:#A3ADB8}.sw-bronze{background:#B06A2C}\
figure.spark{margin:4px 0 0}figure.spark svg{width:100%;max-width:240px;height:32px}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;margin:8px 0 16px;font-size:0.85em}th,td{border:1px solid #ddd;padding:2px 8px}\
table{overflow-wrap:normal}td{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td[data-field=text]{text-align:left;white-space:normal;min-width:16em;max-width:32em;overflow-wrap:anywhere}thead th{background:#f3f3f3}\
tbody th{text-align:left;font-weight:normal}\
figure{margin:8px 0}figure svg[role=img]{width:100%;height:auto;display:block}\
details{margin:0 0 12px}summary{cursor:pointer;color:#3A6EA5;font-size:0.9em}\
.note{color:#555;font-size:0.9em}tr[data-low-sample=\"true\"] td{color:#999}tr[data-past-due=\"true\"] td[data-field=due_at]{color:#b00020}\
@media print{body{max-width:none;padding:0;font-size:10pt}.band{grid-template-columns:repeat(3,1fr)}\
figure,.kpi,tr,header{break-inside:avoid;page-break-inside:avoid}h2{break-after:avoid;page-break-after:avoid}\
section{break-before:auto}.scroll{overflow:visible}summary{color:#222}figure svg[role=img]{max-height:24cm}}";

/// Section heading over dates: how many of the window's dates had something.
pub(super) fn over_dates(what: &str, found: usize, window: usize) -> String {
    format!("{what}: {found} of the last {window} dates found")
}

fn tiers_over_time(out: &mut String, d: &ReportData) {
    let committed: Vec<_> = d
        .dates
        .iter()
        .filter_map(|r| r.tiers.as_ref().map(|t| (r.date, t)))
        .collect();
    let labels: Vec<String> = committed
        .iter()
        .map(|(date, _)| format::short_date(*date))
        .collect();
    let series: Vec<Series> = TIERS
        .iter()
        .map(|tier| Series {
            name: tier.to_string(),
            values: committed
                .iter()
                .map(|(_, t)| t.get(*tier).copied().unwrap_or(0) as f64)
                .collect(),
            color: tier_color(tier),
        })
        .collect();
    let mut table = HtmlTable::new("tier_counts", &["date", "tier"], &["accounts", "share_pct"]);
    for (date, counts) in &committed {
        let total: u64 = counts.values().sum();
        for tier in TIERS {
            let n = counts.get(tier).copied().unwrap_or(0);
            let share = if total == 0 {
                0.0
            } else {
                100.0 * n as f64 / total as f64
            };
            let share = Cell {
                value: format!("{share:.2}"),
                text: format::pct(share, 2),
            };
            table.row(
                &[&date.to_string(), tier],
                &[Some(Cell::int(n as i64)), Some(share)],
            );
        }
    }
    let title = "Accounts per tier";
    let desc = format!(
        "One line per tier, platinum to bronze, over the {} committed dates of the last {}.",
        committed.len(),
        d.dates.len()
    );
    let chart = figure(
        charts::lines(title, &labels, &series, "accounts"),
        title,
        &desc,
    );
    section(out, "tiers", &over_dates("Tiers over time, committed customer_tiers", committed.len(), d.dates.len()),
        "Accounts per tier of each committed customer_tiers partition (dates not committed are left out); share = accounts / all scored accounts of that date.",
        &(chart + &table.collapsed()));
}

fn histogram(out: &mut String, d: &ReportData) {
    let bins: Vec<(f64, f64)> = (0..BINS)
        .map(|i| (i as f64 * BIN_WIDTH, (i + 1) as f64 * BIN_WIDTH))
        .collect();
    let labels: Vec<String> = bins.iter().map(|(a, b)| format!("{a}–{b}")).collect();
    let values: Vec<f64> = d.histogram.iter().map(|n| *n as f64).collect();
    let mut table = HtmlTable::new("value_score_histogram", &["from", "to"], &["accounts"]);
    for ((a, b), n) in bins.iter().zip(&d.histogram) {
        table.row(
            &[&a.to_string(), &b.to_string()],
            &[Some(Cell::int(*n as i64))],
        );
    }
    let title = "value_score distribution";
    let chart = figure(
        charts::bars(title, &labels, &values, "value_score", "accounts"),
        title,
        "Accounts of D per value_score bin of width 5, from 0 to 100.",
    );
    section(out, "value-score", "value_score distribution",
        &format!("Accounts of customer_tiers on D per value_score bin [from, to); the last bin also holds {}.", BINS as f64 * BIN_WIDTH),
        &(chart + &table.collapsed()));
}

/// The groups of one dimension in the order the report lists them: tiers
/// platinum → bronze (then anything else), other dimensions as published.
fn ordered<'a>(dim: &str, rows: Vec<&'a NpsRow>) -> Vec<&'a NpsRow> {
    if dim != "tier" {
        return rows;
    }
    let rank = |v: &str| TIERS.iter().position(|t| *t == v).unwrap_or(TIERS.len());
    let mut rows = rows;
    rows.sort_by_key(|r| rank(&r.dimension_value));
    rows
}

fn nps(out: &mut String, nps: &[NpsRow]) {
    let name = Output::NpsAggregates.name();
    let mut table = HtmlTable::new(name, &["dimension", "dimension-value"], &NpsRow::FIELDS);
    let (mut labels, mut values, mut margins, mut low) = (vec![], vec![], vec![], vec![]);
    for dim in DIMENSIONS {
        let rows = ordered(dim, nps.iter().filter(|r| r.dimension == dim).collect());
        for r in rows {
            labels.push(if dim == "all" {
                "all".to_string()
            } else {
                format!("{dim} · {}", r.dimension_value)
            });
            values.push(r.nps);
            margins.push(r.margin_of_error_95);
            low.push(r.low_sample);
            table.row_with(
                &[dim, &r.dimension_value],
                &r.cells(),
                &format!(" data-low-sample=\"{}\"", r.low_sample),
            );
        }
    }
    let title = "NPS by group";
    let desc = format!(
        "NPS of {} groups on one axis from −100 to 100, each with its 95 % margin of error; tiers platinum to bronze; low-sample groups hollow and grey.",
        labels.len()
    );
    let chart = figure(
        charts::error_bars(title, &labels, &values, &margins, &low),
        title,
        &desc,
    );
    section(out, "nps", "NPS by tier, segment, region, plan and channel",
        "nps_aggregates of D: NPS with its 95% margin of error (adjusted Wald) as a bar, every group on the same −100 … 100 axis; groups under min_responses are low_sample (grey, hollow).",
        &(chart + &table.collapsed()));
}

fn pulse(out: &mut String, pulse: &[PulseRow]) {
    let name = Output::SocialPulse.name();
    let mut table = HtmlTable::new(name, &["dimension", "dimension-value"], &PulseRow::FIELDS);
    for r in pulse {
        table.row(&[&r.dimension, &r.dimension_value], &r.cells());
    }
    let platforms: Vec<&PulseRow> = pulse.iter().filter(|r| r.dimension == "platform").collect();
    let labels: Vec<String> = platforms
        .iter()
        .map(|r| r.dimension_value.clone())
        .collect();
    let part = |name: &str, color: Rgb, f: &dyn Fn(&PulseRow) -> i64| Series {
        name: name.into(),
        values: platforms.iter().map(|r| f(r) as f64).collect(),
        color,
    };
    let parts = [
        part("positive", charts::POSITIVE, &|r| r.positive),
        part("neutral", charts::NEUTRAL, &|r| r.neutral),
        part("negative", charts::NEGATIVE, &|r| r.negative),
        part("no sentiment", NO_SENTIMENT, &|r| {
            r.mentions - r.with_sentiment
        }),
    ];
    let title = "Mentions per platform";
    let desc = format!(
        "Mentions of {} platforms stacked by positive, neutral, negative and no sentiment.",
        labels.len()
    );
    let chart = figure(
        charts::stacked_bars(title, &labels, &parts, "mentions"),
        title,
        &desc,
    );
    section(out, "social-pulse", "Social pulse per platform",
        "social_pulse of D: deduplicated valid mentions of the window by sentiment (no sentiment = mentions − with_sentiment); match_rate as a percentage.",
        &(chart + &table.collapsed()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let mut t = HtmlTable::new(
            Output::NpsAggregates.name(),
            &["dimension", "dimension-value"],
            &["nps", "low_sample"],
        );
        t.row(
            &["segment", r#"Big "B" <Co>"#],
            &[Some(Cell::float(12.26, 1)), None],
        );
        let html = t.render();
        assert!(
            html.starts_with("<div class=\"scroll\"><table data-table=\"nps_aggregates\">"),
            "{html}"
        );
        assert!(
            html.contains(r#"data-dimension-value="Big &quot;B&quot; &lt;Co&gt;""#),
            "{html}"
        );
        // the text for people, the exact value beside it
        assert!(
            html.contains(r#"<td data-field="nps" data-value="12.26">12.3</td>"#),
            "{html}"
        );
        // a null is shown as a dash and marked, never as an empty or 0 cell
        assert!(
            html.contains(r#"<td data-field="low_sample" data-null="true">–</td>"#),
            "{html}"
        );
        assert!(
            html.contains("<th scope=\"col\">dimension value</th>"),
            "{html}"
        );
    }
}
