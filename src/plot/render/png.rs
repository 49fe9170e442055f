//! PNG output: charts are drawn into an RGB buffer in memory and encoded with the `png` crate.
//!
//! The bitmap goes through [`Bitmap`], plotters' bitmap backend with one correction: lines wider
//! than a pixel. plotters turns a whole wide polyline into a single polygon, offsetting every
//! vertex by half the width along the bisector of its two segments. On a sharp zigzag (a curve
//! oscillating every step, as with a large learning rate) the inner offset of a turn of angle θ
//! lands (w/2)/sin(θ/2) away, hundreds of pixels for a near-reversal; the polygon crosses itself,
//! its parity fill leaves stripes, and spikes run through the title, the legend and below the axis
//! (a "barcode", with KL seemingly below 0). [`Bitmap`] instead paints each pixel by how much of it
//! lies within w/2 of the polyline (round joins and caps, anti-aliased edges), so no pixel is
//! more than w/2 + ½ away from the data's line, as in the SVG.
//!
//! [`Bitmap`] also draws text itself: plotters' bitmap text drops each glyph's left side bearing,
//! so letters stand unevenly ("entrop y"). Here each glyph is rasterised by ab_glyph at its kerned,
//! sub-pixel position on the baseline `glyphs.rs` gives, where the SVG puts it too.

use ab_glyph::{Font, FontRef};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::{BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle};

use super::glyphs::{self, Metrics};

/// What plotters' bitmap backend fails with.
type BackendError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;
type Error = DrawingErrorKind<BackendError>;

