//! placeholder until the chart module lands
#![allow(missing_docs, unused_variables)]
#[derive(Debug)]
pub struct ChartError(String);
impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for ChartError {}
#[derive(Clone, Copy, Debug)]
pub struct Rgb(pub u8, pub u8, pub u8);
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
    pub color: Rgb,
}
pub const PLATINUM: Rgb = Rgb(0, 0, 0);
pub const GOLD: Rgb = Rgb(0, 0, 0);
pub const SILVER: Rgb = Rgb(0, 0, 0);
pub const BRONZE: Rgb = Rgb(0, 0, 0);
pub const NEUTRAL: Rgb = Rgb(0, 0, 0);
pub const POSITIVE: Rgb = Rgb(0, 0, 0);
pub const NEUTRAL_SENTIMENT: Rgb = Rgb(0, 0, 0);
pub const NEGATIVE: Rgb = Rgb(0, 0, 0);
fn e() -> Result<String, ChartError> {
    Err(ChartError("pending".into()))
}
pub fn lines(
    title: &str,
    x_labels: &[String],
    series: &[Series],
    y_label: &str,
) -> Result<String, ChartError> {
    e()
}
pub fn bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    x_label: &str,
    y_label: &str,
) -> Result<String, ChartError> {
    e()
}
pub fn hbars(
    title: &str,
    labels: &[String],
    values: &[f64],
    unit: &str,
) -> Result<String, ChartError> {
    e()
}
pub fn stacked_bars(
    title: &str,
    labels: &[String],
    parts: &[Series],
    y_label: &str,
) -> Result<String, ChartError> {
    e()
}
pub fn error_bars(
    title: &str,
    labels: &[String],
    values: &[f64],
    margins: &[f64],
    low_sample: &[bool],
) -> Result<String, ChartError> {
    e()
}
pub fn heatmap(
    title: &str,
    rows: &[String],
    cols: &[String],
    counts: &[Vec<u64>],
) -> Result<String, ChartError> {
    e()
}
