//! Maven's `ComparableVersion` (maven-artifact), re-implemented.
//!
//! The version is split into items at `.`, at `-` (which opens a nested list) and at every
//! digit/letter transition (which also opens a nested list). Trailing "null" items (`0`,
//! `""`/`ga`/`final`/`release`, empty lists) are trimmed from each list, so `1.0` == `1` and
//! `1.0.RELEASE` == `1`. Qualifiers order `alpha < beta < milestone < rc = cr < snapshot <
//! "" = ga = final = release < sp`, unknown qualifiers after all of them (lexically), and
//! any qualifier before any number. Numbers are compared as digit strings.
//! Reference: <https://maven.apache.org/pom.html#Version_Order_Specification>.
//!
//! Follows Maven 3.9 in reading a trailing qualifier and one followed by a digit as if after
//! a `-` (`1.0.0.RC1` == `1.0.0-RC1`), while a qualifier between dots in the middle stays in
//! its list (`3.6.2.FL.20090615 < 3.6.2-FL-2009-05-11`). Not implemented: 3.9's
//! "combination" items, which make `1-ga-1` equal `1-1`. Held to Maven's own
//! `ComparableVersionTest` by `version/vectors.rs`.

use super::num::{cmp_digits, is_zero};
use std::cmp::Ordering;

/// One item of a Maven version.
#[derive(Debug, Clone)]
pub(super) enum Item {
    /// A number (digit string).
    Int(String),
    /// A qualifier, lower-cased and with aliases resolved.
    Str(String),
    /// A sub-list opened by `-` or a digit/letter transition.
    List(Vec<Item>),
}

/// A parsed Maven version: the top-level list.
#[derive(Debug, Clone)]
pub(super) struct Maven(Vec<Item>);

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
/// Index of `""` (release) in [`QUALIFIERS`].
const RELEASE: usize = 5;

