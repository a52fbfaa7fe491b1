#!/usr/bin/env bash
# kevgate performance check: scan time against `jq empty` on the same SBOM, peak RSS, and growth
# from ~5,000 to ~100,000 and ~1,000,000 components. See docs/performance.md.
#
#   scripts/install-test-tools.sh --bench   # trivy, jq, hyperfine, GNU time, debootstrap
#   scripts/bench.sh [RUNS]                 # RUNS per command (default 10)
#
# Builds the release binary itself, makes the inputs with scripts/make-large-sbom.sh when missing,
# builds target/bench/full.kvdb from ALL of ../shared/data, and writes target/bench/results.md.
# Env: KEVGATE_SHARED_DATA (default ../shared/data next to the repo), CARGO_TARGET_DIR,
# KEVGATE_BIN (use this binary instead of building one).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${KEVGATE_SHARED_DATA:-$repo/../shared/data}"
bench="$repo/target/bench"
runs="${1:-10}"
mkdir -p "$bench"
for tool in jq bc; do
  command -v "$tool" >/dev/null || { echo "bench: no \`$tool\`: run scripts/install-test-tools.sh --bench" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench: no GNU time at /usr/bin/time: run scripts/install-test-tools.sh --bench" >&2; exit 2; }

if [ -n "${KEVGATE_BIN:-}" ]; then
  kevgate="$KEVGATE_BIN"   # a prebuilt binary: skip the build
else
  echo "== cargo build --release"
  (cd "$repo" && cargo build --release --locked --bin kevgate)
  kevgate="${CARGO_TARGET_DIR:-$repo/target}/release/kevgate"
fi
[ -x "$kevgate" ] || { echo "bench: no binary at \`$kevgate\`" >&2; exit 2; }

missing=()
for input in large huge mega; do
  [ -s "$bench/$input-sbom.cdx.json" ] || missing+=("$input")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== inputs (scripts/make-large-sbom.sh ${missing[*]}; the 1M input takes trivy ~12 min on a quiet machine, 42 min under load ~10)"
  "$repo/scripts/make-large-sbom.sh" "${missing[@]}"
fi
# --- Debian-heavy input (issue 14, item 1) ---
if [ ! -s "$bench/debian-heavy-sbom.cdx.json" ]; then
  echo "== input (scripts/make-debian-heavy-sbom.sh)"
  KEVGATE_SHARED_DATA="$shared" "$repo/scripts/make-debian-heavy-sbom.sh"
fi
# The host's own Debian packages with the same Rust workspace (a Debian-based machine only).
if [ ! -s "$bench/host-heavy-sbom.cdx.json" ] && [ -f /var/lib/dpkg/status ]; then
  echo "== input (scripts/make-host-heavy-sbom.sh)"
  "$repo/scripts/make-host-heavy-sbom.sh"
fi

# peak RSS (KiB) and wall time (s) of one run: rss_time OUTVAR_PREFIX CMD...
rss_time() {
  local prefix="$1"; shift
  local log="$bench/time.log" rc=0
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$bench/stderr.log" || rc=$?
  if [ "$rc" -gt 1 ]; then
    echo "bench: \`$*\` exited $rc:" >&2; tail -5 "$bench/stderr.log" >&2; exit 1
  fi
  printf -v "${prefix}_rss" '%s' "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")"
  printf -v "${prefix}_wall" '%s' "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log")"
  printf -v "${prefix}_rc" '%s' "$rc"
}

echo "== db build: target/bench/full.kvdb from $shared"
db="$bench/full.kvdb"
rss_time build "$kevgate" db build --output "$db" \
  --osv "$shared/osv" --nvd "$shared/nvd" \
  --kev "$shared/kev/known_exploited_vulnerabilities_2025-08-25.json" \
  --epss "$shared/epss/epss_scores-2025-08-20-kev-subset.csv.gz"
echo "db build: ${build_wall} wall, ${build_rss} KiB peak RSS, $(stat -c %s "$db") bytes"

# --- the prebuilt download of the same data (issue 14, item 2): `--cve-scope referenced`,
# then `db pack`, as .github/workflows/db.yml publishes it ---
echo "== db build --cve-scope referenced + db pack: target/bench/referenced.kvdb(.zst)"
ref_db="$bench/referenced.kvdb"
"$kevgate" db build --output "$ref_db" --cve-scope referenced \
  --osv "$shared/osv" --nvd "$shared/nvd" \
  --kev "$shared/kev/known_exploited_vulnerabilities_2025-08-25.json" \
  --epss "$shared/epss/epss_scores-2025-08-20-kev-subset.csv.gz" 2>/dev/null
"$kevgate" db pack "$ref_db" --output "$ref_db.zst"
ref_line="$(printf 'referenced database: %s bytes as cached, %s bytes as downloaded (`db pack`, %.2fx smaller)' \
  "$(stat -c %s "$ref_db")" "$(stat -c %s "$ref_db.zst")" \
  "$(echo "$(stat -c %s "$ref_db") / $(stat -c %s "$ref_db.zst")" | bc -l)")"
echo "$ref_line"

