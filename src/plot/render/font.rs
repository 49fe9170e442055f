//! A subset of a TrueType font holding only the characters a chart shows, small enough to embed
//! in the chart's SVG (a few kilobytes instead of 750 KB).
//!
//! `subsetter` keeps the glyphs (outlines, advances, hinting) and the name table with the font's
//! copyright and licence, but it writes fonts for PDF: it drops the character map and the OS/2
//! metrics that a browser needs, and the kerning. This file adds them back for the kept glyphs: a
//! `cmap` (character → new glyph id), the original `OS/2`, and a `kern` table with the pairs
//! plotters' text layout applies (it reads the same legacy `kern` table), then reassembles the
//! font file with its table directory and checksums.

use std::collections::{BTreeMap, BTreeSet};

use ttf_parser::{Face, GlyphId, Tag};

/// `font` (a TrueType font file) cut down to the glyphs of `chars`, as a font file.
/// Characters the font lacks are left out (a browser falls back for them, as plotters draws
/// the font's "missing" box).
pub(super) fn subset(font: &[u8], chars: &BTreeSet<char>) -> Result<Vec<u8>, String> {
    let face = Face::parse(font, 0).map_err(|e| format!("the bundled font cannot be read: {e}"))?;
    let mut remapper = subsetter::GlyphRemapper::new();
    let mut cmap = BTreeMap::new();
    for &c in chars {
        if let Some(glyph) = face.glyph_index(c) {
            cmap.insert(c, remapper.remap(glyph.0));
        }
    }
    let old: Vec<u16> = remapper.remapped_gids().collect();
    let glyphs: Vec<(u16, u16)> = cmap.values().map(|&new| (old[usize::from(new)], new)).collect();
    let cut = subsetter::subset(font, 0, &remapper).map_err(|e| format!("subsetting the font failed: {e}"))?;

    let mut tables = read_tables(&cut).ok_or("the subset font has a malformed table directory")?;
    tables.insert(*b"cmap", character_map(&cmap));
    if let Some(os2) = face.raw_face().table(Tag::from_bytes(b"OS/2")) {
        tables.insert(*b"OS/2", os2.to_vec());
    }
    if let Some(kern) = kerning(&face, &glyphs) {
        tables.insert(*b"kern", kern);
    }
    Ok(assemble(tables))
}

