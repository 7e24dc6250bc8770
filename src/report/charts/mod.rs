//! Inline SVG charts for the self-contained HTML run report.
//!
//! Drawn by `plotters` on its SVG backend (no scripts, fonts or network), each
//! chart is `<svg role="img" aria-label="title" …>` markup. Categories sit at
//! 0, 1, … on a numeric axis, labelled by text elements (rotated and thinned
//! when crowded). Non-finite values are skipped; no data draws "no data".

use plotters::coord::{types::RangedCoordf64, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

mod frame;

use frame::*;

pub(super) const WIDTH: u32 = 960; // the page scales it to its width
pub(super) const HEIGHT: u32 = 320;
pub(super) const LABEL: f64 = 14.0; // font sizes as plotters counts them: SVG font-size is size / 1.24
pub(super) const TITLE: f64 = 20.0;
pub(super) const VALUE_AREA: u32 = 70; // left of a vertical chart: value labels and their description
pub(super) const MARGIN: u32 = 10;
pub(super) const ROW_CHARS: usize = 40; // longer category labels are cut, ending in "…"
pub(super) const X_CHARS: usize = 16; // the same, for rotated labels under the x axis
pub(super) const BAR: f64 = 0.8; // bar width, as a share of a category's slot
pub(super) const INK: Rgb = Rgb(0x3A, 0x6E, 0xA5); // plain bars, error bars
pub(super) const HEAT: Rgb = Rgb(0x1F, 0x4E, 0x79); // the heatmap's busiest cell
pub(super) const FAINT: Rgb = Rgb(0x99, 0x99, 0x99); // frame, "no data", low-sample groups
pub(super) const GRID: RGBAColor = RGBAColor(0, 0, 0, 0.12);

/// An RGB colour for a series, bar part or legend entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// Tier colour: platinum (slate blue, so that it reads on white).
pub const PLATINUM: Rgb = Rgb(0x4F, 0x6D, 0x8C);
/// Tier colour: gold.
pub const GOLD: Rgb = Rgb(0xD4, 0xA0, 0x17);
/// Tier colour: silver.
pub const SILVER: Rgb = Rgb(0xA3, 0xAD, 0xB8);
/// Tier colour: bronze.
pub const BRONZE: Rgb = Rgb(0xB0, 0x6A, 0x2C);
/// Neutral grey, for "(none)" / untiered.
pub const GREY: Rgb = Rgb(0x6E, 0x6E, 0x6E);
/// Input table colours (rejects): a palette of their own, so that no
/// colour means a tier, a sentiment and a table at once.
pub const TABLE_COLORS: [Rgb; 4] = [
    Rgb(0x76, 0x2A, 0x83), // purple
    Rgb(0x01, 0x85, 0x71), // teal
    Rgb(0xC5, 0x1B, 0x7D), // magenta
    Rgb(0x25, 0x25, 0x25), // near black
];
/// Care queue: shouts already past due when D ends (orange).
pub const PAST_DUE: Rgb = Rgb(0xE6, 0x55, 0x0D);
/// Sentiment colour: positive (green).
pub const POSITIVE: Rgb = Rgb(0x2E, 0x9E, 0x44);
/// Sentiment colour: neutral (grey).
pub const NEUTRAL: Rgb = Rgb(0xA0, 0xA0, 0xA0);
/// Sentiment colour: negative (red).
pub const NEGATIVE: Rgb = Rgb(0xD1, 0x43, 0x3A);

/// One named series of values, one per x label.
#[derive(Clone, Debug)]
pub struct Series {
    /// Name shown in the legend.
    pub name: String,
    /// One value per label; missing or non-finite values are skipped.
    pub values: Vec<f64>,
    /// Line or bar colour.
    pub color: Rgb,
}

/// A chart could not be drawn (the message of plotters' drawing error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartError(String);

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot draw chart: {}", self.0)
    }
}

impl std::error::Error for ChartError {}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        ChartError(e.to_string())
    }
}

pub(super) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
pub(super) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
pub(super) type Drawn = Result<(), ChartError>;
pub(super) type At<'a> = &'a dyn Fn(usize) -> (f64, f64);
pub(super) type Built<'a, 'b> = Result<Chart<'a, 'b>, ChartError>;

