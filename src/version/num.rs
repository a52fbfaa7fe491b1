//! Numeric segments compared as digit strings, so `99999999999999999999999` never overflows.

use std::cmp::Ordering;

/// Strips leading zeros; `"000"` becomes `""` (zero).
pub(super) fn trim_zeros(digits: &str) -> &str {
    digits.trim_start_matches('0')
}

/// Compares two ASCII digit strings numerically, whatever their length.
pub(super) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let (a, b) = (trim_zeros(a), trim_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Whether `s` is a non-empty run of ASCII digits.
pub(super) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the digit string is zero (`""`, `"0"`, `"000"`).
pub(super) fn is_zero(digits: &str) -> bool {
    trim_zeros(digits).is_empty()
}

/// The run of bytes from `*i` on that satisfy `class` (an ASCII class: digits, letters),
/// advancing `*i` past it. An `*i` at or beyond the end gives `""`.
pub(super) fn take_run<'s>(s: &'s [u8], i: &mut usize, class: impl Fn(&u8) -> bool) -> &'s str {
    let start = (*i).min(s.len());
    while s.get(*i).is_some_and(&class) {
        *i += 1;
    }
    // The run is ASCII, so valid UTF-8.
    std::str::from_utf8(&s[start..(*i).min(s.len())]).unwrap_or("")
}

/// The run of ASCII digits from `*i` on, advancing `*i` past it.
pub(super) fn take_digits<'s>(s: &'s [u8], i: &mut usize) -> &'s str {
    take_run(s, i, u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_digit_strings() {
        let cases = [
            ("0", "000", Ordering::Equal),
            ("9", "10", Ordering::Less),
            ("010", "9", Ordering::Greater),
            (
                "99999999999999999999999",
                "18446744073709551615",
                Ordering::Greater,
            ),
            ("", "0", Ordering::Equal),
        ];
        for (a, b, want) in cases {
            assert_eq!(cmp_digits(a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn takes_runs() {
        let s = b"10.0ab";
        let mut i = 0;
        assert_eq!(take_digits(s, &mut i), "10");
        assert_eq!((take_digits(s, &mut i), i), ("", 2));
        i = 4;
        assert_eq!(take_run(s, &mut i, u8::is_ascii_alphabetic), "ab");
        i = 9;
        assert_eq!((take_digits(s, &mut i), i), ("", 9));
    }
}
