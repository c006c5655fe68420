//! Charts, drawn once with plotters for the live screen (SVG) and for exports (SVG and
//! PNG). A chart is first described as data by `pejling_core::chart` ([`Chart`]: rows of
//! labelled bars, or a strip of guesses), then drawn here by one function on any plotters
//! backend, so the screen and the report cannot disagree.
//!
//! Readable on a projector (large type, 16:9: [`svg`], or the size of the screen's box:
//! [`svg_sized`]) and on paper (a report and the PNG exports draw a chart at its
//! [`natural_size`], as high as its content needs: [`svg_fitted`]), colour-blind-safe
//! colours (Okabe–Ito), Danish labels by default, and the source of a national figure under
//! its bar. All text goes through plotters' SVG backend, which escapes `<`, `>`, `&` and
//! quotes.

use std::path::Path;
use std::sync::Once;

use pejling_core::chart::{Chart, Series, Strip};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 675;
const FONT: &str = "sans-serif";

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
const ACTUAL: RGBColor = RGBColor(0x00, 0x72, 0xB2); // blue
const PERCEIVED: RGBColor = RGBColor(0xE6, 0x9F, 0x00); // orange
const NATIONAL: RGBColor = RGBColor(0x00, 0x9E, 0x73); // bluish green
const INK: RGBColor = RGBColor(0x11, 0x11, 0x11);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const TRACK: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// A series' colour, the same in the bars, the markers and the legend.
fn colour(series: Series) -> RGBColor {
    match series {
        Series::Actual => ACTUAL,
        Series::Perceived => PERCEIVED,
        Series::National => NATIONAL,
    }
}

/// Height of a strip chart drawn on its own (reports, tests); the screen asks for its box's
/// size. With labels, one line per marker above the columns.
fn strip_height(strip: &Strip) -> u32 {
    STRIP_TOP + label_lines(strip) * STRIP_LINE + STRIP_PLOT + STRIP_AXIS
}

/// The least height a strip can be drawn in: its labels, the axis and a short plot.
fn strip_height_min(strip: &Strip) -> u32 {
    STRIP_TOP + label_lines(strip) * STRIP_LINE + 60 + STRIP_AXIS
}

fn label_lines(strip: &Strip) -> u32 {
    if strip.labelled {
        strip.markers.len() as u32
    } else {
        0
    }
}

const STRIP_TOP: u32 = 16;
const STRIP_LINE: u32 = 50;
const STRIP_PLOT: u32 = 190;
const STRIP_AXIS: u32 = 64;

/// DejaVu Sans, embedded (`server/fonts/`, with its licence): charts render the same text
/// on every machine, with no system fonts needed.
const DEJAVU_SANS: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const DEJAVU_SANS_BOLD: &[u8] = include_bytes!("../fonts/DejaVuSans-Bold.ttf");

fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, DEJAVU_SANS)
            .map_err(|_| ())
            .expect("DejaVu Sans is a valid font");
        plotters::style::register_font(FONT, FontStyle::Bold, DEJAVU_SANS_BOLD)
            .map_err(|_| ())
            .expect("DejaVu Sans Bold is a valid font");
    });
}

/// The chart as an SVG document, as the projector and the console show it: a chart of rows
/// at 16:9 (the unit of its rows follows from the height), a strip as high as its labels
/// need.
pub fn svg(chart: &Chart) -> String {
    svg_of_size(chart, (WIDTH, chart_height(chart)))
}

/// The chart as an SVG document of its [`natural_size`]: as high as its content needs, for
/// a report printed on paper.
pub fn svg_fitted(chart: &Chart) -> String {
    svg_of_size(chart, natural_size(chart))
}

fn svg_of_size(chart: &Chart, size: (u32, u32)) -> String {
    register_fonts();
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, size).into_drawing_area();
        draw(&area, chart).expect("drawing into a string cannot fail");
        area.present().expect("SVG into a string");
    }
    out
}

