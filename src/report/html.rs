//! The report page: one self-contained HTML document (inline CSS and SVG,
//! no script, no request: its Content-Security-Policy forbids any). Every
//! number is printed in a table next to its chart, each row and cell marked
//! with `data-` attributes (docs/report.md), so a person reads it and a test
//! compares it with the published outputs.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts::{self, Rgb, Series};
use super::data::{MigrationRow, NpsRow, PulseRow, ReportData, BINS, BIN_WIDTH, TIERS};
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
/// `data-<key>` attributes and each cell its column as `data-field`.
struct HtmlTable {
    name: &'static str,
    keys: Vec<&'static str>,
    fields: Vec<String>,
    body: String,
}

impl HtmlTable {
    fn new(name: &'static str, keys: &[&'static str], fields: &[&str]) -> HtmlTable {
        HtmlTable {
            name,
            keys: keys.to_vec(),
            fields: fields.iter().map(|f| f.to_string()).collect(),
            body: String::new(),
        }
    }

    /// One row: key values, then one optional value per field (`None` = null,
    /// shown as an en dash).
    fn row(&mut self, keys: &[&str], values: &[Option<String>]) {
        self.row_with(keys, values, "");
    }

    /// A row with more attributes (` data-low-sample="true"`).
    fn row_with(&mut self, keys: &[&str], values: &[Option<String>], extra: &str) {
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
                    let _ = write!(self.body, "<td data-field=\"{f}\">{}</td>", escape(v));
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

    fn render(&self) -> String {
        let head: String = self
            .keys
            .iter()
            .map(|k| k.replace('-', " "))
            .chain(self.fields.iter().map(|f| f.replace('_', " ")))
            .map(|h| format!("<th scope=\"col\">{}</th>", escape(&h)))
            .collect();
        format!(
            "<table data-table=\"{}\"><thead><tr>{head}</tr></thead><tbody>\n{}</tbody></table>\n",
            self.name, self.body
        )
    }
}

/// A chart, or the reason it could not be drawn (the numbers stay in the table).
fn figure(chart: Result<String, charts::ChartError>) -> String {
    match chart {
        Ok(svg) => format!("<figure>{svg}</figure>\n"),
        Err(e) => format!(
            "<p class=\"note\">chart not drawn: {}</p>\n",
            escape(&e.to_string())
        ),
    }
}

fn section(out: &mut String, id: &str, title: &str, intro: &str, body: &str) {
    let _ = write!(
        out,
        "<section id=\"{id}\"><h2>{}</h2><p class=\"note\">{}</p>\n{body}</section>\n",
        escape(title),
        escape(intro)
    );
}

fn tier_color(tier: &str) -> Rgb {
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
        "<header><h1>pulsetier run report</h1><dl>\
         <dt>snapshot_date</dt><dd data-field=\"snapshot_date\">{}</dd>\
         <dt>run</dt><dd data-field=\"run_id\">{}</dd>\
         <dt>status</dt><dd data-field=\"status\">{}</dd>\
         <dt>started</dt><dd>{}</dd><dt>finished</dt><dd>{}</dd>\
         <dt>engine</dt><dd>{}</dd><dt>pulsetier</dt><dd>{}</dd>\
         <dt>compared with</dt><dd>previous {} · NPS baseline {}</dd></dl></header>",
        d.date,
        escape(&m.run_id),
        m.status.as_str(),
        escape(&m.started_at),
        escape(&m.finished_at),
        escape(&m.engine),
        escape(&m.pulsetier_version),
        m.previous_snapshot_date.as_deref().unwrap_or("none"),
        m.baseline_snapshot_date.as_deref().unwrap_or("none"),
    );
    body.push('\n');
    let mut outputs = HtmlTable::new("outputs", &["output"], &["rows", "files"]);
    for (table, o) in &m.outputs {
        outputs.row(
            &[table],
            &[Some(o.rows.to_string()), Some(o.files.len().to_string())],
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
    histogram(&mut body, d);
    nps(&mut body, &d.nps);
    pulse(&mut body, &d.pulse);
    rejects(&mut body, d);
    timings(&mut body, d);
    if let Some(t) = &d.migration {
        migration(&mut body, t);
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>pulsetier report {date}</title><style>{CSS}</style></head>\n\
         <body data-snapshot-date=\"{date}\">\n{body}<footer><p class=\"note\">Every number on this page is read from the \
         published partitions and the run manifests under the output; nothing is recomputed from the inputs.</p></footer>\n\
         </body></html>\n",
        date = d.date
    )
}

const CSS: &str = "body{font-family:sans-serif;margin:24px auto;max-width:1200px;color:#222}\
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:2em}\
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px}dt{font-weight:bold}dd{margin:0}\
table{border-collapse:collapse;margin:8px 0 16px;font-size:0.85em}th,td{border:1px solid #ddd;padding:2px 8px}\
td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f3f3f3}tbody th{text-align:left;font-weight:normal}\
figure{margin:8px 0}svg[role=img]{max-width:100%;height:auto}.note{color:#555;font-size:0.9em}tr[data-low-sample=\"true\"] td{color:#999}";

fn tiers_over_time(out: &mut String, d: &ReportData) {
    let committed: Vec<_> = d
        .dates
        .iter()
        .filter_map(|r| r.tiers.as_ref().map(|t| (r.date, t)))
        .collect();
    let labels: Vec<String> = committed
        .iter()
        .map(|(date, _)| date.format("%m-%d").to_string())
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
            table.row(
                &[&date.to_string(), tier],
                &[Some(n.to_string()), Some(format!("{share:.2}"))],
            );
        }
    }
    let chart = figure(charts::lines(
        "Accounts per tier",
        &labels,
        &series,
        "accounts",
    ));
    section(out, "tiers", &format!("Tiers over the last {} dates", d.dates.len()),
        "Accounts per tier of each committed customer_tiers partition (dates not committed are left out); share = accounts / all scored accounts of that date.",
        &(chart + &table.render()));
}

