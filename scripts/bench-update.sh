#!/usr/bin/env bash
# `kevgate db update` at full size (issue 14, item 4): the first download and the daily increment
# against a loopback server of SIMULATED full-size feeds (scripts/bench-update-server.py: 600k OSV
# records in per-ecosystem all.zip files, 320k NVD CVEs over the API 2.0 paging, 300k EPSS rows,
# the real KEV catalog), throttled to a realistic bandwidth. See docs/performance.md.
#
#   scripts/bench-update.sh                 # first update with a key, daily increment, first without
#   NO_KEY_RUN=0 scripts/bench-update.sh    # skip the keyless first update (NVD alone: >= 16 min)
#   NO_KEY_RUN=0 OSV_CONCURRENCY="1 16" DAILY_FROM=target/bench/update/cache-day1 \
#     scripts/bench-update.sh               # two daily increments side by side, from a kept
#                                           # day-1 cache (no first update)
#
# The server models the network (see its header): RTT (0.04 s) per request plus CONNECT_RTTS (2)
# more on a new connection, BANDWIDTH (20 MiB/s) shared by all responses at once.
#
# Reports per run: wall time, split into downloads (until the log's `building the database`) and
# the build, peak RSS (GNU time), bytes and requests per source (counted by the
# server), and NVD rate-limit violations (the server answers 403 past 5 requests in any 30 s, 50
# with a key, as NVD does: a violation means kevgate did not keep to the limit).
# Env: KEVGATE_BIN (else builds the release binary), KEVGATE_SHARED_DATA (../shared/data),
# PORT (18930), CVE_SCOPE (referenced, as .github/workflows/db.yml), and the server's FULL_OSV,
# FULL_NVD, FULL_EPSS, NVD_DAILY, OSV_DAILY, NVD_LATENCY, BANDWIDTH, RTT, CONNECT_RTTS (see its
# header); OSV_CONCURRENCY: the daily increments' KEVGATE_OSV_FETCH_CONCURRENCY values, one run
# each (default "16"); DAILY_FROM: a cache that a first update against day 1 of this server left
# (copied with hard links: an update replaces files, never writes into them), instead of a first
# update; the first update keeps its day-1 cache in target/bench/update/cache-day1.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${KEVGATE_SHARED_DATA:-$repo/../shared/data}"
bench="$repo/target/bench/update"
port="${PORT:-18930}"
scope="${CVE_SCOPE:-referenced}"
mkdir -p "$bench"
[ -d "$shared/osv" ] || { echo "bench-update: no \`$shared/osv\` (set KEVGATE_SHARED_DATA)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-update: no GNU time at /usr/bin/time: run scripts/install-test-tools.sh --bench" >&2; exit 2; }
if [ -n "${KEVGATE_BIN:-}" ]; then
  kevgate="$KEVGATE_BIN"
else
  (cd "$repo" && cargo build --release --locked --bin kevgate)
  kevgate="${CARGO_TARGET_DIR:-$repo/target}/release/kevgate"
fi

echo "== feeds (built once into $bench/feeds) and the loopback server on port $port"
: > "$bench/server.log"
python3 "$repo/scripts/bench-update-server.py" "$shared" "$bench/feeds" "$port" > "$bench/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
until grep -q serving "$bench/server.log" 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || { cat "$bench/server.log" >&2; exit 1; }
  sleep 1