/// The tables of a font file by tag: the 12-byte header, then 16-byte records (tag, checksum,
/// offset, length).
fn read_tables(font: &[u8]) -> Option<BTreeMap<[u8; 4], Vec<u8>>> {
    let u16_at = |i: usize| Some(u16::from_be_bytes(font.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_be_bytes(font.get(i..i + 4)?.try_into().ok()?));
    let mut tables = BTreeMap::new();
    for i in 0..usize::from(u16_at(4)?) {
        let record = 12 + 16 * i;
        let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
        let (offset, length) = (u32_at(record + 8)? as usize, u32_at(record + 12)? as usize);
        tables.insert(tag, font.get(offset..offset.checked_add(length)?)?.to_vec());
    }
    Some(tables)
}

/// A `cmap` with a Windows Unicode BMP subtable (format 4, one segment per character) and, when a
/// character lies beyond U+FFFF, a full-Unicode subtable (format 12, one group per character).
fn character_map(map: &BTreeMap<char, u16>) -> Vec<u8> {
    let bmp: Vec<(u16, u16)> = map.iter().filter_map(|(&c, &g)| Some((u16::try_from(u32::from(c)).ok()?, g))).collect();
    let full = bmp.len() < map.len();

    // Format 4: parallel arrays over the segments, the last one the required 0xFFFF → 0.
    let segments: Vec<(u16, u16)> = bmp.iter().copied().filter(|&(c, _)| c != 0xFFFF).chain([(0xFFFF, 0)]).collect();
    let n = segments.len() as u16;
    let (search, selector) = binary_search_fields(n, 2);
    let mut format4 = Vec::new();
    put16(&mut format4, &[4, 16 + 8 * n, 0, 2 * n, search, selector, 2 * n - search]);
    put16(&mut format4, &segments.iter().map(|s| s.0).collect::<Vec<_>>());
    put16(&mut format4, &[0]);
    put16(&mut format4, &segments.iter().map(|s| s.0).collect::<Vec<_>>());
    // idDelta: glyph = (character + delta) mod 65536.
    put16(&mut format4, &segments.iter().map(|&(c, g)| g.wrapping_sub(c)).collect::<Vec<_>>());
    put16(&mut format4, &vec![0; segments.len()]);

    let mut format12 = Vec::new();
    if full {
        put16(&mut format12, &[12, 0]);
        put32(&mut format12, &[16 + 12 * map.len() as u32, 0, map.len() as u32]);
        for (&c, &g) in map {
            put32(&mut format12, &[u32::from(c), u32::from(c), u32::from(g)]);
        }
    }

    let subtables: Vec<(u16, Vec<u8>)> =
        [(1, format4), (10, format12)].into_iter().filter(|s| !s.1.is_empty()).collect();
    let mut cmap = Vec::new();
    put16(&mut cmap, &[0, subtables.len() as u16]);
    let mut offset = 4 + 8 * subtables.len() as u32;
    for (encoding, table) in &subtables {
        put16(&mut cmap, &[3, *encoding]);
        put32(&mut cmap, &[offset]);
        offset += table.len() as u32;
    }
    for (_, table) in subtables {
        cmap.extend(table);
    }
    cmap
}

/// A `kern` table (version 0, one horizontal format-0 subtable) with the original font's kerning
/// between the kept glyphs, renumbered; `None` when no pair is kerned. `glyphs`: (old, new) ids.
fn kerning(face: &Face, glyphs: &[(u16, u16)]) -> Option<Vec<u8>> {
    let kern = face.tables().kern?;
    let value = |a: u16, b: u16| {
        let mut horizontal = kern.subtables.into_iter().filter(|s| s.horizontal && !s.has_cross_stream && !s.variable);
        horizontal.find_map(|s| s.glyphs_kerning(GlyphId(a), GlyphId(b)))
    };
    let mut pairs = BTreeMap::new();
    for &(old_a, new_a) in glyphs {
        for &(old_b, new_b) in glyphs {
            if let Some(v) = value(old_a, old_b).filter(|&v| v != 0) {
                pairs.insert((new_a, new_b), v);
            }
        }
    }
    // The subtable length is a u16: at most 10,919 pairs.
    let n = u16::try_from(pairs.len()).ok().filter(|&n| n > 0 && n <= 10_919)?;
    let (search, selector) = binary_search_fields(n, 6);
    let mut table = Vec::new();
    put16(&mut table, &[0, 1, 0, 14 + 6 * n, 0x0001, n, search, selector, 6 * n - search]);
    for ((a, b), v) in pairs {
        put16(&mut table, &[a, b, v as u16]);
    }
    Some(table)
}

/// A font file from its tables: the header and directory (tables sorted by tag, each with its
/// checksum), the tables padded to 4 bytes, and head.checkSumAdjustment set so that the whole file
/// sums to 0xB1B0AFBA.
fn assemble(mut tables: BTreeMap<[u8; 4], Vec<u8>>) -> Vec<u8> {
    if let Some(head) = tables.get_mut(b"head").filter(|h| h.len() >= 12) {
        head[8..12].fill(0);
    }
    let n = tables.len() as u16;
    let (search, selector) = binary_search_fields(n, 16);
    let mut font = Vec::new();
    put32(&mut font, &[0x0001_0000]);
    put16(&mut font, &[n, search, selector, 16 * n - search]);
    let mut offset = 12 + 16 * tables.len();
    let mut head_at = None;
    for (tag, data) in &tables {
        if tag == b"head" {
            head_at = Some(offset);
        }
        font.extend(tag);
        put32(&mut font, &[checksum(data), offset as u32, data.len() as u32]);
        offset += data.len().next_multiple_of(4);
    }
    for data in tables.values() {
        font.extend(data);
        font.resize(font.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head_at.filter(|at| at + 12 <= font.len()) {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&font));
        font[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    font
}

/// The sum of the big-endian u32 words of `data`, zero-padded to a multiple of 4 bytes.
fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// (searchRange, entrySelector) of a table of `n` entries of `size` bytes: the largest power of
/// two ≤ n, times `size`, and its log2.
fn binary_search_fields(n: u16, size: u16) -> (u16, u16) {
    let selector = if n == 0 { 0 } else { 15 - n.leading_zeros() as u16 };
    (size << selector, selector)
}

fn put16(out: &mut Vec<u8>, values: &[u16]) {
    values.iter().for_each(|v| out.extend(v.to_be_bytes()));
}

fn put32(out: &mut Vec<u8>, values: &[u32]) {
    values.iter().for_each(|v| out.extend(v.to_be_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subset_maps_its_characters_to_the_same_outlines_and_advances() {
        let font = dejavu::sans::regular();
        let chars: BTreeSet<char> = "CE − KL = H(p) ‖ 10⁻¹⁶ nats, AV To".chars().collect();
        let small = subset(font, &chars).unwrap();
        assert!(small.len() < 30_000, "subset is {} bytes", small.len());
        let (full, sub) = (Face::parse(font, 0).unwrap(), Face::parse(&small, 0).unwrap());
        // The characters, .notdef, and the components of composite glyphs (⁻ ¹ ⁶ reuse other outlines).
        assert!(sub.number_of_glyphs() <= 2 * chars.len() as u16, "{} glyphs", sub.number_of_glyphs());
        for &c in &chars {
            let (a, b) = (full.glyph_index(c).unwrap(), sub.glyph_index(c).unwrap_or_else(|| panic!("{c:?} unmapped")));
            assert_eq!(full.glyph_hor_advance(a), sub.glyph_hor_advance(b), "advance of {c:?}");
            assert_eq!(full.glyph_bounding_box(a), sub.glyph_bounding_box(b), "outline box of {c:?}");
        }
        assert_eq!(sub.glyph_index('Z'), None);
        // Kerning survives: every kept pair kerns as in the original.
        let kern =
            |f: &Face, a, b| f.tables().kern.and_then(|k| k.subtables.into_iter().find_map(|s| s.glyphs_kerning(a, b)));
        let mut kerned = 0;
        for &x in &chars {
            for &y in &chars {
                let original = kern(&full, full.glyph_index(x).unwrap(), full.glyph_index(y).unwrap()).unwrap_or(0);
                let kept = kern(&sub, sub.glyph_index(x).unwrap(), sub.glyph_index(y).unwrap()).unwrap_or(0);
                assert_eq!(original, kept, "kerning of {x:?}{y:?}");
                kerned += usize::from(kept != 0);
            }
        }
        assert!(kerned > 0, "'AV' and 'To' are kerned in DejaVu Sans");
        assert_eq!(checksum(&small), 0xB1B0_AFBA, "the whole font must sum to the magic number");
    }

    #[test]
    fn characters_beyond_the_bmp_get_a_format_12_subtable() {
        let map = BTreeMap::from([('a', 1), ('\u{1D400}', 2)]);
        let face_bytes = character_map(&map);
        let cmap = ttf_parser::cmap::Table::parse(&face_bytes).unwrap();
        let lookup = |c: char| cmap.subtables.into_iter().find_map(|s| s.glyph_index(u32::from(c)));
        assert_eq!(lookup('a'), Some(GlyphId(1)));
        assert_eq!(lookup('\u{1D400}'), Some(GlyphId(2)));
        assert_eq!(lookup('b'), None);
    }
}