/// Lines over categorical x labels (e.g. accounts per tier per date), points
/// marked, legend above; a non-finite value leaves a gap in its line.
pub fn lines(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    y_label: &str,
) -> Result<String, ChartError> {
    let points = |s: &Series| per_label(&s.values, x_labels.len());
    let all: Vec<f64> = series.iter().flat_map(points).collect();
    let has_data = all.iter().any(|v| v.is_finite());
    render(title, (WIDTH, HEIGHT), series, has_data, |area| {
        let y = Axis::Values(bounds(&all));
        let mut chart = frame(area, Axis::Cats(x_labels), y, ("", y_label))?;
        for s in series {
            let style = rgb(s.color).filled().stroke_width(2);
            let points: Vec<_> = points(s).into_iter().enumerate().collect();
            for run in points.split(|p| !p.1.is_finite()) {
                let run = run.iter().map(|&(i, v)| (i as f64, v));
                chart.draw_series(LineSeries::new(run, style).point_size(3))?;
            }
        }
        Ok(())
    })
}

/// Vertical bars, one per label (e.g. a `value_score` histogram with labels
/// "0–5", "5–10", …); each value is printed above its bar when it fits.
pub fn bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    x_label: &str,
    y_label: &str,
) -> Result<String, ChartError> {
    columns(title, labels, &[(values, INK)], (x_label, y_label), &[])
}

/// Horizontal bars, one row per label from the top (e.g. stage timings),
/// with the value and `unit` printed at the end of each bar.
pub fn hbars(
    title: &str,
    labels: &[String],
    values: &[f64],
    unit: &str,
) -> Result<String, ChartError> {
    let (n, values) = (labels.len(), per_label(values, labels.len()));
    let text = |v: f64| format!("{} {unit}", exact(v)).trim().to_string();
    let has_data = values.iter().any(|v| v.is_finite());
    let height = HEIGHT.max(70 + 22 * n as u32);
    render(title, (WIDTH, height), &[], has_data, |area| {
        // Widen the value range so that the text after the longest bar fits.
        let plot_w = f64::from(area.dim_in_pixel().0 - cat_width(labels, ROW_CHARS) - 3 * MARGIN);
        let widest = values.iter().map(|v| text_w(&text(*v))).fold(0.0, f64::max);
        let share = ((widest + 12.0) / plot_w.max(1.0)).min(0.5);
        let (lo, hi) = bounds(&values);
        let pad = (hi - lo) * share / (1.0 - share);
        let x = Axis::Values((if lo < 0.0 { lo - pad } else { lo }, hi + pad));
        let chart = frame(area, x, Axis::Cats(labels), (unit, ""))?;
        let (area, ink) = (chart.plotting_area(), rgb(INK).filled());
        for (i, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            let (y, w) = (i as f64, BAR / 2.0);
            area.draw(&Rectangle::new([(0.0, y - w), (*v, y + w)], ink))?;
            let (dx, side) = [(4, HPos::Left), (-4, HPos::Right)][usize::from(*v < 0.0)];
            let style = label_style(BLACK, side, VPos::Center);
            tag(&chart, (*v, y), (dx, 0), &text(*v), style)?;
        }
        Ok(())
    })
}

/// Vertical stacked bars: per label, `parts[i].values[label]` stacked in order
/// (negative values down from 0), a legend, totals printed when they fit.
pub fn stacked_bars(
    title: &str,
    labels: &[String],
    parts: &[Series],
    y_label: &str,
) -> Result<String, ChartError> {
    let values: Vec<_> = parts.iter().map(|p| (&p.values[..], p.color)).collect();
    columns(title, labels, &values, ("", y_label), parts)
}

