//! The per-step charts: CE and KL against step (`losses`), and CE − KL with its residual (`gap`),
//! both on a logarithmic step axis.

use super::*;

/// The step axis's description.
const STEP_AXIS: &str = "step (parameter updates, log scale; step 0 at the left edge)";
/// Where an exact zero is drawn on a log axis (log 0 = −∞).
const ZERO_FLOOR: f64 = 1e-18;

/// CE and KL against step, the dashed H(p) line, and an arrow showing that the gap between the curves is H(p).
pub(super) fn losses<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "Cross-entropy and KL divergence differ by exactly H(p)", run.subtitle)?;
    let max = run.ce.iter().chain(&run.kl).fold(0.0, |a: f64, &b| a.max(b));
    let mut builder = ChartBuilder::on(&body);
    builder.margin(20).margin_right(40).x_label_area_size(70).y_label_area_size(100);
    let mut chart = below_legend(&mut builder, (0..run.last_step()).log_scale(), 0.0, max, max, 3)?;
    let y_top = chart.y_range().end;
    mesh(&mut chart, STEP_AXIS, &format!("loss ({})", run.units)).x_label_formatter(&step_label).draw()?;

    let (h, end) = (run.entropy, run.last_step());
    for (values, color, name) in
        [(&run.ce, CE_COLOR, "cross-entropy CE(p, q)"), (&run.kl, KL_COLOR, "KL divergence KL(p‖q)")]
    {
        curve(&mut chart, run, values, color, name)?;
    }
    // Drawn last, so the dashed line stays visible where CE settles onto it.
    level(&mut chart, end, h, H_COLOR, format!("H(p) = {h:.4} {} (constant)", run.units))?;

    // The arrow goes where KL has fallen halfway (kept off the plot's edges), so it spans the gap
    // while both curves still move. Skipped when H(p) is too small to draw an arrow across.
    if h > 0.05 * y_top {
        let halfway = run.kl.iter().position(|&kl| kl <= 0.5 * run.kl[0]).map_or(0, |i| run.steps[i]);
        let x = halfway.clamp(1, end);
        let i = run.steps.iter().position(|&s| s >= x).unwrap_or(0);
        let (x, low, high) = (run.steps[i], run.kl[i], run.ce[i]);
        let style = BLACK.stroke_width(2);
        let head = |dy: i32| Polygon::new(vec![(0, 0), (-7, dy), (7, dy)], BLACK.filled());
        chart.draw_series([PathElement::new(vec![(x, low), (x, high)], style)])?;
        chart.draw_series([EmptyElement::at((x, high)) + head(14), EmptyElement::at((x, low)) + head(-14)])?;
        let text = Text::new("CE − KL = H(p)", (12, 0), font(22).pos(Pos::new(HPos::Left, VPos::Center)));
        // Beside the arrow's middle, unless the dashed H(p) line runs there.
        let middle = 0.5 * (low + high);
        let y = if (middle - h).abs() < 0.05 * y_top { low + 0.3 * (high - low) } else { middle };
        chart.draw_series([EmptyElement::at((x, y)) + text])?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Two panels: CE − KL against step on the H(p) line, and |CE − KL − H(p)| on a log scale.
pub(super) fn gap<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, run: &Run) -> DrawResult<(), DB> {
    let body = header(root, "CE − KL equals H(p) at every step", run.subtitle)?;
    let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
    let h = run.entropy;

    // Top: a window of ±0.1 % around H(p), so any drift of CE − KL would show.
    let half = (1e-3 * h.abs()).max(1e-9);
    let digits = (-half.log10()).ceil().max(0.0) as usize + 1;
    let tick = |v: &f64| match digits {
        _ if v.abs() < 1e-6 * half => "0".to_string(),
        0..=6 => format!("{v:.digits$}"),
        _ => format!("{v:.1e}"),
    };
    let top = top.titled("CE − KL as measured (two separate sums), against H(p) from the counts", font(24))?;
    let mut chart =
        below_legend(&mut panel(&top, 40), (0..run.last_step()).log_scale(), h - half, h + half, h + half, 2)?;
    mesh(&mut chart, "", &format!("CE − KL ({})", run.units))
        .x_label_formatter(&step_label)
        .y_labels(5)
        .y_label_formatter(&tick)
        .draw()?;
    let end = run.last_step();
    curve(&mut chart, run, &run.gap, CE_COLOR, "CE − KL, measured")?;
    level(&mut chart, end, h, H_COLOR, format!("H(p) = {h:.6} {}", run.units))?;
    legend(&mut chart, SeriesLabelPosition::UpperRight)?;

    // Bottom: log10 of the residual on a linear axis labelled in powers of ten.
    let log = |v: f64| v.max(ZERO_FLOOR).log10();
    let rounding = f64::EPSILON * h.abs();
    let shown: Vec<f64> = run.residual.iter().map(|&r| log(r)).collect();
    let lo = shown.iter().fold(log(rounding), |a, &b| a.min(b)).floor() - 1.0;
    let max = shown.iter().fold(log(rounding), |a, &b| a.max(b)).ceil() + 0.5;
    let bottom = bottom.titled("Residual |CE − KL − H(p)|: floating-point rounding only", font(24))?;
    let mut chart = below_legend(&mut panel(&bottom, 70), (0..run.last_step()).log_scale(), lo, max, max, 2)?;
    let decades = (chart.y_range().end - lo).ceil() as usize;
    let y_desc = format!("|CE − KL − H(p)| ({}, log)", run.units);
    mesh(&mut chart, STEP_AXIS, &y_desc)
        .y_labels((decades + 1).min(8))
        .x_label_formatter(&step_label)
        .y_label_formatter(&|v| power_of_ten(*v))
        .draw()?;
    let zero = power_of_ten(ZERO_FLOOR.log10());
    let label = match rounding > 0.0 {
        true => format!("one rounding of H(p): ε·H(p) = {rounding:.1e} {}", run.units),
        false => format!("one rounding of H(p): ε·H(p) = 0 (drawn at {zero})"),
    };
    level(&mut chart, end, log(rounding), KL_COLOR, label)?;
    chart
        .draw_series(run.points(&shown).map(|xy| Circle::new(xy, 3, CE_COLOR.filled())))?
        .label(match run.thinned {
            false => format!("|CE − KL − H(p)| at each step (exact 0 drawn at {zero})"),
            true => format!("|CE − KL − H(p)| at {} log-spaced steps (0 drawn at {zero})", run.steps.len()),
        })
        .legend(|(x, y)| Circle::new((x + 12, y), 4, CE_COLOR.filled()));
    legend(&mut chart, SeriesLabelPosition::UpperRight)
}

