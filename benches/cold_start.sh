#!/usr/bin/env bash
# Cold start, measured in one run: a fresh clone's first build of the demo
# (`cargo build --release --example train`) between two builds of a crate that holds only
# candle-core, candle-nn and plotters with klfit's features (same Cargo.lock), each from an
# empty target folder. Takes about 10 minutes on two cores.
#
#     bash benches/cold_start.sh            # from the repository root
set -euo pipefail
repo=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone -q "$repo" "$work/klfit"
mkdir -p "$work/base/src"
cp "$repo/Cargo.lock" "$work/base/"
cat > "$work/base/Cargo.toml" <<'TOML'
[package]
name = "base"
version = "0.1.0"
edition = "2021"

[dependencies]
candle-core = "0.11"
candle-nn = "0.11"
plotters = { version = "0.3.7", default-features = false, features = [
    "bitmap_backend", "svg_backend", "ab_glyph", "line_series", "point_series", "full_palette",
] }
TOML
cat > "$work/base/src/main.rs" <<'RS'
fn main() {
    let t = candle_core::Tensor::zeros(3, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    let _ = candle_nn::ops::softmax_last_dim(&t);
    let _ = plotters::style::RGBColor(0, 0, 0);
}
RS

seconds() { local start=$SECONDS; (cd "$1" && cargo build --release -q "${@:2}"); echo $((SECONDS - start)); }
a=$(seconds "$work/base")
k=$(seconds "$work/klfit" --example train)
rm -rf "$work/base/target"
b=$(seconds "$work/base")
echo "candle-core + candle-nn + plotters alone: ${a} s, then ${b} s; klfit's demo from a fresh clone: ${k} s"
