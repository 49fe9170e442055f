// Numbers for people, written exactly as the command line writes them (src/units.rs): the same
// digits, so a value on the page can be compared with `klfit train`'s console as text.
//
// Rust rounds a float's exact binary value to the nearest decimal, ties to even; JavaScript's
// toFixed and toExponential round ties up. So the digits are made here from the exact value with
// BigInt, and rounded the way Rust rounds them.

/** The exact value of a finite v > 0 as int / 10^scale (int a BigInt, scale ≥ 0). */
function exact(v) {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let power;
  if (biased === 0) {
    power = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    power = biased - 1075;
  }
  if (power >= 0) return { int: mantissa << BigInt(power), scale: 0 };
  return { int: mantissa * 5n ** BigInt(-power), scale: -power }; // m·2^-k = m·5^k / 10^k
}

/** int / 10^drop rounded to the nearest whole number, ties to even (drop ≥ 0). */
function roundDown(int, drop) {
  if (drop <= 0) return int * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop);
  const q = int / div;
  const twice = 2n * (int % div);
  if (twice > div || (twice === div && q % 2n === 1n)) return q + 1n;
  return q;
}

/** v > 0 with `decimals` digits after the point, as Rust's `{:.N}`. */
function fixed(v, decimals) {
  const { int, scale } = exact(v);
  const digits = roundDown(int, scale - decimals).toString().padStart(decimals + 1, "0");
  if (decimals === 0) return digits;
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

/** v > 0 with `decimals` digits after the point in scientific notation, as Rust's `{:.Ne}`: `1.27093412e-9`. */
function scientific(v, decimals) {
  const { int, scale } = exact(v);
  const length = int.toString().length;
  let exponent = length - 1 - scale;
  let digits = roundDown(int, length - (decimals + 1)).toString();
  if (digits.length > decimals + 1) {
    digits = digits.slice(0, decimals + 1); // 9.99…5 rounded up to 10.0…0: one more power of ten
    exponent += 1;
  }
  const mantissa = decimals === 0 ? digits : `${digits[0]}.${digits.slice(1)}`;
  return `${mantissa}e${exponent}`;
}

/** Infinities and NaN as Rust writes them; null for a finite number. */
function special(v) {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  return null;
}

/**
 * A quantity for people, as `units::number`: fixed-point with 9 decimals from 0.1 up to 10⁶,
 * more decimals down to 10⁻⁴, scientific outside (`1.27093412e-9`); `0`, never `-0`.
 */
export function number(v) {
  if (v === 0) return "0";
  const s = special(v);
  if (s !== null) return s;
  const sign = v < 0 ? "-" : "";
  const a = Math.abs(v);
  const magnitude = Math.floor(Math.log10(a));
  if (magnitude >= -4 && magnitude < 6) return sign + fixed(a, Math.max(8 - magnitude, 9));
  return sign + scientific(a, 8);
}

/** A rounding-level residual, as `units::residual`: `+4.4e-16`, `-2.2e-16`, or `0`. */
export function residual(v) {
  if (v === 0) return "0";
  const s = special(v);
  if (s !== null) return s;
  return (v < 0 ? "-" : "+") + scientific(Math.abs(v), 1);
}

/** A setting such as a learning rate, as `units::short`: `1`, `0.1`, `1e-7`, `1e30`. */
export function short(v) {
  const s = special(v);
  if (s !== null) return s;
  const a = Math.abs(v);
  if (v === 0 || (a >= 1e-4 && a < 1e6)) return String(v);
  return v.toExponential().replace("e+", "e");
}

/** A probability or another number for an axis tick: few digits, no trailing zeros. */
export function tick(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(4)));
  return v.toExponential(0).replace("e+", "e");
}

/** `1.985846379 nats`. */
export function withUnit(v, units) {
  return `${number(v)} ${units}`;
}