/// The size a chart needs for its content, for a report (HTML, printed on A4 portrait) and
/// the exported PNGs. A chart of rows is [`FITTED_WIDTH`] wide and as high as the title's
/// and the subtitle's lines, the legend, the rows and their bars and the notes need
/// (`natural_unit` a bar), within [`FITTED_MIN_HEIGHT`]..=[`FITTED_MAX_HEIGHT`] (more
/// rows than fit are drawn closer together). A strip keeps the projector's [`WIDTH`], as
/// its text is drawn at the projector's size, and is as high as its marker labels need.
pub fn natural_size(chart: &Chart) -> (u32, u32) {
    if let Some(strip) = &chart.strip {
        return (WIDTH, strip_height(strip));
    }
    register_fonts();
    let frame = frame(chart, FITTED_WIDTH);
    let units = row_units(chart);
    let height = frame.rows_top + units * natural_unit(units) + frame.below_rows;
    (
        FITTED_WIDTH,
        (height.max(0) as u32).clamp(FITTED_MIN_HEIGHT, FITTED_MAX_HEIGHT),
    )
}

/// The height of each bar (or caption line) of a chart of `units` of them at its
/// [`natural_size`]: [`ROW_UNIT`] for up to six, a pixel less for each one more, down to
/// [`MIN_ROW_UNIT`], so a long distribution does not fill a page with white between its
/// bars. The labels are four tenths of it.
fn natural_unit(units: i32) -> i32 {
    (ROW_UNIT + 6 - units).clamp(MIN_ROW_UNIT, ROW_UNIT)
}

/// The width of a chart of rows at its [`natural_size`]. A report shows it across the
/// width of an A4 page (180 mm, ~680 CSS px, so at ~75 %), where its 24 px labels read
/// like 11 pt text.
pub const FITTED_WIDTH: u32 = 900;
/// The height of one bar (or caption line) of a short chart drawn at its
/// [`natural_size`]; its labels are 24 px.
pub const ROW_UNIT: i32 = 60;
/// … and of a long one; its labels are 18 px (two lines of a label still fit).
pub const MIN_ROW_UNIT: i32 = 46;
/// Bounds of a chart's [`natural_size`] height: at least a short box, at most what fits
/// on an A4 page under the question's heading (1100 px print as ~830 of the page's ~1000
/// CSS px).
pub const FITTED_MIN_HEIGHT: u32 = 160;
pub const FITTED_MAX_HEIGHT: u32 = 1100;

/// The chart as an SVG document of about `width` × `height` pixels (clamped to sensible
/// bounds): a strip is drawn at that size, so the projector shows its text at the size it
/// was drawn; other charts keep their own size.
pub fn svg_sized(chart: &Chart, width: u32, height: u32) -> String {
    let Some(strip) = &chart.strip else {
        return svg(chart);
    };
    let strip = &Strip {
        labelled: false,
        ..strip.clone()
    };
    register_fonts();
    let width = width.clamp(400, 3000);
    let height = height.clamp(strip_height_min(strip), 1500);
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        area.fill(&WHITE)
            .expect("drawing into a string cannot fail");
        draw_strip(&area, strip).expect("drawing into a string cannot fail");
        area.present().expect("SVG into a string");
    }
    out
}

/// A chart that could not be written as a PNG file (plotters' error, as text).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the chart {}: {message}", path.display())]
pub struct PngError {
    pub path: std::path::PathBuf,
    pub message: String,
}

/// The chart as a PNG file, of its [`natural_size`].
pub fn png(chart: &Chart, path: &Path) -> Result<(), PngError> {
    register_fonts();
    let failed = |error: &dyn std::fmt::Display| PngError {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let area = BitMapBackend::new(path, natural_size(chart)).into_drawing_area();
    draw(&area, chart).map_err(|e| failed(&e))?;
    area.present().map_err(|e| failed(&e))
}

/// A strip is as high as its markers need; every other chart is 16:9.
fn chart_height(chart: &Chart) -> u32 {
    chart.strip.as_ref().map_or(HEIGHT, strip_height)
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Splits `text` into at most `max_lines` lines no wider than `width` pixels, ending
/// the last with "…" if it does not fit.
/// Measured with the font itself (as every plotters backend measures text), so a layout
/// can be worked out before there is anything to draw on.
fn wrap(text: &str, style: &TextStyle<'_>, width: u32, max_lines: usize) -> Vec<String> {
    let fits = |candidate: &str| {
        style
            .font
            .box_size(candidate)
            .map(|(w, _)| w <= width)
            .unwrap_or(true)
    };
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        while !last.is_empty() && !fits(&format!("{last}…")) {
            last.pop();
        }
        last.push('…');
    }
    lines
}

const MARGIN: i32 = 40;
const TITLE_LINE: i32 = 42;
const SUBTITLE_LINE: i32 = 36;
const LEGEND_LINE: i32 = 36;
const NOTE_LINE: i32 = 26;

fn title_style() -> TextStyle<'static> {
    TextStyle::from((FONT, 34).into_font().style(FontStyle::Bold)).color(&INK)
}

