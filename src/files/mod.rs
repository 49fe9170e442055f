//! Reading the input files of the `klfit` command line: counts, samples and distributions.
//!
//! Three formats, all UTF-8 text. A UTF-8 byte-order mark at the start of a file is ignored.
//! Wherever a file is taken, the path `-` reads standard input instead, and errors then name it
//! `standard input` (write `./-` for a file named `-`).
//!
//! **Counts file** ([`read_counts`]): CSV with the header row `category,count`, then one row per
//! category.
//!
//! ```text
//! category,count
//! rain,12
//! "sun, then rain",3
//! snow,0
//! ```
//!
//! **Samples file** ([`read_samples`]): one observed category label per line; the categories are
//! the distinct labels in order of first appearance.
//!
//! ```text
//! rain
//! rain
//! sun, then rain
//! ```
//!
//! **Distribution file** ([`read_distribution`], for `klfit divergence`): CSV with the header row
//! `category,probability`, or a counts file.
//!
//! The rules, chosen so that nothing in a file is silently reinterpreted:
//!
//! - Lines end with `\n`, `\r\n` or a lone `\r` (old Mac files), mixed as they come; each ending
//!   counts as one line, in line numbers too. A samples label therefore cannot hold a line break;
//!   a CSV category can, quoted.
//! - No line may be longer than [`MAX_LINE_BYTES`] (1 MiB, ending excluded). A longer line is
//!   refused as soon as its byte past the limit is read, so memory never grows with a line's
//!   length (`/dev/zero` is refused after 1 MiB). A category quoted across several lines is
//!   checked line by line.
//! - Header names are matched exactly (case-sensitive) after trimming spaces around each name.
//! - Categories are taken verbatim (spaces included) and must be non-empty and unique. Quote a
//!   category that contains a comma or a quote, CSV-style: `"sun, then rain"`, `"say ""hi"""`.
//! - Counts are whole numbers written with digits only (`0` to `18446744073709551615`), with
//!   spaces around them trimmed. A count may be 0, but not every count. Their sum must fit in
//!   64 bits; they are then converted to `f64` (exact up to 2^53).
//! - Probabilities are finite numbers in [0, 1] (spaces around them trimmed) summing to 1 within
//!   1e-9. With `normalize` they are weights instead, as in scipy's `entropy`: any finite numbers
//!   ≥ 0, not all 0. Either way they are then divided by their accurately summed total, so the
//!   distribution used sums to 1 to the last bit f64 allows (H ≤ ln K, KL ≥ 0).
//! - In a CSV file blank lines are ignored (they hold no row). In a samples file a blank line is
//!   an error, since it could only mean an empty label; a line ending at the very end of the file
//!   does not make a blank line.
//! - Errors are [`Error::Parse`] with the physical line number in the file (1-based, the header
//!   is line 1 when the file starts with it; 0 for a problem with the file as a whole), quoting
//!   the offending value and saying what was expected. Values are quoted with
//!   [`text::quoted`](crate::text::quoted): control characters escaped, long values cut, so an
//!   error is always one line of bounded length.

mod lines;

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use crate::empirical::{Counter, Inserted, LabelSet, Labels};
use crate::error::{Error, Result};
use crate::numeric::accurate_sum;
use crate::text::quoted;
use crate::Empirical;
use lines::{LineTooLong, LineTracker, Lines};

pub use lines::MAX_LINE_BYTES;

/// The path that means standard input.
pub const STDIN_PATH: &str = "-";

/// How errors name standard input (the `path` of an [`Error::Parse`] or [`Error::Io`]).
pub const STDIN_NAME: &str = "standard input";

/// The UTF-8 encoding of U+FEFF, which some editors put at the start of a file.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// How far the probabilities in a file may sum away from 1 before the file is rejected.
const SUM_TOLERANCE: f64 = 1e-9;