# --- the full-size simulation (issue 14, item 2), with BENCH_FULL_SIZE=1: a few minutes ---
if [ "${BENCH_FULL_SIZE:-0}" = 1 ]; then
  full="$bench/full-size"
  if [ ! -s "$full/epss/epss_scores-sim.csv.gz" ]; then
    echo "== feeds (scripts/make-full-size-feeds.sh)"
    KEVGATE_SHARED_DATA="$shared" "$repo/scripts/make-full-size-feeds.sh"
  fi
  echo "== db build of the full-size simulation (--cve-scope referenced)"
  fs_db="$bench/full-size.kvdb"
  rss_time fsbuild "$kevgate" db build --output "$fs_db" --cve-scope referenced \
    --osv "$full/osv" --nvd "$full/nvd" \
    --kev "$shared/kev/known_exploited_vulnerabilities_2025-08-25.json" --epss "$full/epss"
  "$kevgate" db pack "$fs_db" --output "$fs_db.zst"
  fs_line="$(printf 'full-size simulation: db build %s wall, %.0f MiB peak RSS; %s bytes as cached, %s bytes as downloaded' \
    "$fsbuild_wall" "$(echo "$fsbuild_rss / 1024" | bc -l)" "$(stat -c %s "$fs_db")" "$(stat -c %s "$fs_db.zst")")"
  echo "$fs_line"
fi

# mean seconds of a command over $runs runs (exit 1 = gate failed is expected): mean_of CMD...
mean_of() {
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs "$runs" --ignore-failure -N \
      --export-json "$bench/hf.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1 \
      || hyperfine --style none --warmup 1 --runs "$runs" --ignore-failure \
        --export-json "$bench/hf.json" -- "$(printf '%q ' "$@")" >/dev/null
    jq '.results[0].mean' "$bench/hf.json"
  else
    local start end
    "$@" >/dev/null 2>&1 || true
    start=$(date +%s.%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
    end=$(date +%s.%N)
    echo "($end - $start) / $runs" | bc -l
  fi
}

results="$bench/results.md"
{
  echo "| input | database | components | bytes | jq empty (s) | kevgate scan (s) | ratio | kevgate peak RSS (MiB) | jq peak RSS (MiB) | exit |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$results"
declare -A per_component
rows=("large:$db" "huge:$db" "mega:$db" "debian-heavy:$db")
[ -s "$bench/host-heavy-sbom.cdx.json" ] && rows+=("host-heavy:$db")
[ "${BENCH_FULL_SIZE:-0}" = 1 ] && rows+=("debian-heavy:$fs_db" "large:$fs_db")
for row in "${rows[@]}"; do
  input="${row%%:*}" dbfile="${row#*:}"
  sbom="$bench/$input-sbom.cdx.json"
  n="$(jq '.components | length' "$sbom")"
  echo "== $input: $n components, $runs runs each"
  jq_mean="$(mean_of jq empty "$sbom")"
  kg_mean="$(mean_of "$kevgate" scan "$sbom" --db "$dbfile" --max-db-age 100000 --format json --output /dev/null)"
  rss_time kg "$kevgate" scan "$sbom" --db "$dbfile" --max-db-age 100000 --format json --output /dev/null
  rss_time jqr jq empty "$sbom"
  ratio="$(echo "$kg_mean / $jq_mean" | bc -l)"
  [ "$dbfile" = "$db" ] && per_component[$input]="$(echo "$kg_mean / $n" | bc -l)"
  printf '| %s | %s | %s | %s | %.3f | %.3f | %.2f | %.1f | %.1f | %s |\n' "$input" "$(basename "$dbfile")" "$n" \
    "$(stat -c %s "$sbom")" "$jq_mean" "$kg_mean" "$ratio" \
    "$(echo "$kg_rss / 1024" | bc -l)" "$(echo "$jqr_rss / 1024" | bc -l)" "$kg_rc" >> "$results"
done
growth="$(echo "${per_component[huge]} / ${per_component[large]}" | bc -l)"
growth_mega="$(echo "${per_component[mega]} / ${per_component[huge]}" | bc -l)"
{
  echo
  printf 'db build: %s wall, %.1f MiB peak RSS, %s bytes.\n' "$build_wall" "$(echo "$build_rss / 1024" | bc -l)" "$(stat -c %s "$db")"
  echo "$ref_line."
  [ -n "${fs_line:-}" ] && echo "$fs_line."
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)."
  printf 'growth: time per component at ~100k / at ~5k = %.2f, at ~1M / at ~100k = %.2f (1.00 = linear).\n' "$growth" "$growth_mega"
  if [ -n "${KEVGATE_BENCH_PARSE:-1}" ] && [ "${KEVGATE_BENCH_PARSE:-1}" != 0 ]; then
    echo
    (cd "$repo" && KEVGATE_BENCH_SBOM="$bench/mega-sbom.cdx.json" KEVGATE_BENCH_RUNS=3 \
      cargo bench --locked --bench sbom_parse 2>/dev/null) | sed 's/^/    /'
  fi
  echo "machine: $(nproc) cores, $(uname -m), $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); kevgate $("$kevgate" --version 2>/dev/null || echo '?'); $(jq --version); $(date -u +%Y-%m-%d)."
} >> "$results"
cat "$results"
