//! `POST /api/train`'s body: a JSON object with `klfit train`'s settings under their command-line
//! names, read into the library's types by the command line's own parsers (so a bad value gets the
//! rule the command line states), within the playground's bounds.

use std::path::PathBuf;

use candle_core::DType;
use klfit::data::{self, Source};
use klfit::model::Init;
use klfit::named::Named;
use klfit::{Empirical, TrainConfig, Units};

use super::json::Json;
use crate::cli;

/// The most categories a playground run may have.
pub const MAX_K: usize = 10_000;
/// The most steps a playground run may take.
pub const MAX_STEPS: usize = 100_000;

/// The fields a request may hold, in the order the README lists them.
pub const FIELDS: [&str; 14] = [
    "dataset",
    "counts",
    "objective",
    "model",
    "init",
    "optimizer",
    "lr",
    "steps",
    "seed",
    "dtype",
    "engine",
    "smoothing",
    "units",
    "every",
];

/// A request refused: the field it is about (if one) and what is wrong, as the command line says it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// The field, e.g. `lr` (an unknown one as it was written); `None` for the body as a whole.
    pub field: Option<String>,
    /// What is wrong and how to fix it.
    pub error: String,
}

impl Refusal {
    /// A refusal about `field`.
    pub fn of(field: &str, error: impl Into<String>) -> Self {
        Refusal { field: Some(field.to_string()), error: error.into() }
    }

    /// A refusal about the body as a whole.
    pub fn body(error: impl Into<String>) -> Self {
        Refusal { field: None, error: error.into() }
    }

    /// `{"error": ..., "field": ...}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.error, "field": self.field })
    }
}

/// A training request, read and checked: the data and the settings of one run.
pub struct TrainRequest {
    /// Where the data came from: a built-in dataset, or `counts.csv` for inline counts (the name the
    /// summary's command gives them, to rerun with the counts saved under it).
    pub source: Source,
    /// p, smoothed if asked.
    pub p: Empirical,
    /// The pseudo-count added to every count, if any.
    pub smoothing: Option<f64>,
    /// The run's settings.
    pub config: TrainConfig,
    /// Units of the streamed numbers.
    pub units: Units,
    /// Stream every `every`-th record (and always step 0, the last, and those with q).
    pub every: usize,
}

/// Reads a request body. Everything but the start (which needs the engine) is checked here.
pub fn parse(body: &[u8]) -> Result<TrainRequest, Refusal> {
    let json: Json = serde_json::from_slice(body)
        .map_err(|e| Refusal::body(format!("the body is not valid JSON: {e}; send an object such as {{\"dataset\": \"income\", \"objective\": \"kl\"}}")))?;
    let Json::Object(pairs) = json else {
        return Err(Refusal::body(format!(
            "the body is {}; send a JSON object of settings such as {{\"dataset\": \"income\", \"objective\": \"kl\"}}",
            json.kind()
        )));
    };
    let mut fields: Vec<(&'static str, Json)> = Vec::new();
    for (key, value) in pairs {
        let Some(&field) = FIELDS.iter().find(|f| **f == key) else {
            let error = format!("unknown field {}; the fields are {}", klfit::text::quoted(&key), FIELDS.join(", "));
            return Err(Refusal::of(&klfit::text::shown(&key, 40), error));
        };
        if fields.iter().any(|(f, _)| *f == field) {
            return Err(Refusal::of(field, format!("{field} is given twice; give it once")));
        }
        if value != Json::Null {
            fields.push((field, value)); // null means the default, as leaving the field out does
        }
    }
    let get = |name: &str| fields.iter().find(|(f, _)| *f == name).map(|(_, v)| v);
    let text = |name: &'static str| -> Result<Option<String>, Refusal> {
        match get(name) {
            None => Ok(None),
            Some(v) => v.text().map(Some).ok_or_else(|| {
                Refusal::of(name, format!("{name} is {}; give a string or a number, as on the command line", v.kind()))
            }),
        }
    };
    // Each setting through the command line's parser, under the command line's default.
    let mut config = TrainConfig::default();
    let mut units = Units::default();
    let mut smoothing = None;
    let mut every = 1;
    let mut lr = None;
    named_field(&text, "objective", &mut config.objective)?;
    named_field(&text, "model", &mut config.model)?;
    named_field(&text, "optimizer", &mut config.optimizer)?;
    named_field(&text, "engine", &mut config.engine)?;
    named_field(&text, "units", &mut units)?;
    parsed(&text, "init", &mut config.init, |s| s.parse::<Init>())?;
    parsed(&text, "dtype", &mut config.dtype, dtype)?;
    parsed(&text, "steps", &mut config.steps, cli::whole_number)?;
    parsed(&text, "seed", &mut config.seed, cli::seed)?;
    parsed(&text, "every", &mut every, |s| cli::whole(s, 1, "10"))?;
    parsed(&text, "lr", &mut lr, |s| cli::positive_finite(s).map(Some))?;
    parsed(&text, "smoothing", &mut smoothing, |s| cli::non_negative_finite(s).map(Some))?;
    config.lr = lr.unwrap_or(config.optimizer.default_lr());
    if config.steps > MAX_STEPS {
        return Err(Refusal::of(
            "steps",
            format!(
                "{} steps is more than the playground runs (at most {MAX_STEPS}); use `klfit train` for longer runs",
                config.steps
            ),
        ));
    }
    // The settings' combination (an engine that cannot run the model, ...).
    config.validate().map_err(|e| Refusal::of("engine", e.to_string()))?;

    let (source, p) = data(get("dataset"), get("counts"))?;
    let data_field = if get("counts").is_some() { "counts" } else { "dataset" };
    if p.k() > MAX_K {
        return Err(Refusal::of(
            data_field,
            format!(
                "{} categories is more than the playground shows (at most {MAX_K}); use `klfit train` for more",
                p.k()
            ),
        ));
    }
    let p = match smoothing {
        Some(eps) => p.smoothed(eps).map_err(|e| Refusal::of("smoothing", e.to_string()))?,
        None => p,
    };
    Ok(TrainRequest { source, p, smoothing, config, units, every })
}