fn subtitle_style() -> TextStyle<'static> {
    TextStyle::from((FONT, 28).into_font()).color(&INK)
}

/// What is above and below a chart's rows at a width: the title and subtitle as drawn
/// (wrapped), where the rows start, and the height of the notes and margin below them.
struct Frame {
    title: Vec<String>,
    subtitle: Vec<String>,
    rows_top: i32,
    below_rows: i32,
}

fn frame(chart: &Chart, width: u32) -> Frame {
    let text_width = (width as i32 - 2 * MARGIN).max(1) as u32;
    let title = wrap(&chart.title, &title_style(), text_width, 2);
    let subtitle = chart
        .subtitle
        .as_deref()
        .map(|subtitle| wrap(subtitle, &subtitle_style(), text_width, 2))
        .unwrap_or_default();
    let legend = if chart.legend.is_empty() {
        0
    } else {
        LEGEND_LINE
    };
    Frame {
        rows_top: MARGIN
            + title.len() as i32 * TITLE_LINE
            + subtitle.len() as i32 * SUBTITLE_LINE
            + legend
            + 12,
        below_rows: chart.notes.len() as i32 * NOTE_LINE + MARGIN,
        title,
        subtitle,
    }
}

/// The rows' height in units: one per bar and one per caption.
fn row_units(chart: &Chart) -> i32 {
    chart
        .rows
        .iter()
        .map(|row| row.bars.len() as i32 + i32::from(row.caption.is_some()))
        .sum::<i32>()
        .max(1)
}