/// Draws one per-step series as a line (a dot when only step 0 was recorded), with its legend entry.
fn curve<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<LogCoord<usize>, RangedCoordf64>>,
    run: &Run,
    values: &[f64],
    color: RGBColor,
    name: &str,
) -> DrawResult<(), DB> {
    chart
        .draw_series(LineSeries::new(run.points(values), color.stroke_width(LINE_WIDTH)))?
        .label(name)
        .legend(key(color, false));
    if values.len() == 1 {
        chart.draw_series(run.points(values).map(|xy| Circle::new(xy, 6, color.filled())))?;
    }
    Ok(())
}

/// Draws a dashed horizontal line at height `y` across steps 0..=`end`, with its legend entry.
fn level<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<LogCoord<usize>, RangedCoordf64>>,
    end: usize,
    y: f64,
    color: RGBColor,
    label: String,
) -> DrawResult<(), DB> {
    let line = DashedLineSeries::new([(0, y), (end, y)], 12, 8, color.stroke_width(2));
    chart.draw_series(line)?.label(label).legend(key(color, true));
    Ok(())
}

/// A tick label of the logarithmic step axis: 1, 2, 5, 10, 20, 50, ... are labelled, the ticks
/// between them (3, 4, 6, ...) only get grid lines, so labels never crowd.
fn step_label(step: &usize) -> String {
    let mut leading = *step;
    while leading >= 10 && leading.is_multiple_of(10) {
        leading /= 10;
    }
    if matches!(leading, 1 | 2 | 5) {
        step.to_string()
    } else {
        String::new()
    }
}

/// `10⁻¹⁶` for −16: a tick label of a log10 axis (empty between integer exponents).
fn power_of_ten(exponent: f64) -> String {
    if (exponent - exponent.round()).abs() > 1e-9 {
        return String::new();
    }
    let superscript = |c| match c {
        '-' => '⁻',
        d => ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'][d.to_digit(10).unwrap_or(0) as usize],
    };
    format!("10{}", (exponent.round() as i64).to_string().chars().map(superscript).collect::<String>())
}
