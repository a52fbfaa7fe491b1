//! The weekly report's chart: open malicious / KEV / critical / high findings at the end of
//! each of the last 12 weeks, and the fixes within each week, as an SVG.
//!
//! Drawn with plotters' SVG backend only (no font crate: text is written as SVG `<text>` for
//! the viewer to render, and plotters estimates its width), so the static musl build keeps
//! its pure-Rust dependency tree. Every label is kevgate's own text (class names, dates,
//! counts): nothing from an SBOM reaches the SVG.

use super::{CLASSES, Weekly};
use plotters::prelude::*;

/// Width and height in pixels.
const SIZE: (u32, u32) = (900, 420);

/// The colour of each series: malicious, KEV, critical, high, fixes.
const COLOURS: [RGBColor; 5] = [
    RGBColor(0x6f, 0x42, 0xc1),
    RGBColor(0xd7, 0x3a, 0x49),
    RGBColor(0xe3, 0x62, 0x09),
    RGBColor(0xdb, 0xab, 0x09),
    RGBColor(0x28, 0xa7, 0x45),
];

/// The chart as an SVG document.
pub fn svg(w: &Weekly) -> Result<String, String> {
    let mut out = String::new();
    draw(w, &mut out).map_err(|e| format!("cannot draw the chart: {e}"))?;
    Ok(out)
}

fn draw(w: &Weekly, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let n = w.weeks.len().max(1);
    let top = w
        .weeks
        .iter()
        .flat_map(|wk| wk.open.values().copied().chain([wk.fixed]))
        .max()
        .unwrap_or(0)
        .max(4);
    let labels: Vec<String> = w
        .weeks
        .iter()
        .map(|wk| wk.end.strftime("%m-%d").to_string())
        .collect();
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("kevgate: open findings and fixes per week, to {}", w.until),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(40)
        .build_cartesian_2d(0usize..n - 1, 0usize..top + top / 5 + 1)?;
    chart
        .configure_mesh()
        .x_labels(n)
        .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
        .x_desc("week ending")
        .y_desc("issues")
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, class) in CLASSES.iter().enumerate() {
        let points: Vec<(usize, usize)> = w
            .weeks
            .iter()
            .enumerate()
            .map(|(x, wk)| (x, wk.open.get(class.as_str()).copied().unwrap_or(0)))
            .collect();
        let colour = COLOURS[i];
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(2)))?
            .label(format!("open {}", class.as_str()))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
    }
    let colour = COLOURS[4];
    chart
        .draw_series(
            w.weeks
                .iter()
                .enumerate()
                .map(|(x, wk)| Circle::new((x, wk.fixed), 4, colour.filled())),
        )?
        .label("fixed that week")
        .legend(move |(x, y)| Circle::new((x + 8, y), 4, colour.filled()));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.3))
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    Ok(())
}