/// Draws a chart on the whole area: a strip, or the title, subtitle and legend on top, the
/// notes at the bottom, and the rows between them as close together as the height makes
/// them (`natural_unit` at the chart's `natural_size`).
fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult<DB> {
    area.fill(&WHITE)?;
    if let Some(strip) = &chart.strip {
        return draw_strip(area, strip);
    }
    let (area_width, area_height) = area.dim_in_pixel();
    let (area_width, area_height) = (area_width as i32, area_height as i32);
    let margin = MARGIN;
    let frame = frame(chart, area_width as u32);
    let mut y = margin;

    let title_style = title_style();
    for line in &frame.title {
        area.draw_text(line, &title_style, (margin, y))?;
        y += TITLE_LINE;
    }
    let subtitle_style = subtitle_style();
    for line in &frame.subtitle {
        area.draw_text(line, &subtitle_style, (margin, y))?;
        y += SUBTITLE_LINE;
    }
    if !chart.legend.is_empty() {
        let style = TextStyle::from((FONT, 22).into_font()).color(&INK);
        let mut x = margin;
        for (series, label) in &chart.legend {
            area.draw(&Rectangle::new(
                [(x, y + 4), (x + 22, y + 24)],
                colour(*series).filled(),
            ))?;
            area.draw_text(label, &style, (x + 30, y + 2))?;
            let (w, _) = area.estimate_text_size(label, &style).unwrap_or((200, 0));
            x += 30 + w as i32 + 40;
        }
        y += LEGEND_LINE;
    }
    y += 12;
    debug_assert_eq!(y, frame.rows_top);

    let bottom = area_height - frame.below_rows;
    // The labels' column is the same share of any width; the values' column is as wide as
    // their text is at any width.
    let label_width = area_width * 380 / WIDTH as i32;
    let track_left = margin + label_width + 20;
    let track_right = area_width - margin - 250;
    let track_width = (track_right - track_left) as f64;
    let span = (chart.max - chart.min).max(f64::EPSILON);
    let x_of = |value: f64| track_left + ((value - chart.min) / span * track_width).round() as i32;

    let unit = ((bottom - y) / row_units(chart)).clamp(24, 80);
    let bar_height = (unit * 6 / 10).max(16);
    let label_size = (unit * 4 / 10).clamp(16, 26);
    let label_style = TextStyle::from((FONT, label_size).into_font()).color(&INK);
    let value_style =
        TextStyle::from((FONT, label_size).into_font().style(FontStyle::Bold)).color(&INK);
    let caption_style = TextStyle::from((FONT, 17).into_font()).color(&MUTED);

    for row in &chart.rows {
        let row_top = y;
        let label_lines = wrap(&row.label, &label_style, label_width as u32, 2);
        for (i, line) in label_lines.iter().enumerate() {
            area.draw_text(
                line,
                &label_style,
                (margin, row_top + i as i32 * (label_size + 4)),
            )?;
        }
        for bar in &row.bars {
            let top = y + (unit - bar_height) / 2 - unit / 5;
            area.draw(&Rectangle::new(
                [(track_left, top), (track_right, top + bar_height)],
                TRACK.filled(),
            ))?;
            let text_x = match bar.value {
                Some(value) => {
                    let end = x_of(value.clamp(chart.min, chart.max));
                    area.draw(&Rectangle::new(
                        [
                            (track_left, top),
                            (end.max(track_left + 2), top + bar_height),
                        ],
                        colour(bar.series).filled(),
                    ))?;
                    if let Some((low, high)) = bar.interval {
                        let (lx, hx) = (x_of(low), x_of(high));
                        let mid = top + bar_height / 2;
                        let ink = INK.stroke_width(3);
                        area.draw(&PathElement::new(vec![(lx, mid), (hx, mid)], ink))?;
                        for x in [lx, hx] {
                            area.draw(&PathElement::new(
                                vec![(x, mid - bar_height / 3), (x, mid + bar_height / 3)],
                                ink,
                            ))?;
                        }
                    }
                    track_right + 16
                }
                None => track_left + 12,
            };
            let style = if bar.value.is_some() {
                value_style.clone()
            } else {
                label_style.clone().color(&MUTED)
            };
            area.draw_text(&bar.value_text, &style, (text_x, top + bar_height / 6))?;
            y += unit;
        }
        if let Some(caption) = &row.caption {
            let caption_width = (area_width - margin - track_left) as u32;
            // Lines of 20 px from a fifth of a unit above the caption's unit: three where
            // they fit (a narrow chart's long source), else two.
            let caption_lines = ((unit * 6 / 5 - 4) / 20).clamp(2, 3) as usize;
            for (i, line) in wrap(caption, &caption_style, caption_width, caption_lines)
                .iter()
                .enumerate()
            {
                area.draw_text(
                    line,
                    &caption_style,
                    (track_left, y - unit / 5 + i as i32 * 20),
                )?;
            }
            y += unit;
        }
        y = y.max(row_top + label_lines.len() as i32 * (label_size + 4));
    }

    let note_style = TextStyle::from((FONT, 20).into_font()).color(&MUTED);
    let mut note_y = bottom + 6;
    for note in &chart.notes {
        area.draw_text(note, &note_style, (margin, note_y))?;
        note_y += NOTE_LINE;
    }
    Ok(())
}