/// Reads a counts file (`-` for standard input): CSV with header row `category,count`; one row
/// per category.
///
/// Returns p with the categories in file order. Errors: see the
/// [module documentation](crate::files).
pub fn read_counts(path: &Path) -> Result<Empirical> {
    let (name, input) = open(path)?;
    let table = read_count_table(&name, input)?;
    Empirical::whole(table.labels, table.counts)
}

/// [`read_counts`] from any reader (a counts file sent to the playground): errors name it `name`.
/// The byte-order mark, line and size rules are the same.
pub fn read_counts_from(name: &Path, input: impl Read) -> Result<Empirical> {
    let mut input = input;
    let mut start = Vec::with_capacity(BYTE_ORDER_MARK.len());
    input.by_ref().take(BYTE_ORDER_MARK.len() as u64).read_to_end(&mut start).map_err(|e| read_error(name, e))?;
    if start == BYTE_ORDER_MARK {
        start.clear();
    }
    let table = read_count_table(name, Cursor::new(start).chain(input))?;
    Empirical::whole(table.labels, table.counts)
}

/// Reads a samples file (`-` for standard input): one observed category label per line;
/// categories are the distinct labels in order of first appearance.
///
/// Streams the input: memory is proportional to the distinct labels, not to the input's size or
/// its longest line. Labels are taken verbatim except for their line ending.
pub fn read_samples(path: &Path) -> Result<Empirical> {
    let (name, input) = open(path)?;
    let mut lines = Lines::new(BufReader::with_capacity(1 << 16, input));
    let mut counter = Counter::default();
    let mut label = Vec::new();
    let mut seen_any = false;
    while let Some(line) = lines.next_into(&mut label).map_err(|e| read_error(&name, e))? {
        if label.is_empty() {
            let message = "is empty; each line must hold one category label (remove blank lines)";
            return Err(Error::parse(&name, line, message));
        }
        counter.add(utf8(&name, line, &label)?).map_err(|e| Error::parse(&name, line, e.to_string()))?;
        seen_any = true;
    }
    if !seen_any {
        let message = "is empty; expected one category label per line";
        return Err(Error::parse(&name, 0, message));
    }
    counter.into_empirical()
}

/// Reads a distribution for `klfit divergence` (`-` for standard input): CSV with header
/// `category,probability` (or a counts file `category,count` when `counts` is true). Returns p
/// with the categories in file order.
///
/// Without `normalize`, probabilities must be finite, in [0, 1], and sum to 1 within 1e-9;
/// otherwise the error says what was found and suggests `--normalize`. With `normalize`, the
/// values are weights, as in scipy's `entropy`: finite, ≥ 0, not all 0. Either way the values
/// accepted are then divided by their accurately summed total ([`Empirical::weighted`]), so a
/// file summing to 1 − 5e-10 is used as the distribution it stands for: H ≤ ln K and KL ≥ 0
/// hold for every file accepted. Counts are kept as exact integers, as [`read_counts`] does.
pub fn read_distribution(path: &Path, counts: bool, normalize: bool) -> Result<Empirical> {
    if counts {
        return read_counts(path);
    }
    let (name, input) = open(path)?;
    let mut values = Vec::new();
    let labels = read_table(&name, input, "probability", |line, value| {
        values.push(parse_probability(&name, line, value, normalize)?);
        Ok(())
    })?;
    let sum = accurate_sum(values.iter().copied());
    if !normalize && (sum - 1.0).abs() > SUM_TOLERANCE {
        let message = format!(
            "probabilities sum to {} (expected 1 within {SUM_TOLERANCE:e} relative); \
             fix the file or pass --normalize to divide by the sum",
            significant_digits(sum, 12)
        );
        return Err(Error::parse(&name, 0, message));
    }
    if sum <= 0.0 {
        let message = "all values are 0; at least one must be positive to normalize";
        return Err(Error::parse(&name, 0, message));
    }
    if !sum.is_finite() {
        // Finite weights whose sum overflows (near 1e308): scaled by the largest first.
        let largest = values.iter().copied().fold(0.0, f64::max);
        values.iter_mut().for_each(|w| *w /= largest);
    }
    Empirical::weighted(labels, values)
}

