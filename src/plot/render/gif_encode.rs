//! GIF output: frames drawn on request, the bytes of an endlessly looping GIF out, with the `gif`
//! crate.
//!
//! A GIF has at most 256 colours. A chart has few: its drawing colours, white, and the
//! anti-aliased shades between them. All frames share one palette, so a colour that stays put
//! never flickers from frame to frame: every colour when there are at most 255, else the 255
//! most frequent ones over all frames, each other pixel taking the nearest of them (a rare
//! anti-aliasing shade moves to a close one). The 256th entry is transparent.
//!
//! The palette needs the colour counts of every frame before the first frame can be written, yet
//! holding all frames until then costs 3 bytes a pixel each (1.2 MB per 800 × 500 frame). So
//! [`encode`] has each frame drawn twice into one buffer: a first pass only counts its colours, a
//! second turns it into palette indices and writes it, keeping the indices of the frame before
//! (1 byte a pixel) and nothing else. Drawing is deterministic, so both passes see the same
//! pixels; a frame whose second drawing has a colour the first did not, or another number of runs
//! of one colour, is an error rather than a wrong picture.
//!
//! After the first frame only the rectangle that changed is stored, its unchanged pixels
//! transparent (the previous frame shows through): long runs of one index, which the GIF's LZW
//! compression packs tightly. Everything is deterministic: the same frames give the same bytes.

use hashbrown::HashMap;

use ::gif::{DisposalMethod, Encoder, Frame, Repeat};

/// The palette index of "unchanged since the previous frame".
const TRANSPARENT: u8 = 255;

/// Encodes `delays.len()` frames of `size` pixels as a GIF that loops forever; frame `i` shows for
/// `delays[i]` hundredths of a second. `draw(i, rgb)` draws frame `i` into `rgb` (3 bytes a pixel,
/// row by row, 3 × width × height bytes) and is called twice per frame, all frames in order and
/// then all again; it must draw the same pixels both times. A frame identical to the one before
/// adds its time to that one.
///
/// Errors with what `draw` returns, if the size does not fit a GIF (65535 pixels a side), or if
/// a frame's second drawing differs from its first.
pub(in crate::plot) fn encode<F>(size: (u32, u32), delays: &[u16], mut draw: F) -> Result<Vec<u8>, String>
where
    F: FnMut(usize, &mut [u8]) -> Result<(), String>,
{
    let (width, height) = (u16::try_from(size.0), u16::try_from(size.1));
    let (Ok(width), Ok(height)) = (width, height) else {
        return Err(format!("{}×{} pixels is too large for a GIF", size.0, size.1));
    };
    let pixels = usize::from(width) * usize::from(height);
    let mut rgb = vec![0u8; 3 * pixels];
    let mut counts = Counts::default();
    let mut run_counts = Vec::with_capacity(delays.len());
    for i in 0..delays.len() {
        draw(i, &mut rgb)?;
        run_counts.push(counts.add(&rgb));
    }
    let palette = Palette::new(counts);

    let mut encoder = Encoder::new(Vec::new(), width, height, &palette.bytes()).map_err(|e| e.to_string())?;
    encoder.set_repeat(Repeat::Infinite).map_err(|e| e.to_string())?;
    let (mut before, mut now) = (Vec::with_capacity(pixels), Vec::with_capacity(pixels));
    let mut pending: Option<Frame> = None;
    for (i, &delay) in delays.iter().enumerate() {
        draw(i, &mut rgb)?;
        if palette.index(&rgb, &mut now) != Some(run_counts[i]) {
            return Err(format!("frame {i} was drawn differently the second time; drawing must be deterministic"));
        }
        let frame = match i {
            0 => Some(full_frame(&now, width, height)),
            _ => changed_part(&before, &now, width),
        };
        match (frame, pending.as_mut()) {
            (None, Some(previous)) => previous.delay = previous.delay.saturating_add(delay),
            (frame, _) => {
                if let Some(done) = pending.take() {
                    encoder.write_frame(&done).map_err(|e| e.to_string())?;
                }
                pending = frame.map(|f| Frame { delay, dispose: DisposalMethod::Keep, ..f });
            }
        }
        std::mem::swap(&mut before, &mut now);
    }
    if let Some(done) = pending {
        encoder.write_frame(&done).map_err(|e| e.to_string())?;
    }
    encoder.into_inner().map_err(|e| e.to_string())
}

/// The whole picture as palette indices.
fn full_frame(indices: &[u8], width: u16, height: u16) -> Frame<'static> {
    Frame { width, height, buffer: indices.to_vec().into(), ..Frame::default() }
}

