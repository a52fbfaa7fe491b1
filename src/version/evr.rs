//! `[epoch:]version[-release]`, the shape dpkg and RPM versions share: each scheme validates
//! the parts its own way and compares version and release with its own algorithm.

use super::num::{cmp_digits, is_digits};
use std::cmp::Ordering;

/// An epoch (digits; `0` when missing), a version and a release (`""` when missing).
#[derive(Debug, Clone)]
pub(super) struct Evr {
    pub(super) epoch: String,
    pub(super) version: String,
    pub(super) release: String,
}

impl Evr {
    /// Splits trimmed `text`: the epoch before the first `:` must be digits, the release is
    /// after the last `-` and must not be empty when there is a `-`.
    pub(super) fn split(text: &str) -> Option<Evr> {
        let s = text.trim();
        let (epoch, rest) = match s.split_once(':') {
            Some((e, r)) => {
                if !is_digits(e) {
                    return None;
                }
                (e, r)
            }
            None => ("0", s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((_, "")) => return None,
            Some((v, r)) => (v, r),
            None => (rest, ""),
        };
        Some(Evr {
            epoch: epoch.to_owned(),
            version: version.to_owned(),
            release: release.to_owned(),
        })
    }

    /// Epochs numerically, then versions, then releases with `part`.
    pub(super) fn cmp_with(&self, other: &Evr, part: fn(&str, &str) -> Ordering) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| part(&self.version, &other.version))
            .then_with(|| part(&self.release, &other.release))
    }
}
