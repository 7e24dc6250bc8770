//! The headline band at the top of the report: one glance says whether
//! last night was normal. D against P, its previous committed date
//! (manifest `previous_snapshot_date`), and its NPS against the baseline B:
//! accounts scored, tiers and their movements, overall NPS ± margin with
//! its change and significance, shouts queued by lane and past due,
//! rejected rows per input table against the quality gate, the run's
//! status and duration; each with a small trend over the report's dates.
//! Every figure is a `<span data-field data-value>` inside
//! `[data-kpi]` (docs/report.md), the trends also a `trends` table.

use std::fmt::Write;

use chrono::NaiveDate;

use super::charts::INK;
use super::data::{DateRow, ReportData, TIERS};
use super::format::{self, Cell};
use super::html::{escape, HtmlTable};

/// A figure: `<span data-field data-value>text</span>`, or a marked null.
fn fig(field: &str, cell: Option<Cell>) -> String {
    match cell {
        Some(c) => format!(
            "<span data-field=\"{field}\" data-value=\"{}\">{}</span>",
            escape(&c.value),
            escape(&c.text)
        ),
        None => format!("<span data-field=\"{field}\" data-null=\"true\">–</span>"),
    }
}

/// A change: exact difference in `data-value`, `+12` / `−3` / `±0` shown.
fn change_int(field: &str, now: Option<i64>, before: Option<i64>) -> String {
    let cell = now.zip(before).map(|(a, b)| Cell {
        value: (a - b).to_string(),
        text: match a - b {
            0 => "±0".to_string(),
            d if d > 0 => format!("+{}", format::int(d)),
            d => format::int(d),
        },
    });
    fig(field, cell)
}

/// A duration in milliseconds, shown as people say it.
fn ms(v: i64) -> Cell {
    Cell {
        value: v.to_string(),
        text: format::duration(v),
    }
}

/// A small trend line over the report's dates (missing values leave gaps),
/// with its text alternative; the numbers are in the `trends` table.
fn spark(label: &str, points: &[(NaiveDate, Option<f64>)], show: impl Fn(f64) -> String) -> String {
    const W: f64 = 240.0;
    const H: f64 = 32.0;
    let values: Vec<f64> = points
        .iter()
        .filter_map(|p| p.1)
        .filter(|v| v.is_finite())
        .collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let n = points.len().max(2) - 1;
    let at = |i: usize, v: f64| {
        let x = 4.0 + (W - 8.0) * i as f64 / n as f64;
        let y = if hi > lo {
            4.0 + (H - 8.0) * (hi - v) / (hi - lo)
        } else {
            H / 2.0
        };
        (x, y)
    };
    let mut lines = String::new();
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, lines: &mut String| {
        if run.len() > 1 {
            let _ = write!(
                lines,
                "<polyline fill=\"none\" stroke=\"#{:02X}{:02X}{:02X}\" stroke-width=\"2\" points=\"{}\"/>",
                INK.0,
                INK.1,
                INK.2,
                run.join(" ")
            );
        }
        run.clear();
    };
    let mut last = None;
    for (i, (_, v)) in points.iter().enumerate() {
        match v.filter(|v| v.is_finite()) {
            Some(v) => {
                let (x, y) = at(i, v);
                run.push(format!("{x:.1},{y:.1}"));
                last = Some((x, y));
            }
            None => flush(&mut run, &mut lines),
        }
    }
    flush(&mut run, &mut lines);
    if let Some((x, y)) = last {
        let _ = write!(
            lines,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"#{:02X}{:02X}{:02X}\"/>",
            INK.0, INK.1, INK.2
        );
    }
    let desc: Vec<String> = points
        .iter()
        .map(|(d, v)| {
            let v = v
                .filter(|v| v.is_finite())
                .map_or("none".to_string(), &show);
            format!("{}: {v}", format::short_date(*d))
        })
        .collect();
    let title = format!("{label} over {} dates", points.len());
    format!(
        "<figure class=\"spark\"><svg role=\"img\" aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\"><title>{t}</title><desc>{}</desc>{lines}</svg></figure>",
        escape(&desc.join("; ")),
        t = escape(&title),
    )
}