/// The categories and whole-number counts of a counts file (their total checked to fit and be > 0).
struct CountTable {
    labels: Labels,
    counts: Vec<u64>,
}

/// Reads a `category,count` file, checking each count and that the total fits and is positive.
fn read_count_table(name: &Path, input: impl Read) -> Result<CountTable> {
    let mut counts = Counts::new(LINE);
    let labels = read_table(name, input, "count", |line, value| counts.add(name, line, value))?;
    Ok(CountTable { labels, counts: counts.finish(name)? })
}

/// Counts as they are read: each one checked ([`parse_count`]), their running total checked to fit.
struct Counts {
    counts: Vec<u64>,
    total: u64,
    /// What a row is called: [`LINE`] or [`ENTRY`].
    unit: &'static str,
}

impl Counts {
    fn new(unit: &'static str) -> Self {
        Counts { counts: Vec::new(), total: 0, unit }
    }

    fn add(&mut self, name: &Path, line: u64, value: &str) -> Result<()> {
        let count = parse_count(name, line, value)?;
        self.total = self.total.checked_add(count).ok_or_else(|| {
            let message = format!(
                "the counts up to this {} sum to more than {} (the largest total a 64-bit \
                 count can hold); scale the counts down",
                self.unit,
                u64::MAX
            );
            Error::parse(name, line, message)
        })?;
        self.counts.push(count);
        Ok(())
    }

    /// The counts, if at least one is positive.
    fn finish(self, name: &Path) -> Result<Vec<u64>> {
        if self.total == 0 {
            let message = "all counts are 0; at least one category must have been observed";
            return Err(Error::parse(name, 0, message));
        }
        Ok(self.counts)
    }
}

/// The name [`read_count_entries`] gives its input in errors.
pub const ENTRIES_NAME: &str = "counts";

/// What a row is called in errors: `line` in a file, `entry` in [`read_count_entries`].
const LINE: &str = "line";
const ENTRY: &str = "entry";

/// Counts given as (category, count text) entries rather than a file (the playground's `counts`),
/// under the same rules as a counts file's rows. Errors are [`Error::Parse`] named
/// [`ENTRIES_NAME`] whose `line` is the 1-based entry.
pub fn read_count_entries<S: AsRef<str>>(entries: impl IntoIterator<Item = (S, S)>) -> Result<Empirical> {
    let name = Path::new(ENTRIES_NAME);
    let (mut categories, mut counts) = (Categories::new(ENTRY), Counts::new(ENTRY));
    for (entry, (category, value)) in (1..).zip(entries) {
        categories.add(name, entry, category.as_ref(), value.as_ref())?;
        counts.add(name, entry, value.as_ref())?;
    }
    if categories.labels.is_empty() {
        return Err(Error::parse(name, 0, "has no entries; give at least one category and its count"));
    }
    Empirical::whole(categories.labels.into_labels(), counts.finish(name)?)
}

/// The categories read so far, each checked to be non-empty and new, with the line (or entry)
/// each came on for a duplicate's message.
struct Categories {
    labels: LabelSet,
    lines: Vec<u64>,
    /// What a row is called: [`LINE`] or [`ENTRY`].
    unit: &'static str,
}

impl Categories {
    fn new(unit: &'static str) -> Self {
        Categories { labels: LabelSet::default(), lines: Vec::new(), unit }
    }

    fn add(&mut self, name: &Path, line: u64, category: &str, value: &str) -> Result<()> {
        if category.is_empty() {
            let message = format!("the category is empty; each row needs a label, e.g. rain,{}", quoted(value));
            return Err(Error::parse(name, line, message));
        }
        if let Inserted::Seen(earlier) =
            self.labels.insert(category).map_err(|e| Error::parse(name, line, e.to_string()))?
        {
            let unit = self.unit;
            let message = format!(
                "category {} on {unit} {line} already appeared on {unit} {}; \
                 each category must have exactly one row",
                quoted(category),
                self.lines[earlier]
            );
            return Err(Error::parse(name, line, message));
        }
        self.lines.push(line);
        Ok(())
    }
}