/// NPS per group, one row per label: a point at value ± margin (horizontal
/// error bar) on a fixed −100..100 axis with a line at 0. Low-sample groups
/// are hollow and grey, labels suffixed " (low sample)"; height grows with rows.
pub fn error_bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    margins: &[f64],
    low_sample: &[bool],
) -> Result<String, ChartError> {
    let n = labels.len();
    let low = |i: usize| low_sample.get(i) == Some(&true);
    let mark = |(i, l): (usize, &String)| l.clone() + if low(i) { " (low sample)" } else { "" };
    let names: Vec<String> = labels.iter().enumerate().map(mark).collect();
    let (values, margins) = (per_label(values, n), per_label(margins, n));
    let has_data = values.iter().any(|v| v.is_finite());
    let height = (80 + 24 * n as u32).max(120);
    render(title, (WIDTH, height), &[], has_data, |area| {
        let x = Axis::Values((-100.0, 100.0));
        let mut chart = frame(area, x, Axis::Cats(&names), (NPS_AXIS, ""))?;
        let zero = [(0.0, -0.5), (0.0, n as f64 - 0.5)];
        chart.draw_series(LineSeries::new(zero, BLACK.stroke_width(1)))?;
        for (i, v) in values.iter().enumerate().filter(|(_, v)| v.is_finite()) {
            let m = margins[i].abs().max(0.0); // NaN → 0
            let v = v.clamp(-100.0, 100.0);
            let (y, lo, hi) = (i as f64, (v - m).max(-100.0), (v + m).min(100.0));
            let (area, solid) = (chart.plotting_area(), rgb(INK).filled());
            let style = if low(i) { rgb(FAINT).into() } else { solid };
            let bar = ErrorBar::new_horizontal(y, lo, v, hi, style.stroke_width(2), 10);
            area.draw(&bar)?;
            if low(i) {
                area.draw(&Circle::new((v, y), 4, WHITE.filled()))?; // hollow point
            }
        }
        Ok(())
    })
}

/// The title of the NPS axis, shared by every NPS chart.
pub const NPS_AXIS: &str = "NPS, −100 … 100 (bar: 95 % margin of error)";

/// From × to matrix (e.g. tier transitions): rows "from" (y), columns "to" (x);
/// cells shaded by count (log scale) and printing it; missing cells count 0.
/// The `impossible` (row, column) cells are drawn hatched grey, marked
/// "impossible", never as a count.
pub fn heatmap(
    title: &str,
    rows: &[String],
    cols: &[String],
    counts: &[Vec<u64>],
    impossible: &[(usize, usize)],
) -> Result<String, ChartError> {
    matrix(title, (rows, cols), counts, impossible, ("to", "from"))
}

/// Counts of two banded measures (e.g. network against vendor influence):
/// a [`heatmap`] with no impossible cell whose axes say what the columns
/// (x) and the rows (y) are.
pub fn grid(
    title: &str,
    rows: &[String],
    cols: &[String],
    counts: &[Vec<u64>],
    axes: (&str, &str),
) -> Result<String, ChartError> {
    matrix(title, (rows, cols), counts, &[], axes)
}

fn matrix(
    title: &str,
    (rows, cols): (&[String], &[String]),
    counts: &[Vec<u64>],
    impossible: &[(usize, usize)],
    axes: (&str, &str),
) -> Result<String, ChartError> {
    let (nr, nc) = (rows.len(), cols.len());
    let count = |r: usize, c: usize| counts.get(r).and_then(|row| row.get(c)).map_or(0, |n| *n);
    let cells = || (0..nr).flat_map(move |r| (0..nc).map(move |c| (r, c)));
    let max = cells().map(|(r, c)| count(r, c)).max().unwrap_or(0);
    render(title, (WIDTH, 340), &[], nr > 0 && nc > 0, |area| {
        let chart = frame(area, Axis::Cats(cols), Axis::Cats(rows), axes)?;
        let area = chart.plotting_area();
        for (r, c) in cells() {
            let (x, y) = (c as f64, r as f64);
            if impossible.contains(&(r, c)) {
                let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                let mut cell = Rectangle::new(corners, rgb(FAINT).stroke_width(1));
                area.draw(cell.set_margin(1, 1, 1, 1))?;
                for k in 1..4 {
                    let d = f64::from(k) / 4.0;
                    let hatch = [(x - 0.5 + d, y - 0.5), (x - 0.5, y - 0.5 + d)];
                    area.draw(&PathElement::new(hatch, rgb(FAINT)))?;
                    let hatch = [(x + 0.5, y - 0.5 + d), (x - 0.5 + d, y + 0.5)];
                    area.draw(&PathElement::new(hatch, rgb(FAINT)))?;
                }
                let style = label_style(rgb(FAINT), HPos::Center, VPos::Center);
                tag(&chart, (x, y), (0, 0), "impossible", style)?;
                continue;
            }
            let n = count(r, c);
            let t = (n as f64).ln_1p() / (max.max(1) as f64).ln_1p();
            let corners = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
            area.draw(Rectangle::new(corners, shade(t).filled()).set_margin(1, 1, 1, 1))?;
            let ink = if t > 0.55 { WHITE } else { BLACK };
            let style = label_style(ink, HPos::Center, VPos::Center);
            tag(&chart, (x, y), (0, 0), &n.to_string(), style)?;
        }
        Ok(())
    })
}