/// Draws a strip: marker labels on top (one line each, in the marker's colour), the
/// guesses as columns per band of ten, the markers as lines through them, and the axis.
/// The text is drawn at the size the projector shows it (36 px labels, 32 px axis): the
/// screen asks for the chart at the size of its box (`svg_sized`).
fn draw_strip<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, strip: &Strip) -> DrawResult<DB> {
    let (width, height) = area.dim_in_pixel();
    let margin = 40i32;
    let left = margin;
    let right = width as i32 - margin;
    let x_of =
        |position: f64| left + (position.clamp(0.0, 1.0) * f64::from(right - left)).round() as i32;
    let label_style = TextStyle::from((FONT, 36).into_font().style(FontStyle::Bold));
    let plot_top = (STRIP_TOP + label_lines(strip) * STRIP_LINE) as i32;
    let plot_bottom = (height - STRIP_AXIS) as i32;
    let plot_height = (plot_bottom - plot_top).max(40);
    // The guesses: a column per band.
    let most = strip.bands.iter().copied().max().unwrap_or(0).max(1);
    let band_width = f64::from(right - left) / strip.bands.len().max(1) as f64;
    let band_x = |i: usize| {
        (
            left + (i as f64 * band_width).round() as i32 + 4,
            left + ((i + 1) as f64 * band_width).round() as i32 - 4,
        )
    };
    let column_top = |count: u32| {
        plot_bottom
            - ((f64::from(count) / f64::from(most)) * f64::from(plot_height - 44)).round() as i32
    };
    for (i, &count) in strip.bands.iter().enumerate() {
        let (x0, x1) = band_x(i);
        area.draw(&Rectangle::new(
            [(x0, plot_top + 4), (x1, plot_bottom)],
            TRACK.filled(),
        ))?;
        if count > 0 {
            area.draw(&Rectangle::new(
                [(x0, column_top(count)), (x1, plot_bottom)],
                PERCEIVED.mix(0.55).filled(),
            ))?;
        }
    }
    // The markers, as thick lines from their label's line down through the columns.
    for (i, marker) in strip.markers.iter().enumerate() {
        let x = x_of(marker.position);
        let top = if strip.labelled {
            STRIP_TOP as i32 + i as i32 * STRIP_LINE as i32 + 40
        } else {
            plot_top
        };
        area.draw(&Rectangle::new(
            [(x - 4, top), (x + 4, plot_bottom)],
            colour(marker.series).filled(),
        ))?;
    }
    // Counts above the columns and the labels on top, each on white so a line that
    // passes behind does not cross the text.
    let count_style = TextStyle::from((FONT, 30).into_font()).color(&INK);
    for (i, &count) in strip.bands.iter().enumerate().filter(|(_, c)| **c > 0) {
        let (x0, x1) = band_x(i);
        let text = count.to_string();
        let (text_width, _) = area
            .estimate_text_size(&text, &count_style)
            .unwrap_or((20, 30));
        let x = (x0 + x1) / 2 - text_width as i32 / 2;
        let y = column_top(count) - 36;
        area.draw(&Rectangle::new(
            [(x - 4, y - 2), (x + text_width as i32 + 4, y + 32)],
            WHITE.filled(),
        ))?;
        area.draw_text(&text, &count_style, (x, y))?;
    }
    for (i, marker) in strip.markers.iter().enumerate().filter(|_| strip.labelled) {
        let colour = colour(marker.series);
        let style = label_style.clone().color(&colour);
        let (text_width, _) = area
            .estimate_text_size(&marker.label, &style)
            .unwrap_or((300, 36));
        let x =
            (x_of(marker.position) - text_width as i32 / 2).clamp(left, right - text_width as i32);
        let y = STRIP_TOP as i32 + i as i32 * STRIP_LINE as i32;
        area.draw(&Rectangle::new(
            [(x - 8, y - 2), (x + text_width as i32 + 8, y + 40)],
            WHITE.filled(),
        ))?;
        area.draw_text(&marker.label, &style, (x, y))?;
    }
    // The axis and its labels.
    area.draw(&Rectangle::new(
        [(left, plot_bottom), (right, plot_bottom + 3)],
        INK.filled(),
    ))?;
    let axis_style = TextStyle::from((FONT, 32).into_font()).color(&INK);
    for (position, text) in &strip.ticks {
        let (text_width, _) = area
            .estimate_text_size(text, &axis_style)
            .unwrap_or((60, 32));
        let x = (x_of(*position) - text_width as i32 / 2)
            .clamp(left - 20, right + 20 - text_width as i32);
        area.draw_text(text, &axis_style, (x, plot_bottom + 14))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
