//! GIF output: RGB frames in, the bytes of an endlessly looping GIF out, with the `gif` crate.
//!
//! A GIF has at most 256 colours. A chart has few: its drawing colours, white, and the
//! anti-aliased shades between them. All frames share one palette, so a colour that stays put
//! never flickers from frame to frame: every colour when there are at most 255, else the 255
//! most frequent ones over all frames, each other pixel taking the nearest of them (a rare
//! anti-aliasing shade moves to a close one). The 256th entry is transparent.
//!
//! After the first frame only the rectangle that changed is stored, its unchanged pixels
//! transparent (the previous frame shows through): long runs of one index, which the GIF's LZW
//! compression packs tightly. Everything is deterministic: the same frames give the same bytes.

use std::collections::HashMap;

use ::gif::{DisposalMethod, Encoder, Frame, Repeat};

/// The palette index of "unchanged since the previous frame".
const TRANSPARENT: u8 = 255;

/// Encodes `frames` (RGB pixels of `size`, 3 bytes each, row by row; each with how long it
/// shows, in hundredths of a second) as a GIF that loops forever. A frame identical to the one
/// before adds its time to that one. Errors if a frame has the wrong length or the size does not
/// fit a GIF (65535 pixels a side).
pub(super) fn encode(size: (u32, u32), frames: &[(Vec<u8>, u16)]) -> Result<Vec<u8>, String> {
    let (width, height) = (u16::try_from(size.0), u16::try_from(size.1));
    let (Ok(width), Ok(height)) = (width, height) else {
        return Err(format!("{}×{} pixels is too large for a GIF", size.0, size.1));
    };
    let pixels = usize::from(width) * usize::from(height);
    if let Some(i) = frames.iter().position(|(rgb, _)| rgb.len() != 3 * pixels) {
        return Err(format!("frame {i} has {} bytes, not 3 × {width} × {height}", frames[i].0.len()));
    }
    let palette = Palette::new(frames);
    let indexed: Vec<Vec<u8>> = frames.iter().map(|(rgb, _)| palette.index(rgb)).collect();

    let mut encoder = Encoder::new(Vec::new(), width, height, &palette.bytes()).map_err(|e| e.to_string())?;
    encoder.set_repeat(Repeat::Infinite).map_err(|e| e.to_string())?;
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
                    encoder.write_frame(&done).map_err(|e| e.to_string())?;
                }
                pending = frame.map(|f| Frame { delay, dispose: DisposalMethod::Keep, ..f });
            }
        }
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
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0, 0);
    for (i, _) in before.iter().zip(now).enumerate().filter(|(_, (a, b))| a != b) {
        let (x, y) = (i % w, i / w);
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
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

/// Up to 255 colours shared by all frames, and the index each colour of the frames maps to.
struct Palette {
    colors: Vec<[u8; 3]>,
    index: HashMap<[u8; 3], u8>,
}

impl Palette {
    /// The 255 most frequent colours over all `frames` (ties broken by the colour's value, so the
    /// palette never depends on hashing order), every colour mapped to its nearest entry.
    fn new(frames: &[(Vec<u8>, u16)]) -> Self {
        // Counted run by run: a chart is mostly long runs of one colour, so this hashes little.
        let mut counts: HashMap<[u8; 3], u64> = HashMap::new();
        for (rgb, _) in frames {
            let mut run: Option<([u8; 3], u64)> = None;
            for px in rgb.chunks_exact(3).map(|px| [px[0], px[1], px[2]]) {
                match &mut run {
                    Some((color, n)) if *color == px => *n += 1,
                    _ => {
                        if let Some((color, n)) = run.replace((px, 1)) {
                            *counts.entry(color).or_default() += n;
                        }
                    }
                }
            }
            if let Some((color, n)) = run {
                *counts.entry(color).or_default() += n;
            }
        }
        let mut by_count: Vec<([u8; 3], u64)> = counts.into_iter().collect();
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

    /// The palette index of every pixel of `rgb`.
    fn index(&self, rgb: &[u8]) -> Vec<u8> {
        let mut last = None;
        let mut lookup = |px: [u8; 3]| match last {
            Some((color, i)) if color == px => i,
            _ => {
                let i = self.index.get(&px).copied().unwrap_or(0);
                last = Some((px, i));
                i
            }
        };
        rgb.chunks_exact(3).map(|px| lookup([px[0], px[1], px[2]])).collect()
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

    #[test]
    fn frames_round_trip_with_only_the_changed_rectangle_stored() {
        let (w, h) = (6u32, 4u32);
        let white = vec![255u8; (w * h * 3) as usize];
        let mut dot = white.clone();
        dot[3 * (2 * w as usize + 3)..][..3].copy_from_slice(&[230, 85, 13]);
        let bytes = encode((w, h), &[(white.clone(), 10), (dot, 20), (white.clone(), 30), (white, 40)]).unwrap();
        assert_eq!(&bytes[..6], b"GIF89a");
        let frames = decode(&bytes);
        // The last frame repeats the third: its time is added to it.
        assert_eq!(frames.iter().map(|(f, _)| f.delay).collect::<Vec<_>>(), [10, 20, 70]);
        let (second, pixels) = &frames[1];
        assert_eq!((second.left, second.top, second.width, second.height), (3, 2, 1, 1));
        assert_eq!(pixels, &[230, 85, 13, 255]);
    }

    #[test]
    fn more_than_255_colours_map_to_the_nearest_frequent_one() {
        let rgb: Vec<u8> = (0..300u32).flat_map(|i| [(i % 256) as u8, (i / 256) as u8, 7]).collect();
        let palette = Palette::new(&[(rgb.clone(), 1)]);
        assert_eq!(palette.colors.len(), 255);
        let indices = palette.index(&rgb);
        assert!(indices.iter().all(|&i| i < TRANSPARENT));
        for (px, &i) in rgb.chunks(3).zip(&indices) {
            let c = palette.colors[usize::from(i)];
            assert!((0..3).all(|k| c[k].abs_diff(px[k]) <= 45), "{px:?} → {c:?}");
        }
    }
}