fn string_item(text: &str, followed_by_digit: bool) -> Item {
    let mut q = text;
    if followed_by_digit && q.len() == 1 {
        q = match q {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        };
    }
    q = match q {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(q.to_owned())
}

fn parse_item(is_digit: bool, text: &str) -> Item {
    if is_digit {
        Item::Int(text.to_owned())
    } else {
        string_item(text, false)
    }
}

/// Sort key of a qualifier: known ones by index, unknown ones after them, lexically.
fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => is_zero(d),
            Item::Str(q) => q.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// `self` compared with a missing item (`None` in Maven's code).
    fn cmp_null(&self) -> Ordering {
        match self {
            Item::Int(d) => {
                if is_zero(d) {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            Item::Str(q) => qualifier_key(q).cmp(&(RELEASE, "")),
            Item::List(l) => l
                .iter()
                .map(Item::cmp_null)
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal),
        }
    }

    fn cmp(&self, other: &Item) -> Ordering {
        use Ordering::{Greater, Less};
        match (self, other) {
            (Item::Int(a), Item::Int(b)) => cmp_digits(a, b),
            (Item::Int(_), _) => Greater,
            (Item::Str(_), Item::Int(_)) => Less,
            (Item::Str(a), Item::Str(b)) => qualifier_key(a).cmp(&qualifier_key(b)),
            (Item::Str(_), Item::List(_)) => Less,
            (Item::List(_), Item::Int(_)) => Less,
            (Item::List(_), Item::Str(_)) => Greater,
            (Item::List(a), Item::List(b)) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for i in 0..n {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(x), None) => x.cmp_null(),
            (None, Some(y)) => y.cmp_null().reverse(),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Removes trailing null items, stopping at the first non-null non-list item.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Builds the nested lists from a flat description: `Open` starts a sub-list in the
/// current list, which becomes current until the end (Maven never closes a list).
enum Step {
    Push(Item),
    Open,
}

/// The flat parse: items and list openings in order.
#[derive(Default)]
struct Steps {
    list: Vec<Step>,
    /// Whether the list being filled has no item yet.
    filled: bool,
}

impl Steps {
    /// Maven 3.9 ("treat .X as -X for any string qualifier X" at the end, and `X1`
    /// combinations open a list): such a qualifier never sits beside numbers in one list. Besides matching current
    /// Maven (`1.0.0.RC1` == `1.0.0-RC1`), this keeps the order transitive: with Maven 3.8's
    /// rules `0.3.0.Beta5 < 0.3 < 0.3.0-Beryllium` yet `0.3.0.Beta5 > 0.3.0-Beryllium`.
    fn push(&mut self, item: Item) {
        if matches!(item, Item::Str(_)) && self.filled {
            self.open();
        }
        self.push_in_place(item);
    }

    /// A qualifier ended by `.` or `-` in the middle of the version stays in the current
    /// list, as in Maven 3.9 and 4: only a trailing qualifier and one followed by a digit
    /// are read as if after a `-` (`3.6.2.FL.20090615 < 3.6.2-FL-2009-05-11`).
    fn push_in_place(&mut self, item: Item) {
        self.list.push(Step::Push(item));
        self.filled = true;
    }

    fn open(&mut self) {
        self.list.push(Step::Open);
        self.filled = false;
    }
}

/// Parses `text` (any non-empty string is a Maven version; the caller bounds its length).
pub(super) fn parse(text: &str) -> Option<Maven> {
    let version = text.trim().to_lowercase();
    if version.is_empty() {
        return None;
    }
    let chars: Vec<char> = version.chars().collect();
    let mut steps = Steps::default();
    let mut is_digit = false;
    let mut start = 0;
    let slice = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    for (i, &c) in chars.iter().enumerate() {
        if c == '.' || c == '-' {
            if i == start {
                steps.push(Item::Int("0".to_owned()));
            } else {
                steps.push_in_place(parse_item(is_digit, &slice(start, i)));
            }
            start = i + 1;
            if c == '-' {
                steps.open();
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                steps.push(string_item(&slice(start, i), true));
                start = i;
                steps.open();
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                steps.push(parse_item(true, &slice(start, i)));
                start = i;
                steps.open();
            }
            is_digit = false;
        }
    }
    if chars.len() > start {
        steps.push(parse_item(is_digit, &slice(start, chars.len())));
    }
    // Build from the innermost list outwards, normalising each as Maven does on its stack.
    // Items are collected back to front, then reversed once per list.
    let mut current: Vec<Item> = Vec::new();
    for step in steps.list.into_iter().rev() {
        match step {
            Step::Push(item) => current.push(item),
            Step::Open => {
                current.reverse();
                normalize(&mut current);
                let inner = std::mem::take(&mut current);
                current.push(Item::List(inner));
            }
        }
    }
    current.reverse();
    normalize(&mut current);
    Some(Maven(current))
}

impl Maven {
    pub(super) fn cmp(&self, other: &Maven) -> Ordering {
        cmp_lists(&self.0, &other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::version::testing::{assert_orders, parsed};
    use Ordering::{Equal, Greater, Less};

    fn cmp(a: &str, b: &str) -> Ordering {
        parsed(parse, a).cmp(&parsed(parse, b))
    }

    /// ComparableVersion's documented behaviour and versions from Maven GHSA records
    /// (maven-osvdev-all: `2.4.0.RELEASE`, `9.0.0.M11`, `2.5.6.SEC03`, `1.16.0.CR1`, ...).
    #[test]
    fn orders_maven() {
        let cases = [
            ("1", "1.0", Equal),
            ("1.0", "1.0.0", Equal),
            ("1-0", "1", Equal),
            ("1.0.RELEASE", "1", Equal),
            ("2.4.0.RELEASE", "2.4.0", Equal),
            ("1-ga", "1", Equal),
            ("1.0-final", "1.0", Equal),
            ("3.4.3.Final", "3.4.3", Equal),
            ("1-alpha", "1-beta", Less),
            ("1-a1", "1-alpha-1", Equal),
            ("1-b2", "1-beta-2", Equal),
            ("1-beta", "1-milestone", Less),
            ("9.0.0.M11", "9.0.0.M2", Greater),
            ("9.0.0-M1", "9.0.0-RC1", Less),
            ("1.16.0.CR1", "1.16.0.RC1", Equal),
            ("1-rc", "1-snapshot", Less),
            ("1-SNAPSHOT", "1", Less),
            ("1", "1-sp", Less),
            ("1-sp", "1-sp1", Less),
            ("2.5.6.SEC03", "2.5.6", Greater),
            ("2.5.6.SEC03", "2.5.7", Less),
            ("1-abc", "1-sp", Greater),
            ("1-abc", "1-abd", Less),
            ("1.1", "1-1", Greater),
            ("1-1", "1-sp", Greater),
            ("1.0.1", "1-1", Greater),
            ("11.0.0-M1", "11.0.0", Less),
            ("3.0.0-M3", "3.0.0-beta-1", Greater),
            ("4.0.0-alpha-1", "4.0.0-alpha-2", Less),
            ("9.4.33.v20201020", "9.4.33", Greater),
            ("9.4.33.v20201020", "9.4.34.v20201102", Less),
            ("2656.vf7a_e7b_75a_457", "2656", Greater),
            ("15.4-rc-1", "15.4", Less),
            ("5.2-milestone-2", "5.2-rc-1", Less),
            ("1.0-alpha-10", "1.0-alpha-9", Greater),
            // Maven 3.9 and 4: a qualifier between dots stays beside the numbers.
            ("3.6.2.FL.20090615", "3.6.2-FL-2009-05-11", Less),
            ("1.0.0.RC1", "1.0.0-RC1", Equal),
        ];
        assert_orders(cmp, &cases);
    }
}