/// Vertical bars stacking `parts` per label, each total printed at its end.
fn columns(
    title: &str,
    labels: &[String],
    parts: &[(&[f64], Rgb)],
    descs: (&str, &str),
    legend: &[Series],
) -> Result<String, ChartError> {
    let n = labels.len();
    let (mut up, mut down, mut sums) = (vec![0.0; n], vec![0.0; n], vec![f64::NAN; n]);
    let mut cells = Vec::new();
    for (values, color) in parts {
        let values = per_label(values, n).into_iter().enumerate();
        for (j, v) in values.filter(|(_, v)| v.is_finite()) {
            let base = if v < 0.0 { &mut down[j] } else { &mut up[j] };
            cells.push(column(j, *base, *base + v, *color));
            *base += v;
            sums[j] = up[j] + down[j];
        }
    }
    let has_data = sums.iter().any(|v| v.is_finite());
    render(title, (WIDTH, HEIGHT), legend, has_data, |area| {
        let y = Axis::Values(bounds(up.iter().chain(&down)));
        let mut chart = frame(area, Axis::Cats(labels), y, descs)?;
        chart.draw_series(cells)?;
        let slot = f64::from(chart.plotting_area().dim_in_pixel().0) / n.max(1) as f64;
        let fits = |v: &f64| v.is_finite() && text_w(&exact(*v)) <= slot;
        for (j, sum) in sums.iter().enumerate().filter(|(_, v)| fits(v)) {
            let style = label_style(BLACK, HPos::Center, VPos::Bottom);
            tag(&chart, (j as f64, up[j]), (0, -3), &exact(*sum), style)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The contents of every `<text>` element, unescaped only as far as the
    /// tests need.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t[t.find('>')? + 1..t.find("</text>")?].trim().to_string()))
            .collect()
    }

    fn has_text(svg: &str, want: &str) -> bool {
        texts(svg).iter().any(|t| t == want)
    }

    fn series(name: &str, values: &[f64], color: Rgb) -> Series {
        let (name, values) = (name.to_string(), values.to_vec());
        Series {
            name,
            values,
            color,
        }
    }

    fn tiers() -> Vec<String> {
        strings(&["platinum", "gold", "silver", "bronze", "(none)"])
    }

    /// One realistic example of every chart, with its title.
    fn all_charts() -> Vec<(&'static str, String)> {
        let dates: Vec<String> = (1..=7).map(|d| format!("2025-06-0{d}")).collect();
        let tiers = tiers();
        let counts: Vec<Vec<u64>> = (0..5)
            .map(|r| (0..5).map(|c| r * 10 + c).collect())
            .collect();
        let parts = [
            series("positive", &[5.0, 7.0], POSITIVE),
            series("negative", &[1.0, 2.0], NEGATIVE),
        ];
        let tier_lines = [series("gold", &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], GOLD)];
        let two = strings(&["x", "y"]);
        vec![
            (
                "Lines",
                lines("Lines", &dates, &tier_lines, "accounts").unwrap(),
            ),
            (
                "Bars",
                bars("Bars", &two, &[3.0, 4.0], "score", "accounts").unwrap(),
            ),
            ("HBars", hbars("HBars", &two, &[3.0, 4.0], "ms").unwrap()),
            (
                "Stacked",
                stacked_bars("Stacked", &two, &parts, "mentions").unwrap(),
            ),
            (
                "NPS",
                error_bars("NPS", &two, &[10.0, -20.0], &[5.0, 8.0], &[false, true]).unwrap(),
            ),
            (
                "Heat",
                heatmap("Heat", &tiers, &tiers, &counts, &[]).unwrap(),
            ),
        ]
    }

    #[test]
    fn every_chart_is_an_inline_svg_labelled_with_its_title() {
        for (title, svg) in all_charts() {
            assert!(
                svg.starts_with("<svg role=\"img\" "),
                "{title}: {}",
                &svg[..60]
            );
            assert!(svg.contains(&format!("aria-label=\"{title}\"")), "{title}");
            assert!(
                svg.contains("xmlns=\"http://www.w3.org/2000/svg\""),
                "{title}"
            );
            assert_eq!(svg.matches("<svg").count(), 1, "{title}");
            assert!(!svg.contains("<?xml"), "{title}");
            assert!(svg.trim_end().ends_with("</svg>"), "{title}");
            assert!(has_text(&svg, title), "{title}: title not drawn");
            assert!(!has_text(&svg, "no data"), "{title}");
            assert!(svg.contains("font-family=\"sans-serif\""), "{title}");
        }
    }

    #[test]
    fn sizes_follow_the_chart_kind() {
        let charts = all_charts();
        let size = |i: usize| charts[i].1.contains("width=\"960\" height=\"320\"");
        assert!(size(0) && size(1) && size(3));
        assert!(charts[5].1.contains("width=\"960\" height=\"340\""));
        let labels: Vec<String> = (0..30).map(|i| format!("group {i}")).collect();
        let values = vec![10.0; 30];
        let svg = error_bars("NPS", &labels, &values, &values, &[]).unwrap();
        assert!(svg.contains(&format!("height=\"{}\"", 80 + 24 * 30)));
    }

    #[test]
    fn the_title_is_escaped_in_the_attribute_and_the_text() {
        let title = r#"Tiers & "moves" <today>"#;
        let svg = bars(title, &strings(&["a"]), &[1.0], "", "").unwrap();
        let root = &svg[..svg.find('>').unwrap()];
        assert!(root.contains(r#"aria-label="Tiers &amp; &quot;moves&quot; &lt;today&gt;""#));
        assert!(svg.contains("Tiers &amp; &quot;moves&quot; &lt;today&gt;"));
        assert!(!svg.contains("<today>"));
    }

    #[test]
    fn every_category_label_is_drawn() {
        let bins: Vec<String> = (0..20)
            .map(|i| format!("{}–{}", i * 5, i * 5 + 5))
            .collect();
        let values: Vec<f64> = (0..20).map(|i| f64::from(i * 1000)).collect();
        let svg = bars("Scores", &bins, &values, "value_score", "accounts").unwrap();
        for bin in &bins {
            assert!(has_text(&svg, bin), "missing {bin}");
        }
        // 20 bins do not fit side by side in 960 px: they are rotated.
        assert_eq!(svg.matches("rotate(270").count(), 20 + 1); // and the y description
        assert!(has_text(&svg, "value_score") && has_text(&svg, "accounts"));
        for (title, svg) in &all_charts()[1..5] {
            let y = if *title == "NPS" {
                "y (low sample)"
            } else {
                "y"
            };
            assert!(has_text(svg, "x") && has_text(svg, y), "{title}");
        }
    }

    #[test]
    fn crowded_labels_are_thinned_but_few_stay_horizontal() {
        let dates: Vec<String> = (0..90).map(|d| format!("day {d:02}")).collect();
        let values: Vec<f64> = (0..90).map(f64::from).collect();
        let svg = lines("Daily", &dates, &[series("a", &values, GOLD)], "n").unwrap();
        let drawn = dates.iter().filter(|d| has_text(&svg, d)).count();
        assert!(drawn > 10 && drawn < 90, "{drawn} of 90 labels drawn");
        assert!(has_text(&svg, "day 00"));
        let svg = bars("Few", &strings(&["a", "b", "c"]), &[1.0, 2.0, 3.0], "", "").unwrap();
        assert!(!svg.contains("rotate("));
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "a".repeat(60);
        let svg = hbars("Long", std::slice::from_ref(&long), &[1.0], "ms").unwrap();
        assert!(!svg.contains(&long));
        assert!(has_text(&svg, &format!("{}…", "a".repeat(ROW_CHARS - 1))));
    }

    #[test]
    fn the_heatmap_prints_every_count() {
        let counts: Vec<Vec<u64>> = (0..5u64)
            .map(|r| (0..5).map(|c| r * 1_000_003 + c * 7).collect())
            .collect();
        let svg = heatmap("Moves", &tiers(), &tiers(), &counts, &[]).unwrap();
        for count in counts.iter().flatten() {
            assert!(has_text(&svg, &count.to_string()), "missing {count}");
        }
        for tier in tiers() {
            assert_eq!(
                texts(&svg).iter().filter(|t| **t == tier).count(),
                2,
                "{tier}"
            );
        }
        assert!(has_text(&svg, "from") && has_text(&svg, "to"));
        // Missing rows and cells count as zero; nothing panics.
        let svg = heatmap("Ragged", &tiers(), &tiers(), &[vec![3]], &[]).unwrap();
        assert_eq!(texts(&svg).iter().filter(|t| *t == "0").count(), 24);
        // The impossible cell is marked, not counted as 0.
        let svg = heatmap("Moves", &tiers(), &tiers(), &[vec![3]], &[(4, 4)]).unwrap();
        assert_eq!(texts(&svg).iter().filter(|t| *t == "0").count(), 23);
        assert!(has_text(&svg, "impossible"));
    }

    #[test]
    fn the_grid_names_its_axes_and_prints_every_count() {
        let rows = strings(&["80–100", "0–20"]);
        let cols = strings(&["none", "0–20", "80–100"]);
        let svg = grid(
            "Bands",
            &rows,
            &cols,
            &[vec![1, 0, 7], vec![3]],
            ("vendor", "network"),
        )
        .unwrap();
        assert!(has_text(&svg, "vendor") && has_text(&svg, "network"));
        assert!(!has_text(&svg, "from") && !has_text(&svg, "impossible"));
        for count in ["1", "7", "3"] {
            assert!(has_text(&svg, count), "{count}");
        }
        assert_eq!(texts(&svg).iter().filter(|t| *t == "0").count(), 3);
    }

    #[test]
    fn error_bars_mark_low_sample_groups() {
        let labels = strings(&["gold", "silver", "bronze"]);
        let low = [false, true, false];
        let svg = error_bars(
            "NPS",
            &labels,
            &[40.0, 10.0, -30.0],
            &[5.0, 20.0, 4.0],
            &low,
        )
        .unwrap();
        assert!(has_text(&svg, "gold") && has_text(&svg, "bronze"));
        assert!(has_text(&svg, "silver (low sample)"));
        assert!(!has_text(&svg, "silver") && !has_text(&svg, "gold (low sample)"));
        // Two solid points, one hollow grey one.
        assert_eq!(svg.matches("<circle").count(), 4);
        assert_eq!(svg.matches(r##"fill="none" stroke="#999999""##).count(), 1);
        for tick in ["-100", "0", "100"] {
            assert!(has_text(&svg, tick), "no {tick} tick");
        }
        assert!(has_text(&svg, NPS_AXIS), "no axis title");
        // The line at 0 spans the plot: it is the one vertical black line.
        assert!(svg.contains(r##"stroke="#000000" stroke-width="1" points=""##));
    }

    #[test]
    fn empty_inputs_draw_no_data() {
        let none: Vec<String> = vec![];
        let charts = [
            lines("L", &none, &[], "y").unwrap(),
            lines("L", &strings(&["a"]), &[], "y").unwrap(),
            lines("L", &none, &[series("s", &[1.0], GOLD)], "y").unwrap(),
            bars("B", &none, &[], "x", "y").unwrap(),
            bars("B", &strings(&["a"]), &[f64::NAN], "x", "y").unwrap(),
            hbars("H", &none, &[], "ms").unwrap(),
            stacked_bars("S", &none, &[], "y").unwrap(),
            stacked_bars("S", &strings(&["a"]), &[], "y").unwrap(),
            error_bars("E", &none, &[], &[], &[]).unwrap(),
            error_bars("E", &strings(&["a"]), &[f64::NAN], &[1.0], &[true]).unwrap(),
            heatmap("M", &none, &none, &[], &[]).unwrap(),
            heatmap("M", &tiers(), &none, &[], &[]).unwrap(),
        ];
        for svg in charts {
            assert!(svg.starts_with("<svg") && svg.contains("aria-label"));
            assert!(has_text(&svg, "no data"), "{svg}");
            assert!(svg.contains("<rect"), "no frame");
        }
    }

    #[test]
    fn nan_values_are_skipped() {
        let labels = strings(&["a", "b", "c"]);
        let svg = bars("B", &labels, &[1.0, f64::NAN, 3.0], "", "").unwrap();
        assert!(has_text(&svg, "1") && has_text(&svg, "3"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // A NaN breaks a line in two; its neighbours are still marked.
        let s = series("tier", &[1.0, f64::NAN, 3.0], BRONZE);
        let svg = lines("L", &labels, &[s], "").unwrap();
        assert_eq!(
            svg.matches(r##"<polyline fill="none" opacity="1" stroke="#B06A2C""##)
                .count(),
            2
        );
        assert_eq!(svg.matches(r##"fill="#B06A2C""##).count(), 2 + 1); // points and legend
        let svg = hbars("H", &labels, &[f64::NAN, 2.0, f64::INFINITY], "ms").unwrap();
        assert!(has_text(&svg, "2 ms") && !svg.contains("NaN") && !svg.contains("inf"));
    }

    #[test]
    fn negative_values_are_drawn_both_ways() {
        let labels = strings(&["up", "down"]);
        let svg = bars("B", &labels, &[5.0, -3.0], "", "").unwrap();
        assert!(has_text(&svg, "5") && has_text(&svg, "-3"));
        let svg = hbars("H", &labels, &[5.0, -3.0], "ms").unwrap();
        assert!(has_text(&svg, "5 ms") && has_text(&svg, "-3 ms"));
        let parts = [
            series("p", &[5.0, 1.0], POSITIVE),
            series("n", &[-2.0, -4.0], NEGATIVE),
        ];
        let svg = stacked_bars("S", &labels, &parts, "").unwrap();
        assert!(has_text(&svg, "3") && has_text(&svg, "-3"));
        let svg = error_bars("E", &labels, &[-150.0, 30.0], &[-10.0, f64::NAN], &[]).unwrap();
        assert!(svg.contains("<line") && svg.contains("<circle"));
    }

    #[test]
    fn values_on_bars_are_exact_and_axes_compact() {
        let labels = strings(&["twitter", "reddit"]);
        let parts = [
            series("positive", &[1_234_567.0, 20_000.0], POSITIVE),
            series("neutral", &[2_000_000.0, 0.0], NEUTRAL),
        ];
        let svg = stacked_bars("Mentions", &labels, &parts, "mentions").unwrap();
        assert!(has_text(&svg, "3234567") && has_text(&svg, "20000"));
        assert!(
            texts(&svg).iter().any(|t| t.ends_with('M')),
            "no compact axis label"
        );
        assert!(has_text(&svg, "positive") && has_text(&svg, "neutral"));
        let svg = hbars("Stages", &labels, &[98_321.0, 2_210.25], "ms").unwrap();
        assert!(has_text(&svg, "98321 ms") && has_text(&svg, "2210.25 ms"));
        assert!(has_text(&svg, "20K"));
    }

    #[test]
    fn numbers_are_formatted() {
        assert_eq!(exact(1_234_567.0), "1234567");
        assert_eq!(exact(-3.0), "-3");
        assert_eq!(exact(2.5), "2.5");
        assert_eq!(exact(2210.256), "2210.26");
        assert_eq!(exact(f64::NAN), "");
        assert_eq!(compact(&1_200_000.0), "1.2M");
        assert_eq!(compact(&350_000.0), "350K");
        assert_eq!(compact(&-1_500.0), "-1.5K");
        assert_eq!(compact(&3e9), "3B");
        assert_eq!(compact(&0.0), "0");
        assert_eq!(compact(&0.25), "0.25");
        assert_eq!(compact(&40.0), "40");
    }

    #[test]
    fn mismatched_lengths_do_not_panic() {
        let labels = strings(&["a", "b", "c"]);
        bars("B", &labels, &[1.0], "", "").unwrap();
        bars("B", &labels, &[1.0, 2.0, 3.0, 4.0, 5.0], "", "").unwrap();
        hbars("H", &labels, &[], "").unwrap();
        error_bars("E", &labels, &[1.0, 2.0, 3.0], &[], &[true]).unwrap();
        let svg = stacked_bars("S", &labels, &[series("p", &[1.0; 9], GOLD)], "").unwrap();
        assert!(!has_text(&svg, "no data"));
        lines(
            "L",
            &labels,
            &[series("s", &[], GOLD), series("t", &[2.0], SILVER)],
            "",
        )
        .unwrap();
    }

    #[test]
    fn errors_carry_the_plotters_message() {
        let err = ChartError::from(DrawingAreaErrorKind::<std::io::Error>::LayoutError);
        assert_eq!(err.to_string(), "cannot draw chart: Bad layout");
        let _: &dyn std::error::Error = &err;
    }
}
