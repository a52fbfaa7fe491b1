#!/usr/bin/env bash
# A SIMULATION of the full-size vulnerability feeds, for benchmarks only (issue 14, item 2).
# Never shipped, never a test fixture: it writes under target/bench/full-size/ (not committed).
#
#   scripts/make-full-size-feeds.sh    # -> target/bench/full-size/{osv,nvd,epss}/ (~600k OSV
#                                      #    records, 320k NVD CVEs, 300k EPSS rows; ~2 min)
#
# The real records of ../shared/data, replicated under new ids and package names up to the
# real feeds' size in their real proportions (see scripts/make-full-size-feeds.py for the
# rules: CVE-YYYY-N -> CVE-YYYY-kNNNNNNN in copy k, so advisories, NVD and EPSS still join;
# package `linux` -> `linux-simk`, a new package as big as the real one). The KEV catalog is
# used as is. scripts/bench.sh builds a database from it with BENCH_FULL_SIZE=1.
# Env: KEVGATE_SHARED_DATA (default ../shared/data next to the repo); FULL_OSV, FULL_NVD,
# FULL_EPSS override the counts.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${KEVGATE_SHARED_DATA:-$repo/../shared/data}"
out="$repo/target/bench/full-size"
[ -d "$shared/osv" ] || { echo "make-full-size-feeds: no \`$shared/osv\` (set KEVGATE_SHARED_DATA)" >&2; exit 2; }
rm -rf "$out"
python3 "$repo/scripts/make-full-size-feeds.py" "$shared" "$out"
du -sh "$out"/*