done
base="http://127.0.0.1:$port"
du -ch "$bench"/feeds/*.zip | tail -1 | sed 's/^/osv all.zip files: /'

results="$bench/results.md"
{
  echo "| run | wall (s) | downloads (s) | build (s) | peak RSS (MiB) | bytes downloaded | requests | NVD pages | 403 rate-limit violations | exit |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$results"

# run NAME CACHE_DIR [ENV=VALUE...]: one `db update`, measured.
run() {
  local name="$1" cache="$2"; shift 2
  local before after rc=0
  before="$(curl -s "$base/stats")"
  local start end
  start=$(date +%s.%N)
  # Each log line stamped with the seconds since the start.
  env "$@" /usr/bin/time -v -o "$bench/$name.time" "$kevgate" db update --cache-dir "$cache" \
    --kev-url "$base/kev.json" --nvd-url "$base/nvd" --osv-url "$base/osv" \
    --epss-url "$base/epss.csv.gz" --cve-scope "$scope" 2>&1 \
    | python3 -u -c 'import sys, time
t0 = float(sys.argv[1])
for line in sys.stdin:
    print(f"{time.time() - t0:8.1f} {line}", end="", flush=True)' "$(date +%s.%N)" > "$bench/$name.log" \
    || rc=$?
  end=$(date +%s.%N)
  after="$(curl -s "$base/stats")"
  python3 - "$name" "$(echo "$end - $start" | bc)" "$bench/$name.time" "$rc" "$before" "$after" "$bench/$name.log" >> "$results" <<'EOF'
import json, re, sys
name, wall, timefile, rc, before, after, log = sys.argv[1:]
building = [float(l.split()[0]) for l in open(log) if l.split()[1:4] == ["building", "the", "database"]]
fetch = f"{building[0]:.1f}" if building else "?"
build = f"{float(wall) - building[0]:.1f}" if building else "?"
before, after = json.loads(before), json.loads(after)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(timefile).read()).group(1))
def total(stats, key, source=None):
    return sum(s[key] for n, s in stats["sources"].items() if n != "control" and source in (None, n))
b = total(after, "bytes") - total(before, "bytes")
r = total(after, "requests") - total(before, "requests")
pages = total(after, "requests", "nvd") - total(before, "requests", "nvd")
v = after["nvd_rate_limit_violations"] - before["nvd_rate_limit_violations"]
print(f"| {name} | {float(wall):.1f} | {fetch} | {build} | {rss / 1024:.0f} | {b:,} | {r} | {pages} | {v} | {rc} |")
EOF
  tail -1 "$results"
  [ "$rc" = 0 ] || { echo "bench-update: $name failed:" >&2; tail -5 "$bench/$name.log" >&2; }
}

day1="${DAILY_FROM:-$bench/cache-day1}"
if [ -z "${DAILY_FROM:-}" ]; then
  rm -rf "$day1"
  echo "== first update, NVD API key"
  run first-with-key "$day1" NVD_API_KEY=bench-key
fi
[ -f "$day1/kevgate.db" ] || { echo "bench-update: no day-1 database in \`$day1\`" >&2; exit 2; }
curl -s "$base/advance" >/dev/null
for c in ${OSV_CONCURRENCY:-16}; do
  echo "== daily increment, NVD API key, $c OSV records at once (the next day: NVD's window, the records modified_id.csv lists as new)"
  rm -rf "$bench/cache-daily-$c"
  cp -al "$day1" "$bench/cache-daily-$c"
  run "daily-with-key-osv$c" "$bench/cache-daily-$c" NVD_API_KEY=bench-key KEVGATE_OSV_FETCH_CONCURRENCY="$c"
done
if [ "${NO_KEY_RUN:-1}" != 0 ]; then
  echo "== first update, no key"
  rm -rf "$bench/cache-nokey"
  run first-without-key "$bench/cache-nokey"
fi
{
  echo
  echo "feeds: $(python3 -c 'import os;print(os.environ.get("FULL_OSV","600000"))') OSV records, $(python3 -c 'import os;print(os.environ.get("FULL_NVD","320000"))') NVD CVEs, $(python3 -c 'import os;print(os.environ.get("FULL_EPSS","300000"))') EPSS rows; bandwidth $(( ${BANDWIDTH:-20971520} / 1048576 )) MiB/s shared; round trip ${RTT:-0.04} s per request, ${CONNECT_RTTS:-2} more per connection; NVD latency ${NVD_LATENCY:-2.0} s per page; --cve-scope $scope."
  echo "database: $(stat -c %s "$day1/kevgate.db" 2>/dev/null || echo '?') bytes."
  echo "machine: $(nproc) cores, $(uname -m), $(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ)."
} >> "$results"
cat "$results"