/// The smallest rectangle holding every pixel of `now` that differs from `before`, with the
/// unchanged pixels inside it transparent; `None` if nothing changed.
fn changed_part(before: &[u8], now: &[u8], width: u16) -> Option<Frame<'static>> {
    let w = usize::from(width);
    if w == 0 {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    // Row by row: most rows of a chart's frame are the same as before, and comparing a whole row
    // is quicker than comparing its pixels one at a time.
    for (y, (a, b)) in before.chunks_exact(w).zip(now.chunks_exact(w)).enumerate().filter(|(_, (a, b))| a != b) {
        let differs = |(p, q): (&u8, &u8)| p != q;
        let (first, last) = (a.iter().zip(b).position(differs), a.iter().zip(b).rposition(differs));
        let (Some(first), Some(last)) = (first, last) else { continue };
        (x0, y0, x1, y1) = (x0.min(first), y0.min(y), x1.max(last), y);
    }
    if x0 == usize::MAX {
        return None;
    }
    let mut buffer = Vec::with_capacity((x1 - x0 + 1) * (y1 - y0 + 1));
    for y in y0..=y1 {
        let row = y * w + x0..=y * w + x1;
        buffer.extend(before[row.clone()].iter().zip(&now[row]).map(|(&a, &b)| if a == b { TRANSPARENT } else { b }));
    }
    // The rectangle lies inside a picture whose sides fit in u16, so its numbers do too.
    let fit = |v: usize| v as u16;
    Some(Frame {
        left: fit(x0),
        top: fit(y0),
        width: fit(x1 - x0 + 1),
        height: fit(y1 - y0 + 1),
        transparent: Some(TRANSPARENT),
        buffer: buffer.into(),
        ..Frame::default()
    })
}

/// How many pixels of each colour the frames have, counted frame by frame.
#[derive(Default)]
struct Counts(HashMap<[u8; 3], u64>);

impl Counts {
    /// Counts the pixels of `rgb` and returns its number of runs of one colour.
    fn add(&mut self, rgb: &[u8]) -> usize {
        let mut count = 0;
        for (color, n) in runs(rgb) {
            *self.0.entry(color).or_default() += n as u64;
            count += 1;
        }
        count
    }
}

/// The runs of one colour in `rgb` (3 bytes a pixel), in order, as (colour, pixels). A chart is
/// mostly long runs of one colour, so colours are counted and looked up run by run.
fn runs(rgb: &[u8]) -> impl Iterator<Item = ([u8; 3], usize)> + '_ {
    let mut rest = rgb;
    std::iter::from_fn(move || {
        let &[r, g, b, ..] = rest else { return None };
        let n = rest.chunks_exact(3).take_while(|px| px[0] == r && px[1] == g && px[2] == b).count();
        rest = &rest[3 * n..];
        Some(([r, g, b], n))
    })
}

/// Up to 255 colours shared by all frames, and the index each colour of the frames maps to.
struct Palette {
    colors: Vec<[u8; 3]>,
    index: HashMap<[u8; 3], u8>,
}

impl Palette {
    /// The 255 most frequent colours of `counts` (ties broken by the colour's value, so the
    /// palette never depends on hashing order), every colour mapped to its nearest entry.
    fn new(counts: Counts) -> Self {
        let mut by_count: Vec<([u8; 3], u64)> = counts.0.into_iter().collect();
        by_count.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let colors: Vec<[u8; 3]> = by_count.iter().take(usize::from(TRANSPARENT)).map(|(c, _)| *c).collect();
        let index = by_count.iter().map(|(c, _)| (*c, nearest(&colors, *c))).collect();
        Self { colors, index }
    }

    /// The palette as the 768 bytes of a GIF colour table (unused entries black).
    fn bytes(&self) -> Vec<u8> {
        let mut table: Vec<u8> = self.colors.iter().flatten().copied().collect();
        table.resize(3 * 256, 0);
        table
    }

    /// The palette index of every pixel of `rgb`, into `out` (replacing what it held); returns the
    /// number of runs of one colour in `rgb`, or `None` if a colour of `rgb` was never counted.
    fn index(&self, rgb: &[u8], out: &mut Vec<u8>) -> Option<usize> {
        out.clear();
        let mut count = 0;
        for (color, n) in runs(rgb) {
            out.resize(out.len() + n, *self.index.get(&color)?);
            count += 1;
        }
        Some(count)
    }
}

