#!/usr/bin/env bash
# Rebuilds assets/demo.kvdb, the demo database bundled in the kevgate binary, from the trimmed
# real records in tests/fixtures/{trivy,kev-hits} (see their SOURCES.md). The build time is
# fixed so the output is byte-identical; `tests/it/demo_db.rs` runs the same build and fails
# if the committed file has drifted.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --quiet --locked -- db build --output assets/demo.kvdb $(bash scripts/demo-db-args.sh)
