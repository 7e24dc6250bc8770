//! The frame every chart is drawn in: the SVG document with its title,
//! legend and "no data" case, the axes (values or categories, thinned and
//! rotated when crowded), value labels, and the number and colour helpers.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::*;

/// Draws title, legend and `draw` (or "no data"); returns the markup to inline.
pub(super) fn render(
    title: &str,
    size: (u32, u32),
    legend: &[Series],
    has_data: bool,
    draw: impl FnOnce(&Area<'_>) -> Drawn,
) -> Result<String, ChartError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)?;
        let body = root.titled(title, font(TITLE).style(FontStyle::Bold))?;
        if has_data {
            draw(&legend_rows(&body, legend)?)?;
        } else {
            let (w, h) = body.dim_in_pixel();
            let (w, h, m) = (w as i32, h as i32, MARGIN as i32);
            body.draw(&Rectangle::new([(m, 0), (w - m, h - m)], rgb(FAINT)))?;
            let mut style = label_style(rgb(FAINT), HPos::Center, VPos::Center);
            style.font = font(TITLE);
            body.draw(&Text::new("no data", (w / 2, (h - m) / 2), style))?;
        }
        root.present()?;
    }
    // The backend writes no XML declaration; drop anything before the root anyway.
    let no_root = || ChartError("no <svg> root".into());
    let rest = &svg[svg.find("<svg").ok_or_else(no_root)? + 4..];
    let label = title.replace('&', "&amp;").replace('"', "&quot;");
    let label = label.replace('<', "&lt;").replace('>', "&gt;");
    Ok(format!("<svg role=\"img\" aria-label=\"{label}\"{rest}"))
}

/// Draws the legend in rows under the title; returns the area left below.
pub(super) fn legend_rows<'a>(area: &Area<'a>, items: &[Series]) -> Result<Area<'a>, ChartError> {
    const ROW: i32 = 20; // and the swatch is 12 × 12
    let (left, right) = (VALUE_AREA as i32, area.dim_in_pixel().0 as i32 - 20);
    let (mut x, mut y) = (left, ROW / 2);
    for s in items {
        let w = 36 + text_w(&s.name).ceil() as i32;
        if x > left && x + w > right {
            (x, y) = (left, y + ROW);
        }
        let swatch = Rectangle::new([(0, -6), (12, 6)], rgb(s.color).filled());
        let style = label_style(BLACK, HPos::Left, VPos::Center);
        let name = Text::new(s.name.clone(), (18, 0), style);
        area.draw(&(EmptyElement::at((x, y)) + swatch + name))?;
        x += w;
    }
    let height = (y + ROW / 2 + 4) * i32::from(!items.is_empty());
    Ok(area.split_vertically(height).1)
}

/// An axis: categories at 0, 1, … (along y: from the top), or a value range.
#[derive(Clone, Copy)]
pub(super) enum Axis<'s> {
    Cats(&'s [String]),
    Values((f64, f64)),
}

impl Axis<'_> {
    fn range(self, down: bool) -> std::ops::Range<f64> {
        let n = |labels: &[String]| labels.len() as f64 - 0.5;
        match self {
            Axis::Cats(labels) if down => n(labels)..-0.5, // the first on top
            Axis::Cats(labels) => -0.5..n(labels),
            Axis::Values((lo, hi)) => lo..hi,
        }
    }
}

/// Builds a chart and draws its axes, grid, labels and descriptions (x, y).
pub(super) fn frame<'a, 'b>(
    area: &'a Area<'b>,
    x: Axis,
    y: Axis,
    descs: (&str, &str),
) -> Built<'a, 'b> {
    let pad = |desc: &str| 20 * u32::from(!desc.is_empty());
    let y_area = match y {
        Axis::Cats(labels) => cat_width(labels, ROW_CHARS) + pad(descs.1),
        Axis::Values(..) => VALUE_AREA,
    };
    let plot_w = f64::from(area.dim_in_pixel().0 - y_area - 3 * MARGIN);
    let (cats, x_area) = match x {
        Axis::Cats(labels) => cat_layout(labels, plot_w),
        Axis::Values(..) => (Cats::Across, 26),
    };
    let mut builder = ChartBuilder::on(area);
    builder.margin(MARGIN).margin_right(2 * MARGIN);
    builder.x_label_area_size(x_area + pad(descs.0));
    builder.y_label_area_size(y_area);
    let mut chart = builder.build_cartesian_2d(x.range(false), y.range(true))?;
    let mut mesh = chart.configure_mesh();
    mesh.label_style(font(LABEL)).axis_desc_style(font(LABEL));
    mesh.bold_line_style(GRID).light_line_style(TRANSPARENT);
    // A category axis gets no value labels, and hence no grid lines.
    let ticks = |axis: Axis, n: usize| n * usize::from(matches!(axis, Axis::Values(..)));
    mesh.x_labels(ticks(x, 9)).y_labels(ticks(y, 6));
    mesh.x_label_formatter(&compact).y_label_formatter(&compact);
    if !descs.0.is_empty() {
        mesh.x_desc(descs.0);
    }
    if !descs.1.is_empty() {
        mesh.y_desc(descs.1);
    }
    mesh.draw()?;
    let (x0, y0) = (x.range(false).start, y.range(true).start);
    cat_labels(&chart, x, cats, &|i| (i as f64, y0))?;
    cat_labels(&chart, y, Cats::Rows, &|i| (x0, i as f64))?;
    Ok(chart)
}