/// The index of the entry of `colors` closest to `c` (squared RGB distance; the first on a tie).
fn nearest(colors: &[[u8; 3]], c: [u8; 3]) -> u8 {
    let distance = |p: &[u8; 3]| -> i32 { (0..3).map(|i| (i32::from(p[i]) - i32::from(c[i])).pow(2)).sum() };
    let best = colors.iter().enumerate().min_by_key(|(i, p)| (distance(p), *i)).map_or(0, |(i, _)| i);
    best as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoder as it was before it streamed, the reference: every frame held, all indexed,
    /// then written.
    fn encode_all_at_once(size: (u32, u32), frames: &[(Vec<u8>, u16)]) -> Vec<u8> {
        let (width, height) = (size.0 as u16, size.1 as u16);
        let mut counts = Counts::default();
        frames.iter().for_each(|(rgb, _)| _ = counts.add(rgb));
        let palette = Palette::new(counts);
        let index = |rgb: &[u8]| {
            let mut indices = Vec::new();
            palette.index(rgb, &mut indices).unwrap();
            indices
        };
        let indexed: Vec<Vec<u8>> = frames.iter().map(|(rgb, _)| index(rgb)).collect();

        let mut encoder = Encoder::new(Vec::new(), width, height, &palette.bytes()).unwrap();
        encoder.set_repeat(Repeat::Infinite).unwrap();
        let mut pending: Option<Frame> = None;
        for (i, (now, &(_, delay))) in indexed.iter().zip(frames).enumerate() {
            let frame = match i {
                0 => Some(full_frame(now, width, height)),
                _ => changed_part(&indexed[i - 1], now, width),
            };
            match (frame, pending.as_mut()) {
                (None, Some(previous)) => previous.delay = previous.delay.saturating_add(delay),
                (frame, _) => {
                    if let Some(done) = pending.take() {
                        encoder.write_frame(&done).unwrap();
                    }
                    pending = frame.map(|f| Frame { delay, dispose: DisposalMethod::Keep, ..f });
                }
            }
        }
        if let Some(done) = pending {
            encoder.write_frame(&done).unwrap();
        }
        encoder.into_inner().unwrap()
    }

    /// `frames` through the streaming [`encode`], each copied into its buffer when asked for.
    fn stream(size: (u32, u32), frames: &[(Vec<u8>, u16)]) -> Result<Vec<u8>, String> {
        let delays: Vec<u16> = frames.iter().map(|(_, delay)| *delay).collect();
        encode(size, &delays, |i, rgb| {
            rgb.copy_from_slice(&frames[i].0);
            Ok(())
        })
    }

    fn decode(bytes: &[u8]) -> Vec<(gif::Frame<'static>, Vec<u8>)> {
        let mut options = ::gif::DecodeOptions::new();
        options.set_color_output(::gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes).unwrap();
        let mut frames = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            frames.push((frame.clone(), frame.buffer.to_vec()));
        }
        frames
    }

    /// A `w` × `h` picture of `background` with a `color` pixel at each of `dots`.
    fn picture((w, h): (u32, u32), background: [u8; 3], dots: &[((u32, u32), [u8; 3])]) -> Vec<u8> {
        let mut rgb: Vec<u8> = background.repeat((w * h) as usize);
        for &((x, y), color) in dots {
            rgb[3 * (y * w + x) as usize..][..3].copy_from_slice(&color);
        }
        rgb
    }

    #[test]
    fn frames_round_trip_with_only_the_changed_rectangle_stored() {
        let size = (6, 4);
        let white = picture(size, [255; 3], &[]);
        let dot = picture(size, [255; 3], &[((3, 2), [230, 85, 13])]);
        let bytes = stream(size, &[(white.clone(), 10), (dot, 20), (white.clone(), 30), (white, 40)]).unwrap();
        assert_eq!(&bytes[..6], b"GIF89a");
        let frames = decode(&bytes);
        // The last frame repeats the third: its time is added to it.
        assert_eq!(frames.iter().map(|(f, _)| f.delay).collect::<Vec<_>>(), [10, 20, 70]);
        let (second, pixels) = &frames[1];
        assert_eq!((second.left, second.top, second.width, second.height), (3, 2, 1, 1));
        assert_eq!(pixels, &[230, 85, 13, 255]);
    }

    #[test]
    fn a_frame_identical_to_the_one_before_adds_its_delay_to_it() {
        let size = (5, 3);
        let grey = picture(size, [200; 3], &[]);
        let dot = picture(size, [200; 3], &[((0, 2), [31, 119, 180])]);
        // Repeats of the first frame, in the middle and at the end.
        let frames = [(grey.clone(), 100), (grey.clone(), 12), (dot.clone(), 12), (dot.clone(), 12), (dot, 300)];
        let decoded = decode(&stream(size, &frames).unwrap());
        assert_eq!(decoded.iter().map(|(f, _)| f.delay).collect::<Vec<_>>(), [112, 324]);
        let all_same = [(grey.clone(), 7), (grey.clone(), 8), (grey, 9)];
        let decoded = decode(&stream(size, &all_same).unwrap());
        assert_eq!(decoded.iter().map(|(f, _)| f.delay).collect::<Vec<_>>(), [24]);
    }

    #[test]
    fn streaming_gives_the_bytes_of_encoding_all_frames_at_once() {
        // 300 colours over the frames (more than a palette holds), in runs and alone, with
        // frames that change a little, a lot, not at all, and back.
        let size = (40u32, 30u32);
        let shade = |i: u32| [(i % 256) as u8, (i / 256) as u8, (i * 7 % 256) as u8];
        let mut frames = Vec::new();
        for f in 0..12u32 {
            let dots: Vec<((u32, u32), [u8; 3])> =
                (0..25 * f).map(|i| (((i * 13 + f) % size.0, (i * 7 + 3 * f) % size.1), shade(i + f))).collect();
            let background = if f % 5 == 4 { [240, 240, 240] } else { [255; 3] };
            frames.push((picture(size, background, &dots), 10 + f as u16));
        }
        frames.insert(6, frames[5].clone());
        frames.push(frames[0].clone());
        let counted: std::collections::HashSet<&[u8]> = frames.iter().flat_map(|(rgb, _)| rgb.chunks(3)).collect();
        assert!(counted.len() > 255, "only {} colours", counted.len());
        assert_eq!(stream(size, &frames).unwrap(), encode_all_at_once(size, &frames));
        assert_eq!(stream(size, &frames[..1]).unwrap(), encode_all_at_once(size, &frames[..1]));
        assert_eq!(stream(size, &[]).unwrap(), encode_all_at_once(size, &[]));
    }

    #[test]
    fn a_frame_drawn_differently_the_second_time_is_an_error() {
        let size = (4, 4);
        let delays = [10, 10];
        let mut calls = 0;
        // The second drawing of frame 1 has a colour its first drawing did not.
        let new_color = encode(size, &delays, |i, rgb| {
            calls += 1;
            rgb.fill(255);
            rgb[0] = if i == 1 && calls > 2 { 7 } else { 255 };
            Ok(())
        });
        assert_eq!(
            new_color.unwrap_err(),
            "frame 1 was drawn differently the second time; drawing must be deterministic"
        );
        // The second drawing of frame 0 has the same colours, in other places.
        calls = 0;
        let moved = encode(size, &delays, |_, rgb| {
            calls += 1;
            rgb.fill(255);
            rgb[if calls == 3 { 3..6 } else { 0..3 }].fill(0);
            rgb[6..9].fill(0);
            Ok(())
        });
        assert!(moved.unwrap_err().starts_with("frame 0 was drawn differently"));
        let failing = encode(size, &delays, |i, _| if i == 1 { Err("cannot draw frame 1".into()) } else { Ok(()) });
        assert_eq!(failing.unwrap_err(), "cannot draw frame 1");
        assert!(encode((70_000, 1), &delays, |_, _| Ok(())).unwrap_err().contains("too large for a GIF"));
        // A picture with no pixels has no rows to compare: no panic.
        assert!(encode((0, 3), &delays, |_, _| Ok(())).is_ok());
    }

    #[test]
    fn more_than_255_colours_map_to_the_nearest_frequent_one() {
        let rgb: Vec<u8> = (0..300u32).flat_map(|i| [(i % 256) as u8, (i / 256) as u8, 7]).collect();
        let mut counts = Counts::default();
        assert_eq!(counts.add(&rgb), 300);
        let palette = Palette::new(counts);
        assert_eq!(palette.colors.len(), 255);
        let mut indices = Vec::new();
        assert_eq!(palette.index(&rgb, &mut indices), Some(300));
        assert!(indices.iter().all(|&i| i < TRANSPARENT));
        for (px, &i) in rgb.chunks(3).zip(&indices) {
            let c = palette.colors[usize::from(i)];
            assert!((0..3).all(|k| c[k].abs_diff(px[k]) <= 45), "{px:?} → {c:?}");
        }
    }
}
