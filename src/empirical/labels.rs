//! Category labels, stored compactly: a million categories are common, and a `String` each (24
//! bytes, an allocation and its slack) would cost several times the labels' own bytes.

use std::ops::Index;

use crate::error::{Error, Result};

/// Category labels in order, stored in one string with the end offset of each: a label costs its
/// bytes plus 8. Indexing gives `&str`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels {
    text: String,
    ends: Vec<usize>,
}

impl Labels {
    /// Adds `label` at the end.
    pub fn push(&mut self, label: &str) {
        self.text.push_str(label);
        self.ends.push(self.text.len());
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Label `i`, if there is one.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// The labels in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + Clone + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// The labels as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl Index<usize> for Labels {
    type Output = str;

    /// Label `i`; panics when `i` ≥ `len()`, as slices do.
    fn index(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

impl<S: AsRef<str>> FromIterator<S> for Labels {
    fn from_iter<I: IntoIterator<Item = S>>(labels: I) -> Self {
        let mut out = Labels::default();
        for label in labels {
            out.push(label.as_ref());
        }
        out
    }
}

impl From<Vec<String>> for Labels {
    fn from(labels: Vec<String>) -> Self {
        labels.iter().collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = &'a str;
    type IntoIter = Box<dyn Iterator<Item = &'a str> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl PartialEq<Vec<String>> for Labels {
    fn eq(&self, other: &Vec<String>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b)
    }
}

impl PartialEq<Vec<String>> for &Labels {
    fn eq(&self, other: &Vec<String>) -> bool {
        **self == *other
    }
}

/// Distinct labels in order of first insertion, each stored once, found again through a hash
/// table of their indices (foldhash: fast, and a file's labels are not an attacker's keys).
#[derive(Debug, Default)]
pub(crate) struct LabelSet {
    labels: Labels,
    /// (index into `labels`, 32 bits of the label's hash): growing the table rehashes from the
    /// stored bits, without reading the labels again.
    index: hashbrown::HashTable<(u32, u32)>,
    hasher: hashbrown::DefaultHashBuilder,
}

/// What [`LabelSet::insert`] found.
pub(crate) enum Inserted {
    /// A new label, at the end.
    New,
    /// A label seen before, at this index.
    Seen(usize),
}

impl LabelSet {
    /// Adds `label` at the end, or finds the index it already has. At most 2³² − 1 labels.
    pub(crate) fn insert(&mut self, label: &str) -> Result<Inserted> {
        use std::hash::BuildHasher;
        // The table's 64-bit hash, spread from the 32 stored bits (the same at insert and rehash).
        let spread = |bits: u32| u64::from(bits).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let Self { labels, index, hasher } = self;
        let bits = hasher.hash_one(label) as u32;
        let same = |&(i, b): &(u32, u32)| b == bits && &labels[i as usize] == label;
        match index.entry(spread(bits), same, |&(_, b)| spread(b)) {
            hashbrown::hash_table::Entry::Occupied(seen) => Ok(Inserted::Seen(seen.get().0 as usize)),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let i = u32::try_from(labels.len())
                    .map_err(|_| Error::InvalidDistribution("more than 4,294,967,295 distinct categories".into()))?;
                slot.insert((i, bits));
                labels.push(label);
                Ok(Inserted::New)
            }
        }
    }

    /// Whether no label has been added.
    pub(crate) fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The labels in order of insertion.
    pub(crate) fn into_labels(self) -> Labels {
        self.labels
    }
}