/// How category labels are laid out.
pub(super) enum Cats {
    Across,         // under the x axis, side by side
    Rotated(usize), // under the x axis, reading bottom-up; every n-th if crowded
    Rows,           // left of the y axis
}

/// How `labels` fit under a plot `plot_w` pixels wide, and the height needed.
pub(super) fn cat_layout(labels: &[String], plot_w: f64) -> (Cats, u32) {
    let slot = plot_w / labels.len().max(1) as f64;
    let width = cat_width(labels, ROW_CHARS);
    let step = (LABEL / slot).ceil().max(1.0) as usize;
    match f64::from(width) - 8.0 <= slot {
        true => (Cats::Across, 28),
        false => (Cats::Rotated(step), cat_width(labels, X_CHARS)),
    }
}

/// Draws the labels of a category axis; `at(i)` is category `i`'s point on it.
pub(super) fn cat_labels(chart: &Chart, axis: Axis, cats: Cats, at: At) -> Drawn {
    let Axis::Cats(labels) = axis else {
        return Ok(());
    };
    let right = label_style(BLACK, HPos::Right, VPos::Center);
    let (step, offset, style) = match cats {
        Cats::Across => (1, (0, 7), label_style(BLACK, HPos::Center, VPos::Top)),
        Cats::Rotated(n) => (n, (0, 7), right.transform(FontTransform::Rotate270)),
        Cats::Rows => (1, (-7, 0), right),
    };
    let max = [ROW_CHARS, X_CHARS][usize::from(matches!(cats, Cats::Rotated(_)))];
    for (i, label) in labels.iter().enumerate().step_by(step) {
        tag(chart, at(i), offset, &short(label, max), style.clone())?;
    }
    Ok(())
}

/// Width the row labels need left of the plot.
pub(super) fn cat_width(labels: &[String], max: usize) -> u32 {
    let widths = labels.iter().map(|l| text_w(&short(l, max)));
    let widest = widths.fold(0.0, f64::max);
    (widest.ceil() as u32 + 16).clamp(40, 260)
}

/// Draws `text` at the data point `at`, shifted by `offset` pixels.
pub(super) fn tag(
    chart: &Chart,
    at: (f64, f64),
    offset: (i32, i32),
    text: &str,
    style: TextStyle,
) -> Drawn {
    let text = Text::new(text.to_string(), offset, style);
    Ok(chart.plotting_area().draw(&(EmptyElement::at(at) + text))?)
}

/// The bar of category `i` from `from` to `to`.
pub(super) fn column(i: usize, from: f64, to: f64, color: Rgb) -> Rectangle<(f64, f64)> {
    let (x, w) = (i as f64, BAR / 2.0);
    Rectangle::new([(x - w, from), (x + w, to)], rgb(color).filled())
}

/// `values` cut or padded (with NaN) to `n`.
pub(super) fn per_label(values: &[f64], n: usize) -> Vec<f64> {
    let mut values = values.to_vec();
    values.resize(n, f64::NAN);
    values
}

/// Value range: 0 and the finite `values` (if any, else 1), and 10% more.
pub(super) fn bounds<'a>(values: impl IntoIterator<Item = &'a f64>) -> (f64, f64) {
    let finite = values.into_iter().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((0.0_f64, 0.0_f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    (lo * 1.1, if hi > lo { hi + (hi - lo) * 0.1 } else { 1.0 })
}

/// Axis label: 1.2M, 350K, 3B, 12, 0.25.
pub(super) fn compact(v: &f64) -> String {
    let units = [(1e9, "B"), (1e6, "M"), (1e3, "K")];
    let (v, unit) = (*v, units.into_iter().find(|(d, _)| v.abs() >= *d));
    let (div, suffix) = unit.unwrap_or((1.0, ""));
    fixed(v / div, if v.abs() < 10.0 { 2 } else { 1 }) + suffix
}

/// Text on a bar or cell: exact if integral, else ≤ 2 decimals; "" if not finite.
pub(super) fn exact(v: f64) -> String {
    match v.is_finite() {
        true if v.fract() == 0.0 && v.abs() < 9.0e15 => format!("{}", v as i64),
        true => fixed(v, 2),
        false => String::new(),
    }
}

/// Finite `v` with at most `digits` (≥ 1) decimals, without trailing zeros.
pub(super) fn fixed(v: f64, digits: usize) -> String {
    let s = format!("{v:.digits$}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// `label` cut to `max` characters, marking the cut.
pub(super) fn short(label: &str, max: usize) -> String {
    match label.char_indices().nth(max) {
        Some(_) => label.chars().take(max - 1).collect::<String>() + "…",
        None => label.to_string(),
    }
}

/// Estimated width in pixels of `s` in the label font.
pub(super) fn text_w(s: &str) -> f64 {
    s.chars().count() as f64 * LABEL * 0.46
}

pub(super) fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, FontStyle::Normal)
}

pub(super) fn label_style(color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    font(LABEL).color(&color).pos(Pos::new(h, v))
}

/// White to [`HEAT`] at `t` in 0..=1.
pub(super) fn shade(t: f64) -> RGBColor {
    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t.clamp(0.0, 1.0)).round() as u8;
    RGBColor(mix(HEAT.0), mix(HEAT.1), mix(HEAT.2))
}

pub(super) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c.0, c.1, c.2)
}
