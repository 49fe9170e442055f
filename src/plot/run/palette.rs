//! The colours the charts share, so that CE, KL, H(p), p and q look the same in every chart of a
//! run and in the studies; and the curves' stroke width.

use plotters::style::RGBColor;

pub(in crate::plot) const CE_COLOR: RGBColor = RGBColor(31, 119, 180);
pub(in crate::plot) const KL_COLOR: RGBColor = RGBColor(230, 85, 13);
pub(in crate::plot) const H_COLOR: RGBColor = RGBColor(100, 100, 100);
pub(in crate::plot) const GRID: RGBColor = RGBColor(222, 222, 222);
pub(in crate::plot) const MINOR_GRID: RGBColor = RGBColor(242, 242, 242);
/// q at step 0, final q and p, in every distributions chart.
pub(in crate::plot) const DISTRIBUTION_COLORS: [RGBColor; 3] = [RGBColor(253, 174, 97), CE_COLOR, RGBColor(60, 60, 60)];

/// The data p, as bars behind a model's line (light, so the line stands out) and as a line.
pub(in crate::plot) const DATA_BARS: RGBColor = RGBColor(189, 189, 189);
pub(in crate::plot) const DATA_LINE: RGBColor = RGBColor(60, 60, 60);
/// A restricted family's floor, H(p) + min KL.
pub(in crate::plot) const FLOOR_COLOR: RGBColor = RGBColor(117, 107, 177);

/// Stroke width of the curves, in pixels.
pub(in crate::plot) const LINE_WIDTH: u32 = 4;

/// One colour per line where a chart draws one for each category (`q_by_step`) or each run
/// (`klfit compare`), up to ten, in order.
pub(in crate::plot) const SERIES_COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(230, 85, 13),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(57, 59, 121),
];
