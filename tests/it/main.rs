//! End-to-end tests: the `kevgate` binary on fixtures.

mod trivy;