/// Draws with `draw` on an RGB canvas of `size` pixels and returns the PNG file's bytes.
pub(in crate::plot) fn render<F>(size: (u32, u32), draw: F) -> Result<Vec<u8>, String>
where
    F: FnOnce(&DrawingArea<Bitmap<'_>, Shift>) -> Result<(), DrawingAreaErrorKind<BackendError>>,
{
    encode(&pixels(size, draw)?, size).map_err(|e| e.to_string())
}

/// Draws with `draw` on an RGB canvas of `size` pixels and returns its pixels, 3 bytes each, row
/// by row.
fn pixels<F>(size: (u32, u32), draw: F) -> Result<Vec<u8>, String>
where
    F: FnOnce(&DrawingArea<Bitmap<'_>, Shift>) -> Result<(), DrawingAreaErrorKind<BackendError>>,
{
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    draw_into(&mut rgb, size, draw)?;
    Ok(rgb)
}

/// Draws with `draw` over the pixels `rgb` holds, an RGB canvas of `size` pixels (3 bytes each,
/// row by row): the frames of an animation reuse one buffer, each filled white first. Errors if
/// `rgb` does not have 3 × width × height bytes.
pub(in crate::plot) fn draw_into<F>(rgb: &mut [u8], size: (u32, u32), draw: F) -> Result<(), String>
where
    F: FnOnce(&DrawingArea<Bitmap<'_>, Shift>) -> Result<(), DrawingAreaErrorKind<BackendError>>,
{
    let inner = BitMapBackend::with_buffer_and_format(rgb, size).map_err(|e| e.to_string())?;
    draw(&Bitmap::new(inner)?.into_drawing_area()).map_err(|e| e.to_string())
}

/// 8-bit RGB pixels, row by row, as PNG file bytes.
fn encode(rgb: &[u8], (width, height): (u32, u32)) -> Result<Vec<u8>, png::EncodingError> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Default, not Best: on the demo's charts Best took over twice as long and made files larger
    // (docs/performance.md).
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(bytes)
}

/// plotters' bitmap backend, with wide lines stroked by coverage and text placed glyph by glyph
/// (see the module docs).
pub(in crate::plot) struct Bitmap<'a> {
    inner: BitMapBackend<'a>,
    regular: FontRef<'static>,
    bold: FontRef<'static>,
    metrics: Metrics,
}

impl<'a> Bitmap<'a> {
    /// Wraps `inner`; errors if the bundled fonts cannot be read.
    fn new(inner: BitMapBackend<'a>) -> Result<Self, String> {
        let unreadable = |_| "the bundled DejaVu Sans font cannot be read".to_string();
        Ok(Self {
            inner,
            regular: FontRef::try_from_slice(dejavu::sans::regular()).map_err(unreadable)?,
            bold: FontRef::try_from_slice(dejavu::sans::bold()).map_err(unreadable)?,
            metrics: glyphs::metrics().ok_or("the bundled DejaVu Sans font cannot be read")?,
        })
    }
}

impl DrawingBackend for Bitmap<'_> {
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

    /// A path one pixel wide is drawn by plotters, a wider one by [`stroke`].
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), Error> {
        if style.stroke_width() <= 1 || style.color().alpha == 0.0 {
            return self.inner.draw_path(path, style);
        }
        let points: Vec<BackendCoord> = path.into_iter().collect();
        let half = f64::from(style.stroke_width()) / 2.0;
        for (pixel, coverage) in stroke(&points, half, self.get_size()) {
            let color = style.color();
            self.inner.draw_pixel(pixel, BackendColor { alpha: color.alpha * coverage, ..color })?;
        }
        Ok(())
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

    /// Rasterises each glyph at its kerned, sub-pixel place on the baseline (see the module docs).
    fn draw_text<S: BackendTextStyle>(&mut self, text: &str, style: &S, pos: BackendCoord) -> Result<(), Error> {
        let font = match style.style() {
            FontStyle::Bold => &self.bold,
            _ => &self.regular,
        };
        let (size, anchor, transform) = (style.size(), style.anchor(), style.transform());
        let baseline = self.metrics.baseline(size, anchor.v_pos) as f32;
        let mut pixels = Vec::new();
        for mut glyph in glyphs::line(font, text, size, anchor.h_pos) {
            glyph.position.y += baseline;
            if let Some(outline) = font.outline_glyph(glyph) {
                let corner = outline.px_bounds().min;
                outline.draw(|x, y, coverage| {
                    let offset = (corner.x as i32 + x as i32, corner.y as i32 + y as i32);
                    pixels.push((transform.transform(offset.0, offset.1), coverage));
                });
            }
        }
        let color = style.color();
        for ((dx, dy), coverage) in pixels {
            let alpha = color.alpha * f64::from(coverage.min(1.0));
            self.inner.draw_pixel((pos.0 + dx, pos.1 + dy), BackendColor { alpha, ..color })?;
        }
        Ok(())
    }

    fn estimate_text_size<S: BackendTextStyle>(&self, text: &str, style: &S) -> Result<(u32, u32), Error> {
        self.inner.estimate_text_size(text, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result<(), Error> {
        self.inner.blit_bitmap(pos, size, src)
    }
}

/// Rows of a line's bounding box whose coverage [`stroke`] works out at a time: it holds one
/// band's coverage, not the whole box's (a line across a chart spans most of it, 8 bytes a pixel).
const BAND: i32 = 32;

/// The pixels of a line `half` pixels to each side of the polyline `points`, with their coverage
/// in (0, 1]: 1 for pixel centres within half − ½ of the polyline, falling linearly to 0 at
/// half + ½. A pixel near several segments counts once, with its largest coverage. Only pixels of
/// a `size` canvas are returned, row by row.
fn stroke(points: &[BackendCoord], half: f64, size: (u32, u32)) -> Vec<(BackendCoord, f64)> {
    let reach = half + 0.5;
    let pad = reach.ceil() as i32;
    let (Some(&first), max_x, max_y) = (points.first(), size.0 as i32 - 1, size.1 as i32 - 1) else {
        return Vec::new();
    };
    let (mut x0, mut y0, mut x1, mut y1) = (first.0, first.1, first.0, first.1);
    for &(x, y) in points {
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let (x0, y0, x1, y1) = ((x0 - pad).max(0), (y0 - pad).max(0), (x1 + pad).min(max_x), (y1 + pad).min(max_y));
    if x0 > x1 || y0 > y1 {
        return Vec::new();
    }
    let width = (x1 - x0 + 1) as usize;
    let segments: Vec<(BackendCoord, BackendCoord)> =
        points.windows(2).map(|s| (s[0], s[1])).chain((points.len() == 1).then_some((first, first))).collect();
    let (mut pixels, mut coverage) = (Vec::new(), Vec::new());
    for top in (y0..=y1).step_by(BAND as usize) {
        let bottom = (top + BAND - 1).min(y1);
        coverage.clear();
        coverage.resize(width * (bottom - top + 1) as usize, 0.0f64);
        for &(a, b) in &segments {
            let (sx0, sx1) = ((a.0.min(b.0) - pad).max(x0), (a.0.max(b.0) + pad).min(x1));
            let (sy0, sy1) = ((a.1.min(b.1) - pad).max(top), (a.1.max(b.1) + pad).min(bottom));
            for y in sy0..=sy1 {
                for x in sx0..=sx1 {
                    let c = (reach - distance((x, y), a, b)).clamp(0.0, 1.0);
                    let cell = &mut coverage[(y - top) as usize * width + (x - x0) as usize];
                    *cell = cell.max(c);
                }
            }
        }
        let pixel = |i: usize| (x0 + (i % width) as i32, top + (i / width) as i32);
        pixels.extend(coverage.iter().enumerate().filter(|(_, &c)| c > 0.0).map(|(i, &c)| (pixel(i), c)));
    }
    pixels
}

/// The distance from the pixel centre `p` to the segment `a`–`b`.
fn distance(p: BackendCoord, a: BackendCoord, b: BackendCoord) -> f64 {
    let (px, py) = (f64::from(p.0 - a.0), f64::from(p.1 - a.1));
    let (dx, dy) = (f64::from(b.0 - a.0), f64::from(b.1 - a.1));
    let along = dx * dx + dy * dy;
    let t = if along > 0.0 { ((px * dx + py * dy) / along).clamp(0.0, 1.0) } else { 0.0 };
    (px - t * dx).hypot(py - t * dy)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A curve alternating between two levels every step, as KL does with a too-large learning
    /// rate, drawn `width` pixels wide: every pixel of its colour must lie between the two levels,
    /// give or take half the width and one pixel of anti-aliasing.
    fn zigzag_stays_between_its_levels(width: u32) {
        let (w, h) = (600u32, 400u32);
        let color = RGBColor(230, 85, 13);
        let (lo, hi) = (0.117, 0.195);
        let values: Vec<(f64, f64)> = (0..500).map(|i| (i as f64, if i % 2 == 0 { lo } else { hi })).collect();
        let mut rgb = vec![255u8; (w * h * 3) as usize];
        let (top, bottom) = {
            let inner = BitMapBackend::with_buffer_and_format(&mut rgb, (w, h)).unwrap();
            let root = Bitmap::new(inner).unwrap().into_drawing_area();
            let mut chart = ChartBuilder::on(&root).margin(50).build_cartesian_2d(0.0..499.0, 0.0..0.4).unwrap();
            chart.draw_series(LineSeries::new(values, Color::stroke_width(&color, width))).unwrap();
            root.present().unwrap();
            (chart.backend_coord(&(0.0, hi)).1, chart.backend_coord(&(0.0, lo)).1)
        };
        let reach = (width / 2 + 1) as i32;
        let mut drawn = 0;
        for (i, px) in rgb.chunks(3).enumerate() {
            let (x, y) = ((i as u32 % w) as i32, (i as u32 / w) as i32);
            // Any pixel tinted towards the curve's colour (anti-aliased edges included).
            if px[0] > px[2] && px[2] < 200 {
                drawn += 1;
                assert!(y >= top - reach && y <= bottom + reach, "pixel ({x}, {y}) outside rows {top}..={bottom}");
                assert!((50 - reach..=550 + reach).contains(&x), "pixel ({x}, {y}) outside the plot");
            }
        }
        assert!(drawn > 1000, "only {drawn} pixels of the curve were drawn");
    }

    #[test]
    fn wide_zigzag_lines_stay_within_half_their_width_of_the_data() {
        for width in [2, 3, 4, 8] {
            zigzag_stays_between_its_levels(width);
        }
    }

    #[test]
    fn a_stroke_covers_its_width_in_every_column() {
        let pixels = stroke(&[(10, 10), (50, 10)], 2.0, (100, 100));
        let column: f64 = pixels.iter().filter(|((x, _), _)| *x == 30).map(|(_, c)| c).sum();
        assert!((column - 4.0).abs() < 1e-12, "a 4 px line covers {column} px of a column");
        let rows: Vec<i32> = pixels.iter().filter(|((x, _), _)| *x == 30).map(|((_, y), _)| *y).collect();
        assert_eq!(rows, [8, 9, 10, 11, 12]);
    }

    #[test]
    fn a_stroke_spanning_many_bands_covers_each_pixel_as_its_nearest_segment_does() {
        // A zigzag 150 rows tall (several bands), partly off the canvas, against every pixel of
        // the canvas measured to every segment.
        let points = [(-5, 20), (60, 170), (61, 3), (120, 90), (90, 90), (90, 90), (150, 200)];
        let (size, half) = ((140u32, 160u32), 2.5);
        let expected: Vec<(BackendCoord, f64)> = (0..size.1 as i32)
            .flat_map(|y| (0..size.0 as i32).map(move |x| (x, y)))
            .map(|p| {
                let c = points.windows(2).map(|s| (half + 0.5 - distance(p, s[0], s[1])).clamp(0.0, 1.0));
                (p, c.fold(0.0, f64::max))
            })
            .filter(|&(_, c)| c > 0.0)
            .collect();
        assert!(expected.len() > 1000);
        assert_eq!(stroke(&points, half, size), expected);
    }

    #[test]
    fn png_bytes_have_the_signature_and_size() {
        let bytes = render((30, 20), |root| root.fill(&WHITE)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 30);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 20);
    }
}