fn card(out: &mut String, kpi: &str, title: &str, body: &str) {
    let _ = writeln!(
        out,
        "<article class=\"kpi\" data-kpi=\"{kpi}\"><h3>{}</h3>{body}</article>",
        escape(title)
    );
}

/// "vs Mon 9 Mar 2026" or "no previous committed date".
fn versus(p: Option<&DateRow>) -> String {
    match p {
        Some(p) => format!("vs {}", fig("previous_date", Some(Cell::date(p.date)))),
        None => format!("{} no previous committed date", fig("previous_date", None)),
    }
}

/// The band.
pub fn render(out: &mut String, d: &ReportData) {
    let m = &d.manifest;
    let p = d.previous.as_ref();
    let today = d.dates.iter().find(|r| r.date == d.date);
    let ran: Vec<&DateRow> = d.dates.iter().filter(|r| r.run.is_some()).collect();
    let trend = |f: &dyn Fn(&DateRow) -> Option<f64>| -> Vec<(NaiveDate, Option<f64>)> {
        ran.iter().map(|r| (r.date, f(r))).collect()
    };
    let int_show = |v: f64| format::int(v.round() as i64);
    let mut band = String::new();

    // accounts scored
    let scored = today.and_then(DateRow::accounts).map(|n| n as i64);
    let before = p.and_then(DateRow::accounts).map(|n| n as i64);
    let body = format!(
        "<p class=\"big\">{}</p><p>{} {} ({})</p>{}",
        fig("scored", scored.map(Cell::int)),
        versus(p),
        fig("previous_scored", before.map(Cell::int)),
        change_int("change", scored, before),
        spark(
            "Accounts scored",
            &trend(&|r| r.accounts().map(|n| n as f64)),
            int_show
        ),
    );
    card(&mut band, "accounts", "Accounts scored", &body);

    // tiers and movements
    let mut tiers = String::from("<ul>");
    for tier in TIERS {
        let now = today
            .and_then(|r| r.tiers.as_ref())
            .map(|t| t.get(tier).copied().unwrap_or(0) as i64);
        let was = p
            .and_then(|r| r.tiers.as_ref())
            .map(|t| t.get(tier).copied().unwrap_or(0) as i64);
        let _ = write!(
            tiers,
            "<li><span class=\"sw sw-{tier}\"></span>{tier} {} ({})</li>",
            fig(&format!("tier_{tier}"), now.map(Cell::int)),
            change_int(&format!("tier_{tier}_change"), now, was)
        );
    }
    tiers.push_str("</ul><p>");
    let moves = today.and_then(|r| r.movements.as_ref());
    for (i, (mv, label)) in [
        ("up", "▲ up"),
        ("down", "▼ down"),
        ("new", "new"),
        ("gone", "gone"),
        ("same", "same"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = moves.map(|m| m.get(mv).copied().unwrap_or(0) as i64);
        let sep = if i > 0 { " · " } else { "" };
        let _ = write!(tiers, "{sep}{label} {}", fig(mv, n.map(Cell::int)));
    }
    tiers.push_str("</p>");
    let moved = |r: &DateRow| {
        r.movements.as_ref().map(|m| {
            (m.get("up").copied().unwrap_or(0) + m.get("down").copied().unwrap_or(0)) as f64
        })
    };
    tiers += &spark("Accounts that changed tier", &trend(&moved), int_show);
    card(
        &mut band,
        "tiers",
        "Tiers (change vs previous) and movements",
        &tiers,
    );

    // NPS
    let all = d
        .nps
        .iter()
        .find(|r| r.dimension == "all" && r.dimension_value == "all");
    let ch = d.nps_change.as_ref();
    let significant = ch.and_then(|c| c.significant);
    let (class, verdict) = match significant {
        Some(true) => ("bad", "significant"),
        Some(false) => ("ok", "not significant"),
        None => ("muted", "no baseline"),
    };
    let verdict = significant.map(|v| Cell {
        value: v.to_string(),
        text: verdict.to_string(),
    });
    let body = format!(
        "<p class=\"big\">{} <span class=\"muted\">±</span> {}</p>\
         <p>{} responses · vs baseline {}: {}</p>\
         <p>change {} ± {}: <span class=\"{class}\">{}</span></p>{}",
        fig("nps", all.map(|r| Cell::float(r.nps, 1))),
        fig(
            "margin_of_error_95",
            all.map(|r| Cell::float(r.margin_of_error_95, 1))
        ),
        fig("responses", all.map(|r| Cell::int(r.responses))),
        fig(
            "baseline_date",
            ch.and_then(|c| c.baseline_snapshot_date.as_deref())
                .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
                .map(Cell::date)
        ),
        fig(
            "nps_before",
            ch.and_then(|c| c.nps_before).map(|v| Cell::float(v, 1))
        ),
        fig(
            "change",
            ch.and_then(|c| c.change).map(|v| Cell {
                value: v.to_string(),
                text: format::signed(v, 1),
            })
        ),
        fig(
            "margin_of_error_95_change",
            ch.and_then(|c| c.margin_of_error_95_change)
                .map(|v| Cell::float(v, 1))
        ),
        match verdict {
            Some(v) => fig("significant", Some(v)),
            None => format!("{} no baseline", fig("significant", None)),
        },
        spark("Overall NPS", &trend(&|r| r.nps), |v| format::dec(v, 1)),
    );
    card(&mut band, "nps", "Overall NPS ± 95 % margin", &body);

    // care queue
    if let Some(care) = &d.care {
        let (shouts, late) = care
            .lanes
            .iter()
            .fold((0, 0), |(n, l), x| (n + x.shouts, l + x.past_due));
        let churn: i64 = care.lanes.iter().map(|l| l.churn_intent).sum();
        let mut lanes = String::from("<ul>");
        for l in &care.lanes {
            let _ = write!(
                lanes,
                "<li>{} {} ({} late)</li>",
                escape(&l.lane),
                fig(&format!("lane_{}", l.lane), Some(Cell::int(l.shouts))),
                fig(&format!("past_due_{}", l.lane), Some(Cell::int(l.past_due)))
            );
        }
        lanes.push_str("</ul>");
        let was = p.and_then(DateRow::shouts).map(|s| s.0);
        let body = format!(
            "<p class=\"big\">{}</p><p>{} past due when D ends · {} churn intent · {} {} ({})</p>{lanes}{}",
            fig("shouts", Some(Cell::int(shouts))),
            fig("past_due", Some(Cell::int(late))),
            fig("churn_intent", Some(Cell::int(churn))),
            versus(p),
            fig("previous_shouts", was.map(Cell::int)),
            change_int("shouts_change", Some(shouts), was),
            spark("Shouts queued", &trend(&|r| r.shouts().map(|s| s.0 as f64)), int_show),
        );
        card(&mut band, "care", "Shouts queued, by lane", &body);
    }
    // No circle card (issue #23): a seventh card makes the band three rows
    // at 1400 px, past the first 800 px (tests/report/test_report_layout.py),
    // and 4 columns crush the rejects table; the circle's facts open its
    // section instead.

    // rejects against the gate
    let q = &m.config.quality;
    let mut table = HtmlTable::new(
        "headline_rejects",
        &["table"],
        &[
            "rejected",
            "reject_ratio",
            "max_reject_ratio",
            "within_gate",
        ],
    );
    let mut over = 0;
    for (name, st) in &m.inputs {
        let limit = q
            .table(name)
            .and_then(|t| t.max_reject_ratio)
            .unwrap_or(q.max_reject_ratio);
        // rejected / rows_read from the counts: the manifest's ratio, read
        // back through serde_json, may be one ulp off
        let ratio = match st.rows_read {
            0 => 0.0,
            read => st.rejected as f64 / read as f64,
        };
        let within = ratio <= limit;
        over += usize::from(!within);
        table.row(
            &[name],
            &[
                Some(Cell::int(st.rejected as i64)),
                Some(Cell::ratio(ratio, 2)),
                Some(Cell::ratio(limit, 2)),
                Some(Cell::boolean(within)),
            ],
        );
    }
    let rejected = today.and_then(DateRow::rejected).map(|n| n as i64);
    let was = p.and_then(DateRow::rejected).map(|n| n as i64);
    let gate = match over {
        0 => "<span class=\"ok\">every table within the gate</span>".to_string(),
        n => format!("<span class=\"bad\">{n} table(s) over the gate</span>"),
    };
    let body = format!(
        "<p class=\"big\">{}</p><p>rows rejected · {gate} · {} {} ({})</p>{}{}",
        fig("rejected", rejected.map(Cell::int)),
        versus(p),
        fig("previous_rejected", was.map(Cell::int)),
        change_int("rejected_change", rejected, was),
        table.render(),
        spark(
            "Rejected rows",
            &trend(&|r| r.rejected().map(|n| n as f64)),
            int_show
        ),
    );
    card(
        &mut band,
        "rejects",
        "Rejected rows per input table vs the gate",
        &body,
    );

    // the run
    let took = today.and_then(DateRow::duration_ms);
    let was = p.and_then(DateRow::duration_ms);
    let class = if m.succeeded() { "ok" } else { "bad" };
    let body = format!(
        "<p class=\"big\"><span class=\"{class}\">{}</span> in {}</p><p>{} {} · {} stages · engine {}</p>{}",
        fig("status", Some(Cell::plain(m.status.as_str()))),
        fig("duration_ms", took.map(ms)),
        versus(p),
        fig("previous_duration_ms", was.map(ms)),
        m.timings_ms.len(),
        escape(&m.engine),
        spark(
            "Run duration",
            &trend(&|r| r.duration_ms().map(|v| v as f64)),
            |v| format::duration(v.round() as i64)
        ),
    );
    card(&mut band, "run", "Run status and duration", &body);

    // the trends as a table
    let mut trends = HtmlTable::new(
        "trends",
        &["date"],
        &[
            "status",
            "accounts",
            "moved",
            "nps",
            "shouts",
            "past_due",
            "rejected",
            "duration_ms",
        ],
    );
    for r in &ran {
        let shouts = r.shouts();
        trends.row(
            &[&r.date.to_string()],
            &[
                r.run.as_ref().map(|m| Cell::plain(m.status.as_str())),
                r.accounts().map(|n| Cell::int(n as i64)),
                moved(r).map(|v| Cell::int(v as i64)),
                r.nps.map(|v| Cell::float(v, 1)),
                shouts.map(|s| Cell::int(s.0)),
                shouts.map(|s| Cell::int(s.1)),
                r.rejected().map(|n| Cell::int(n as i64)),
                r.duration_ms().map(ms),
            ],
        );
    }
    let compared = match (p, ch.and_then(|c| c.baseline_snapshot_date.as_deref())) {
        (Some(p), Some(b)) => format!(
            "the previous committed date {} and, for NPS, the baseline {b}",
            p.date
        ),
        (Some(p), None) => format!(
            "the previous committed date {} (NPS: no baseline committed)",
            p.date
        ),
        (None, Some(b)) => format!("no previous committed date; NPS against the baseline {b}"),
        (None, None) => "no previous committed date and no NPS baseline".to_string(),
    };
    let _ = write!(
        out,
        "<section id=\"headline\"><h2>The night of {} at a glance</h2>\
         <p class=\"note\">D = {} against {compared}; trends over the {} dates with a run in the last {}.</p>\n\
         <div class=\"band\">\n{band}</div>\n{}</section>\n",
        format::long_date(d.date),
        d.date,
        ran.len(),
        d.dates.len(),
        trends.collapsed()
    );
}