fn histogram(out: &mut String, d: &ReportData) {
    let bins: Vec<(f64, f64)> = (0..BINS)
        .map(|i| (i as f64 * BIN_WIDTH, (i + 1) as f64 * BIN_WIDTH))
        .collect();
    let labels: Vec<String> = bins.iter().map(|(a, b)| format!("{a}–{b}")).collect();
    let values: Vec<f64> = d.histogram.iter().map(|n| *n as f64).collect();
    let mut table = HtmlTable::new("value_score_histogram", &["from", "to"], &["accounts"]);
    for ((a, b), n) in bins.iter().zip(&d.histogram) {
        table.row(&[&a.to_string(), &b.to_string()], &[Some(n.to_string())]);
    }
    let chart = figure(charts::bars(
        "value_score distribution",
        &labels,
        &values,
        "value_score",
        "accounts",
    ));
    section(out, "value-score", "value_score distribution",
        &format!("Accounts of customer_tiers on D per value_score bin [from, to); the last bin also holds {}.", BINS as f64 * BIN_WIDTH),
        &(chart + &table.render()));
}

fn nps(out: &mut String, nps: &[NpsRow]) {
    let name = Output::NpsAggregates.name();
    let mut table = HtmlTable::new(name, &["dimension", "dimension-value"], &NpsRow::FIELDS);
    let mut charts_html = String::new();
    for dim in DIMENSIONS {
        let rows: Vec<&NpsRow> = nps.iter().filter(|r| r.dimension == dim).collect();
        if rows.is_empty() {
            continue;
        }
        let labels: Vec<String> = rows.iter().map(|r| r.dimension_value.clone()).collect();
        let values: Vec<f64> = rows.iter().map(|r| r.nps).collect();
        let margins: Vec<f64> = rows.iter().map(|r| r.margin_of_error_95).collect();
        let low: Vec<bool> = rows.iter().map(|r| r.low_sample).collect();
        charts_html += &figure(charts::error_bars(
            &format!("NPS by {dim}"),
            &labels,
            &values,
            &margins,
            &low,
        ));
        for r in rows {
            table.row_with(
                &[dim, &r.dimension_value],
                &r.cells(),
                &format!(" data-low-sample=\"{}\"", r.low_sample),
            );
        }
    }
    let body = charts_html + &table.render();
    section(out, "nps", "NPS by tier, segment, region, plan and channel",
        "nps_aggregates of D: NPS with its 95% margin of error (adjusted Wald) as a bar; groups under min_responses are low_sample (grey, hollow).",
        &body);
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
    let chart = figure(charts::stacked_bars(
        "Mentions per platform",
        &labels,
        &parts,
        "mentions",
    ));
    section(out, "social-pulse", "Social pulse per platform",
        "social_pulse of D: deduplicated valid mentions of the window by sentiment (no sentiment = mentions − with_sentiment).",
        &(chart + &table.render()));
}

