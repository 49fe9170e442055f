//! How a chart becomes bytes: PNG, SVG and GIF output and the text in them. Infrastructure: a
//! reader of the lesson may skip this folder; read it to change how the bytes are made.
//!
//! - this file: [`Figure`], a chart drawn the same way on every backend, and [`render`], which
//!   makes one into a PNG's and an SVG's bytes; the font plotters lays text out with
//! - `png.rs`: PNG output, plotters' bitmap backend with wide lines and text drawn right
//! - `svg.rs`: SVG output that carries the subset of its font it uses
//! - `glyphs.rs`: where the letters go, the same in the PNG and the SVG
//! - `font.rs`: a subset of a TrueType font, small enough to embed in an SVG
//! - `gif_encode.rs`: frames drawn on request into one looping GIF with one shared palette

use std::path::PathBuf;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::{Error, Result};

mod font;
pub(super) mod gif_encode;
mod glyphs;
pub(super) mod png;
mod svg;

/// The font every chart's text is set in, as plotters knows it ([`register_fonts`]).
pub(super) const FONT: &str = svg::FAMILY;

/// What drawing on the plotters backend `DB` returns.
pub(super) type DrawResult<T, DB> = std::result::Result<T, DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart drawn the same way on every backend: its one drawing function, called once for the
/// PNG and once for the SVG by [`render`].
pub(super) trait Figure {
    /// The file name without extension.
    fn name(&self) -> &'static str;

    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Draws the chart on `root` (white, of [`Figure::size`]).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB>;
}

/// `figure` as `name.png` and `name.svg`: (file name, bytes) pairs. Errors with [`Error::Plot`]
/// naming the file.
pub(super) fn render(figure: &impl Figure) -> Result<Vec<(String, Vec<u8>)>> {
    register_fonts().map_err(|message| Error::Plot { path: PathBuf::from(figure.name()), message })?;
    let size = figure.size();
    let mut files = Vec::new();
    for (extension, bytes) in [
        ("png", png::render(size, |root| draw_on(figure, root))),
        ("svg", svg::render(size, |root| draw_on(figure, root))),
    ] {
        let name = format!("{}.{extension}", figure.name());
        let bytes = bytes.map_err(|message| Error::Plot { path: PathBuf::from(&name), message })?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Draws `figure` on a white `root` and finishes it: the one place where every chart meets every backend.
fn draw_on<DB: DrawingBackend>(figure: &impl Figure, root: &DrawingArea<DB, Shift>) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    figure.draw(root)?;
    root.present()
}

/// Registers DejaVu Sans (regular and bold) under [`FONT`], once per process.
pub(super) fn register_fonts() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    ok.then_some(()).ok_or_else(|| "the bundled DejaVu Sans font could not be loaded".to_string())
}
