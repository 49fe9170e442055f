//! How a chart becomes bytes: PNG, SVG and GIF output and the text in them. Infrastructure: a
//! reader of the lesson may skip this folder; read it to change how the bytes are made.
//!
//! - `png.rs`: PNG output, plotters' bitmap backend with wide lines and text drawn right
//! - `svg.rs`: SVG output that carries the subset of its font it uses
//! - `glyphs.rs`: where the letters go, the same in the PNG and the SVG
//! - `font.rs`: a subset of a TrueType font, small enough to embed in an SVG
//! - `gif_encode.rs`: frames drawn on request into one looping GIF with one shared palette

mod font;
mod glyphs;
pub(super) mod gif_encode;
pub(super) mod png;
pub(super) mod svg;