fn rejects(out: &mut String, d: &ReportData) {
    let mut table = HtmlTable::new(
        "rejects",
        &["date", "table", "reason"],
        &["rows", "run_id", "status"],
    );
    let mut per_table: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let runs: Vec<_> = d
        .dates
        .iter()
        .filter_map(|r| r.run.as_ref().map(|m| (r.date, m)))
        .collect();
    for (i, (date, m)) in runs.iter().enumerate() {
        for (table_name, stats) in &m.inputs {
            per_table
                .entry(table_name.clone())
                .or_insert_with(|| vec![0.0; runs.len()])[i] = stats.rejected as f64;
            for (reason, n) in &stats.rejected_by_reason {
                table.row(
                    &[&date.to_string(), table_name, reason],
                    &[
                        Some(n.to_string()),
                        Some(m.run_id.clone()),
                        Some(m.status.as_str().to_string()),
                    ],
                );
            }
        }
    }
    let palette = [
        charts::PLATINUM,
        charts::GOLD,
        charts::SILVER,
        charts::BRONZE,
    ];
    let parts: Vec<Series> = per_table
        .into_iter()
        .enumerate()
        .map(|(i, (name, values))| Series {
            name,
            values,
            color: palette[i % palette.len()],
        })
        .collect();
    let labels: Vec<String> = runs
        .iter()
        .map(|(date, _)| date.format("%m-%d").to_string())
        .collect();
    let chart = figure(charts::stacked_bars(
        "Rejected rows per run",
        &labels,
        &parts,
        "rows",
    ));
    section(out, "rejects", &format!("Rejects over the last {} dates", d.dates.len()),
        "From the manifests: the newest run of each date (whatever its status), rejected rows per input table and reason.",
        &(chart + &table.render()));
}

fn timings(out: &mut String, d: &ReportData) {
    let mut table = HtmlTable::new("timings", &["stage"], &["ms"]);
    for (stage, ms) in &d.manifest.timings_ms {
        table.row(&[stage], &[Some(ms.to_string())]);
    }
    let labels: Vec<String> = d.manifest.timings_ms.keys().cloned().collect();
    let values: Vec<f64> = d.manifest.timings_ms.values().map(|v| *v as f64).collect();
    let chart = figure(charts::hbars("Stage timings", &labels, &values, "ms"));
    section(
        out,
        "timings",
        "Stage timings",
        "Milliseconds per stage of D's run (manifest timings_ms).",
        &(chart + &table.render()),
    );
}

fn migration(out: &mut String, rows: &[MigrationRow]) {
    let order = ["platinum", "gold", "silver", "bronze", "(none)"];
    let mut counts = vec![vec![0u64; order.len()]; order.len()];
    let name = Output::TierMigration.name();
    let mut table = HtmlTable::new(name, &["from", "to"], &["movement", "accounts"]);
    for r in rows {
        let (from, to) = (r.from_tier.as_str(), r.to_tier.as_str());
        let n = r.accounts.max(0) as u64;
        if let (Some(i), Some(j)) = (
            order.iter().position(|x| *x == from),
            order.iter().position(|x| *x == to),
        ) {
            counts[i][j] = n;
        }
        table.row(
            &[from, to],
            &[Some(r.movement.clone()), Some(r.accounts.to_string())],
        );
    }
    let names: Vec<String> = order.iter().map(|s| s.to_string()).collect();
    let chart = figure(charts::heatmap(
        "Tier migration (from previous date → D)",
        &names,
        &names,
        &counts,
    ));
    section(out, "migration", "Tier migration",
        "tier_migration of D: accounts per (from tier on the previous committed date, tier on D); (none) = not scored on that side.",
        &(chart + &table.render()));
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
            &[Some("12.5".into()), None],
        );
        let html = t.render();
        assert!(
            html.starts_with("<table data-table=\"nps_aggregates\">"),
            "{html}"
        );
        assert!(
            html.contains(r#"data-dimension-value="Big &quot;B&quot; &lt;Co&gt;""#),
            "{html}"
        );
        assert!(html.contains(r#"<td data-field="nps">12.5</td>"#), "{html}");
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
