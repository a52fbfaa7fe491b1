//! Tracking issues (issue 13, item 1): one GitHub issue per (package, vulnerability) with an
//! owner and a due date, opened, updated, closed and reopened as runs find it or not.
//!
//! This is the pure core: the tracking key, the issue body's state block ([`state`]),
//! CODEOWNERS ([`codeowners`]), the findings read from a kevgate JSON report ([`input`]) and
//! the [`plan`]: (findings of one place, the existing issues, today) -> the writes. The
//! requests themselves are `github::track`'s, which also calls the [`Notifier`] seam.
//!
//! GitHub is the only state store: what a later run needs (first seen, where it is, what was
//! notified, who fixed it) lives in the issue body's state block, and nothing else.

pub mod codeowners;
pub mod input;
pub mod notify;
pub mod plan;
pub mod settings;
pub mod state;

pub use notify::{NoNotifier, Notifier, NotifyResult, Routes, TransitionEvent};
pub use state::{Class, TrackState, TransitionKind};