/// Reads a two-column CSV input named `name` with header `category,<value_column>`.
///
/// Checks the header, the number of fields, UTF-8, and that categories are non-empty and unique;
/// hands each row's value (untrimmed) and its line number to `on_row`. Returns the categories in
/// file order.
fn read_table(
    name: &Path,
    input: impl Read,
    value_column: &str,
    mut on_row: impl FnMut(u64, &str) -> Result<()>,
) -> Result<Labels> {
    let expected = format!("`category,{value_column}`");
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(LineTracker::new(input));
    let mut record = csv::ByteRecord::new();
    let mut header_seen = false;
    let mut categories = Categories::new(LINE);

    while csv.read_byte_record(&mut record).map_err(|e| csv_error(name, e))? {
        let start = record.position().map_or(0, |p| p.byte());
        let end = csv.position().byte();
        let line = csv.get_mut().record_line(start, end);

        if !header_seen {
            check_header(name, line, &utf8_fields(name, line, &record)?, value_column, &expected)?;
            header_seen = true;
            continue;
        }
        if record.len() != 2 {
            let fields = utf8_fields(name, line, &record)?;
            let message = format!(
                "has {} field(s), {}; expected 2: {expected} \
                 (quote a category that contains a comma, e.g. \"a, b\",3)",
                fields.len(),
                quoted(&fields.join(","))
            );
            return Err(Error::parse(name, line, message));
        }
        let (category, value) = (utf8(name, line, &record[0])?, utf8(name, line, &record[1])?);
        categories.add(name, line, category, value)?;
        on_row(line, value)?;
    }

    if !header_seen {
        return Err(Error::parse(name, 0, format!("is empty; expected a header row {expected}")));
    }
    if categories.labels.is_empty() {
        let message = format!("has a header row but no data rows; expected one row {expected} per category");
        return Err(Error::parse(name, 0, message));
    }
    Ok(categories.labels.into_labels())
}

/// Checks that the header is `category,<value_column>`, allowing spaces around each name.
fn check_header(name: &Path, line: u64, fields: &[&str], value_column: &str, expected: &str) -> Result<()> {
    let names: Vec<&str> = fields.iter().map(|f| f.trim()).collect();
    if names == ["category", value_column] {
        return Ok(());
    }
    let message = format!(
        "the header row is {}; expected {expected} (if this line is data, add that header \
         above it)",
        quoted(&fields.join(","))
    );
    Err(Error::parse(name, line, message))
}

/// Parses a count: a non-negative whole number in digits, spaces around it trimmed.
fn parse_count(name: &Path, line: u64, value: &str) -> Result<u64> {
    let text = value.trim();
    let expected = "expected a non-negative whole number such as 0, 1 or 42";
    let problem = if text.is_empty() {
        "is empty"
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        match text.parse::<u64>() {
            Ok(count) => return Ok(count),
            Err(_) => "is too large (the largest count is 18446744073709551615)",
        }
    } else {
        match text.parse::<f64>() {
            Ok(x) if x.is_nan() => "is not a number",
            Ok(x) if x < 0.0 => "is negative",
            Ok(x) if x.is_infinite() => "is infinite",
            Ok(x) if x.fract() != 0.0 => "is not a whole number",
            Ok(_) => "has a decimal point, exponent or sign (write digits only, e.g. 2 for 2.0)",
            Err(_) => "is not a number",
        }
    };
    Err(Error::parse(name, line, format!("count {} {problem}; {expected}", quoted(value))))
}

