//! Where the letters go, the same in the PNG and the SVG: DejaVu Sans's metrics, the baseline of
//! text for each vertical anchor, and the glyphs of a line of text laid out along it.
//!
//! plotters measures text with ab_glyph at a "size" that is the font's ascent − descent in pixels
//! (so the em is size × 2048 / 2384 for DejaVu Sans) and sizes its layout boxes (legend rows,
//! label areas) as size / 1.24 tall. Text anchored at its top is placed with the capitals' tops on
//! the anchor, centred text with the capitals' middle on it, bottom-anchored text with the
//! descenders' ends on it: the glyphs then fill the boxes plotters reserved for them.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont};
use plotters::style::text_anchor::{HPos, VPos};

/// DejaVu Sans's vertical metrics, per unit of plotters' text size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Metrics {
    /// The em, in pixels per unit of size: units per em / (ascent − descent).
    pub(super) em: f64,
    /// The height of the capitals ('H').
    cap: f64,
    /// The depth of the descenders, below the baseline.
    descent: f64,
}

/// The metrics of the bundled DejaVu Sans; `None` if the font cannot be read.
pub(super) fn metrics() -> Option<Metrics> {
    static METRICS: OnceLock<Option<Metrics>> = OnceLock::new();
    *METRICS.get_or_init(|| {
        let face = ttf_parser::Face::parse(dejavu::sans::regular(), 0).ok()?;
        let height = f64::from(i32::from(face.ascender()) - i32::from(face.descender()));
        let cap = face.glyph_bounding_box(face.glyph_index('H')?)?.y_max;
        Some(Metrics {
            em: f64::from(face.units_per_em()) / height,
            cap: f64::from(cap) / height,
            descent: -f64::from(face.descender()) / height,
        })
    })
}

impl Metrics {
    /// How far below an anchor at `v` the baseline of text of `size` lies, in pixels.
    pub(super) fn baseline(&self, size: f64, v: VPos) -> f64 {
        size * match v {
            VPos::Top => self.cap,
            VPos::Center => self.cap / 2.0,
            VPos::Bottom => -self.descent,
        }
    }
}

/// The glyphs of `text` at `size`, kerned, along a baseline at y = 0 that starts at x = 0 (left
/// anchor), ends at 0 (right) or is centred on 0, as plotters' layout measures them.
pub(super) fn line(font: &FontRef<'_>, text: &str, size: f64, h: HPos) -> Vec<Glyph> {
    let font = font.as_scaled(PxScale::from(size as f32));
    let (mut glyphs, mut caret, mut previous) = (Vec::new(), 0.0f32, None);
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(previous) = previous {
            caret += font.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(font.scale(), ab_glyph::point(caret, 0.0)));
        caret += font.h_advance(id);
        previous = Some(id);
    }
    let shift = match h {
        HPos::Left => 0.0,
        HPos::Center => -caret / 2.0,
        HPos::Right => -caret,
    };
    for glyph in &mut glyphs {
        glyph.position.x += shift;
    }
    glyphs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dejavu_metrics_and_baselines() {
        let m = metrics().unwrap();
        assert!((m.em - 2048.0 / 2384.0).abs() < 1e-12);
        // Capitals 1493 units tall: the baseline of top-anchored 2384-unit text is 1493 below.
        assert!((m.baseline(2384.0, VPos::Top) - 1493.0).abs() < 1e-9);
        assert!((m.baseline(2384.0, VPos::Bottom) + 483.0).abs() < 1e-9);
    }

    #[test]
    fn lines_are_kerned_and_anchored() {
        let font = FontRef::try_from_slice(dejavu::sans::regular()).unwrap();
        let left = line(&font, "AV", 100.0, HPos::Left);
        let right = line(&font, "AV", 100.0, HPos::Right);
        let scaled = font.as_scaled(PxScale::from(100.0));
        let advance = scaled.h_advance(font.glyph_id('A'));
        assert!(left[1].position.x < advance, "'AV' is kerned closer than the advance of 'A'");
        assert_eq!(left[0].position.x, 0.0);
        let width = left[1].position.x + scaled.h_advance(font.glyph_id('V'));
        assert!((right[0].position.x + width).abs() < 1e-3, "a right-anchored line ends at 0");
    }
}
