//! SVG output that renders alike everywhere: the SVG carries its own font.
//!
//! The layout (legend boxes, label areas, which side a label goes) is measured with DejaVu Sans,
//! the font the PNG is drawn with. A browser drawing the SVG with another sans-serif would
//! overflow those boxes, so the SVG embeds the subset of DejaVu Sans it uses (see `font.rs`) as a
//! base64 `@font-face` and names it in every text element, with `sans-serif` as the fallback.
//!
//! Text goes through [`Svg`], plotters' SVG backend with two corrections so that SVG text lands
//! where the PNG's does (see `glyphs.rs`): the font size (plotters writes size / 1.24 as the SVG
//! font-size, while the font is laid out with ascent − descent = size, an em of size × 2048 / 2384)
//! and the baseline (plotters' SVG anchors text with `dy` in em and ex, and the ex depends on the
//! renderer; every text is written top-anchored, dy = 0.76 em, and moved so that its baseline
//! lands where [`Metrics::baseline`] puts it).

use std::collections::BTreeSet;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontFamily, FontStyle, FontTransform,
};

use super::font;
use super::glyphs::{self, Metrics};

/// The family name every text element uses and the embedded font is declared as.
pub(super) const FAMILY: &str = "DejaVu Sans";

/// What plotters' SVG backend fails with.
type BackendError = <SVGBackend<'static> as DrawingBackend>::ErrorType;
type Error = DrawingErrorKind<BackendError>;

/// The characters drawn, in the regular and the bold face.
#[derive(Debug, Default)]
struct Used {
    regular: BTreeSet<char>,
    bold: BTreeSet<char>,
}

/// Draws with `draw` on an SVG of `size` pixels and returns the SVG file's bytes, with the font
/// subset it uses embedded.
pub(super) fn render<F>(size: (u32, u32), draw: F) -> Result<Vec<u8>, String>
where
    F: FnOnce(&DrawingArea<Svg<'_>, Shift>) -> Result<(), DrawingAreaErrorKind<BackendError>>,
{
    let metrics = glyphs::metrics().ok_or("the bundled DejaVu Sans font cannot be read")?;
    let (mut svg, mut used) = (String::new(), Used::default());
    {
        let backend = Svg { inner: SVGBackend::with_string(&mut svg, size), used: &mut used, metrics };
        draw(&backend.into_drawing_area()).map_err(|e| e.to_string())?;
    }
    let style = style(&used)?;
    let open =
        svg.find("<svg").and_then(|i| svg[i..].find('>').map(|j| i + j + 1)).ok_or("plotters wrote no <svg> tag")?;
    svg.insert_str(open, &style);
    Ok(svg.into_bytes())
}

/// The `<style>` element: an `@font-face` per face used, with the font subset as a base64 data
/// URL; the family for all text; and lines drawn as the PNG draws them (round joins and caps on
/// curves, so that no stroke reaches past its data; one-pixel lines on whole pixels).
fn style(used: &Used) -> Result<String, String> {
    let mut css = String::from(concat!(
        "\n<!-- Text: DejaVu Sans, the glyphs used, embedded below ",
        "(licence in the font's name table; https://dejavu-fonts.github.io) -->\n<style>\n"
    ));
    let faces = [(&used.regular, 400, dejavu::sans::regular()), (&used.bold, 700, dejavu::sans::bold())];
    for (chars, weight, font) in faces.into_iter().filter(|f| !f.0.is_empty()) {
        let data = base64(&font::subset(font, chars)?);
        css += &format!("@font-face {{ font-family: \"{FAMILY}\"; font-weight: {weight}; ");
        css += &format!("src: url(\"data:font/ttf;base64,{data}\") format(\"truetype\"); }}\n");
    }
    css += &format!("text {{ font-family: \"{FAMILY}\", sans-serif; }}\n");
    css += "polyline { stroke-linejoin: round; }\n";
    css += "polyline:not([stroke-width=\"1\"]) { stroke-linecap: round; }\n";
    css += "polyline[stroke-width=\"1\"] { shape-rendering: crispEdges; }\n</style>\n";
    Ok(css)
}

/// Standard base64 (RFC 4648, with padding).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            match i <= chunk.len() {
                true => out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63])),
                false => out.push('='),
            }
        }
    }
    out
}

/// plotters' SVG backend, recording the characters drawn and placing text as the bitmap does
/// (see the module docs).
pub(super) struct Svg<'a> {
    inner: SVGBackend<'a>,
    used: &'a mut Used,
    metrics: Metrics,
}

impl DrawingBackend for Svg<'_> {
    type ErrorType = BackendError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), Error> {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), Error> {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<(), Error> {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, style: &S) -> Result<(), Error> {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), Error> {
        self.inner.draw_rect(a, b, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(&mut self, c: BackendCoord, r: u32, style: &S, fill: bool) -> Result<(), Error> {
        self.inner.draw_circle(c, r, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        v: I,
        style: &S,
    ) -> Result<(), Error> {
        self.inner.fill_polygon(v, style)
    }

    /// Records the characters, then draws the text at the bitmap's size and baseline.
    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<(), Error> {
        match style.style() {
            FontStyle::Bold => self.used.bold.extend(text.chars()),
            _ => self.used.regular.extend(text.chars()),
        }
        let size = style.size();
        let em = size * self.metrics.em;
        // Top-anchored SVG text has its baseline 0.76 em below the anchor; move it to where the
        // PNG's is.
        let shift = (self.metrics.baseline(size, style.anchor().v_pos) - 0.76 * em).round() as i32;
        let (dx, dy) = style.transform().transform(0, shift);
        let anchor = Pos::new(style.anchor().h_pos, VPos::Top);
        let placed = Placed { style, size: em * 1.24, anchor };
        self.inner.draw_text(text, &placed, (pos.0 + dx, pos.1 + dy))
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32), Error> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

/// A text style with another size and anchor: what plotters' SVG backend writes as font-size
/// (size / 1.24) and dy.
struct Placed<'s, S> {
    style: &'s S,
    size: f64,
    anchor: Pos,
}

impl<S: BackendTextStyle> BackendTextStyle for Placed<'_, S> {
    type FontError = S::FontError;

    fn color(&self) -> BackendColor {
        self.style.color()
    }

    fn size(&self) -> f64 {
        self.size
    }

    fn transform(&self) -> FontTransform {
        self.style.transform()
    }

    fn style(&self) -> FontStyle {
        self.style.style()
    }

    fn anchor(&self) -> Pos {
        self.anchor
    }

    fn family(&self) -> FontFamily<'_> {
        self.style.family()
    }

    fn layout_box(&self, text: &str) -> Result<((i32, i32), (i32, i32)), Self::FontError> {
        self.style.layout_box(text)
    }

    fn draw<E, F: FnMut(i32, i32, BackendColor) -> Result<(), E>>(
        &self,
        text: &str,
        pos: BackendCoord,
        draw: F,
    ) -> Result<Result<(), E>, Self::FontError> {
        self.style.draw(text, pos, draw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xFF, 0xEF, 0xBE]), "/+++");
    }
}