/// Parses a probability, spaces around it trimmed: a finite number in [0, 1], or with
/// `normalize` a finite weight ≥ 0.
fn parse_probability(name: &Path, line: u64, value: &str, normalize: bool) -> Result<f64> {
    let problem = match value.trim().parse::<f64>() {
        Ok(p) if p.is_nan() => "is not a number",
        Ok(p) if p.is_infinite() => "is infinite",
        Ok(p) if p < 0.0 => "is negative",
        // A probability may exceed 1 by what the sum may: 1.0000000005 beside 0 is accepted.
        Ok(p) if normalize || p <= 1.0 + SUM_TOLERANCE => return Ok(p),
        Ok(_) => "is greater than 1",
        Err(_) if value.trim().is_empty() => "is empty",
        Err(_) => "is not a number",
    };
    let message = if normalize {
        format!("weight {} {problem}; with --normalize expected a finite number ≥ 0, e.g. 2 or 0.25", quoted(value))
    } else if problem == "is greater than 1" {
        format!(
            "probability {} {problem}; expected a number from 0 to 1, e.g. 0.25 \
             (for weights such as 2,1 pass --normalize to divide them by their sum)",
            quoted(value)
        )
    } else {
        format!("probability {} {problem}; expected a number from 0 to 1, e.g. 0.25", quoted(value))
    };
    Err(Error::parse(name, line, message))
}

/// Opens `path` (standard input for `-`) and skips a UTF-8 byte-order mark at its start.
/// Returns the name that errors give it and its bytes.
fn open(path: &Path) -> Result<(PathBuf, Box<dyn Read>)> {
    let (name, mut input): (PathBuf, Box<dyn Read>) = if path == Path::new(STDIN_PATH) {
        (PathBuf::from(STDIN_NAME), Box::new(io::stdin().lock()))
    } else {
        let file = File::open(path).map_err(|e| Error::cannot("open", path, e))?;
        (path.to_path_buf(), Box::new(file))
    };
    let mut start = Vec::with_capacity(BYTE_ORDER_MARK.len());
    input
        .by_ref()
        .take(BYTE_ORDER_MARK.len() as u64)
        .read_to_end(&mut start)
        .map_err(|e| Error::cannot("read", &name, e))?;
    if start == BYTE_ORDER_MARK {
        start.clear();
    }
    Ok((name, Box::new(Cursor::new(start).chain(input))))
}

/// Converts a failed read: a line over [`MAX_LINE_BYTES`] becomes a parse error on that line.
fn read_error(name: &Path, error: io::Error) -> Error {
    match LineTooLong::find(&error) {
        Some(too_long) => Error::parse(name, too_long.line, too_long.to_string()),
        None => Error::cannot("read", name, error),
    }
}

/// `bytes` as text, or an error saying that `line` is not UTF-8.
fn utf8<'a>(name: &Path, line: u64, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| {
        let shown = quoted(&String::from_utf8_lossy(bytes));
        let message = format!("{shown} is not valid UTF-8 (shown with � for the bad bytes); save the file as UTF-8");
        Error::parse(name, line, message)
    })
}

/// The fields of a CSV record as text.
fn utf8_fields<'a>(name: &Path, line: u64, record: &'a csv::ByteRecord) -> Result<Vec<&'a str>> {
    record.iter().map(|field| utf8(name, line, field)).collect()
}

/// Converts an error of the csv crate. With byte records and `flexible(true)` the only error
/// it reports is a failed read.
fn csv_error(name: &Path, error: csv::Error) -> Error {
    match error.into_kind() {
        csv::ErrorKind::Io(e) => read_error(name, e),
        other => Error::parse(name, 0, format!("unreadable CSV: {}", crate::text::shown(&format!("{other:?}"), 200))),
    }
}

/// `x` rounded to `digits` significant digits: a sum prints as 0.9, not 0.8999999999999999.
fn significant_digits(x: f64, digits: usize) -> f64 {
    format!("{x:.*e}", digits.saturating_sub(1)).parse().unwrap_or(x)
}