/// `invalid value '-1' for 'lr': -1 is not a finite number > 0 (...)`: the command line's error
/// for the same value, with the field's name for the option's.
fn invalid(field: &'static str, value: &str, rule: &str) -> Refusal {
    Refusal::of(field, format!("invalid value '{}' for '{field}': {rule}", klfit::text::shown(value, 40)))
}

/// A named choice (`"objective": "kl"`), through the names the command line takes.
fn named_field<T: Named>(
    text: &dyn Fn(&'static str) -> Result<Option<String>, Refusal>,
    name: &'static str,
    into: &mut T,
) -> Result<(), Refusal> {
    parsed(text, name, into, |s| T::from_name(s))
}

/// A setting parsed from its text by `parse`, or left at its default when absent.
fn parsed<T>(
    text: &dyn Fn(&'static str) -> Result<Option<String>, Refusal>,
    name: &'static str,
    into: &mut T,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<(), Refusal> {
    if let Some(value) = text(name)? {
        *into = parse(&value).map_err(|rule| invalid(name, &value, &rule))?;
    }
    Ok(())
}

/// `f32` or `f64`, as `--dtype` takes them.
fn dtype(s: &str) -> Result<DType, String> {
    match s {
        "f32" => Ok(DType::F32),
        "f64" => Ok(DType::F64),
        _ => Err(format!("'{}' is not one of f32, f64", klfit::text::shown(s, 40))),
    }
}

/// The data: a built-in dataset by name, or counts given inline (an object `{"rain": 12}` in its
/// key order, or a list of `["rain", 12]` pairs); the default dataset when neither is given.
fn data(dataset: Option<&Json>, counts: Option<&Json>) -> Result<(Source, Empirical), Refusal> {
    let loaded = |source: Source, field: &'static str| {
        let p = source.load().map_err(|e| Refusal::of(field, e.to_string()))?;
        Ok((source, p))
    };
    match (dataset, counts) {
        (Some(_), Some(_)) => Err(Refusal::of("counts", "give either dataset or counts, not both")),
        (None, None) => loaded(Source::Dataset(&data::DATASETS[0]), "dataset"),
        (Some(name), None) => {
            let Json::String(name) = name else {
                return Err(Refusal::of("dataset", format!("dataset is {}; give a dataset's name", name.kind())));
            };
            let d = data::dataset(name).map_err(|e| Refusal::of("dataset", e.to_string()))?;
            loaded(Source::Dataset(d), "dataset")
        }
        (None, Some(counts)) => {
            let entries = entries(counts)?;
            let p = klfit::files::read_count_entries(entries).map_err(|e| match e {
                klfit::Error::Parse { line: 0, message, .. } => Refusal::of("counts", format!("counts {message}")),
                klfit::Error::Parse { line, message, .. } => {
                    Refusal::of("counts", format!("counts entry {line}: {message}"))
                }
                other => Refusal::of("counts", other.to_string()),
            })?;
            Ok((Source::Counts(PathBuf::from("counts.csv")), p))
        }
    }
}

/// The (category, count text) entries of inline counts, at most [`MAX_K`] of them.
fn entries(counts: &Json) -> Result<Vec<(String, String)>, Refusal> {
    let shape = "give counts as an object {\"rain\": 12, \"sun\": 3} or a list of pairs [[\"rain\", 12], [\"sun\", 3]]";
    let count_text = |i: usize, v: &Json| {
        v.text().ok_or_else(|| {
            Refusal::of("counts", format!("counts entry {i}: the count is {}; give a whole number", v.kind()))
        })
    };
    let pairs: Vec<(String, String)> = match counts {
        Json::Object(pairs) if pairs.len() <= MAX_K => (1..)
            .zip(pairs)
            .map(|(i, (label, v))| Ok((label.clone(), count_text(i, v)?)))
            .collect::<Result<_, Refusal>>()?,
        Json::Array(items) if items.len() <= MAX_K => (1..)
            .zip(items)
            .map(|(i, item)| match item {
                Json::Array(pair) => match &pair[..] {
                    [Json::String(label), count] => Ok((label.clone(), count_text(i, count)?)),
                    _ => Err(Refusal::of("counts", format!("counts entry {i} is not a [label, count] pair; {shape}"))),
                },
                other => Err(Refusal::of("counts", format!("counts entry {i} is {}; {shape}", other.kind()))),
            })
            .collect::<Result<_, Refusal>>()?,
        Json::Object(_) | Json::Array(_) => {
            return Err(Refusal::of(
                "counts",
                format!("more than {MAX_K} categories; the playground shows at most {MAX_K}"),
            ))
        }
        other => return Err(Refusal::of("counts", format!("counts is {}; {shape}", other.kind()))),
    };
    Ok(pairs)
}
