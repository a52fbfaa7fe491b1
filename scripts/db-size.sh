#!/usr/bin/env bash
# Measures the size of a kevgate database built from all of ../shared/data (osv, nvd, kev,
# epss) and extrapolates it to the full upstream feeds (the prebuilt database that
# .github/workflows/db.yml publishes; target <= 30 MB). Not part of CI: the data lives
# outside the repository. Results are in docs/database.md ("Size of the full database").
#
#   [KEVGATE_BIN=path/to/kevgate] bash scripts/db-size.sh [DATA_DIR]   (default ../shared/data)
#
# Method: build one database per input group (each OSV ecosystem folder, NVD, KEV, EPSS)
# and one from everything; a group's bytes per record (its database minus an empty
# database) times the upstream record count (table UPSTREAM below, with where each count
# comes from) gives the estimate. The database file is what is downloaded: its records are
# already deflate-compressed, so gzip/xz of the file are measured too, for comparison.
# Everything is built again with `--cve-scope referenced` (NVD and EPSS only for CVEs an
# advisory or KEV names, what .github/workflows/db.yml publishes); its extrapolation keeps
# NVD and EPSS records for an estimated number of referenced CVEs (REFERENCED below).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$(cd "${1:-$repo/../shared/data}" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$repo"
# KEVGATE_BIN: a kevgate binary to use instead of building a release one.
kevgate="${KEVGATE_BIN:-}"
if [ -z "$kevgate" ]; then
  cargo build --quiet --release --locked
  kevgate="${CARGO_TARGET_DIR:-$repo/target}/release/kevgate"
fi

build() { # NAME ARGS... -> $out/NAME.db, $out/NAME.json (status)
  local name=$1
  shift
  "$kevgate" db build --built-at 2025-08-26T00:00:00Z --output "$out/$name.db" "$@" \
    2> "$out/$name.log" > /dev/null
  "$kevgate" db status --db "$out/$name.db" --format json > "$out/$name.json"
}

mkdir "$out/nothing"
build empty --kev "$out/nothing"
for eco in "$data"/osv/*/; do
  build "osv-$(basename "$eco")" --osv "$eco"
done
build nvd --nvd "$data/nvd"
build kev --kev "$data/kev"
build epss --epss "$data/epss"
start=$(date +%s.%N)
build all --osv "$data/osv" --nvd "$data/nvd" --kev "$data/kev" --epss "$data/epss"
end=$(date +%s.%N)
build all-referenced --osv "$data/osv" --nvd "$data/nvd" --kev "$data/kev" --epss "$data/epss" \
  --cve-scope referenced
gzip -9 -c "$out/all.db" > "$out/all.db.gz"
xz -9 -c "$out/all.db" > "$out/all.db.xz" 2> /dev/null || true

python3 - "$out" "$start" "$end" <<'EOF'
import json, os, sys
out, start, end = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
# Upstream record counts. "SOURCES" = the full-folder count that ../shared/data/SOURCES.md
# gives for the snapshot it sampled (early 2025); "est." = not in the data, an estimate of
# the order of magnitude (say so when quoting it).
UPSTREAM = {
    "osv-npm": (23227, "SOURCES (GHSA+MAL; ~19k MAL malicious-package records)"),
    "osv-pypi": (15555 + 2661, "SOURCES (GHSA/OSV/MAL + PYSEC)"),
    "osv-maven": (5309, "SOURCES"),
    "osv-go": (4291 + 3954, "SOURCES (GO + GHSA)"),
    "osv-crates": (1614, "SOURCES"),
    "osv-rubygems": (1699, "SOURCES"),
    "osv-nuget": (1427, "SOURCES"),
    "osv-composer": (4288, "SOURCES"),
    "osv-pub": (12, "SOURCES"),
    "osv-debian": (44181, "SOURCES"),
    "osv-alpine": (3655, "SOURCES"),
    "osv-almalinux": (3404, "SOURCES"),
    "osv-rocky": (1491, "SOURCES"),
    "osv-redhat": (15175, "SOURCES (RHSA/RHBA/RHEA)"),
    "osv-ubuntu": (51478, "est. (one per Ubuntu tracker CVE, SOURCES; 3-record sample)"),
    "nvd": (300000, "est. (NVD totalResults, 2025)"),
    "kev": (1404, "the 2025-08-25 catalog"),
    "epss": (300000, "est. (EPSS scores every published CVE)"),
}
# Groups that share another group's records (not counted twice).
SKIP = {"osv-ghsa", "osv-rubysec", "osv-rustsec"}
# Distinct CVEs that the full OSV feeds kevgate downloads, or KEV, name (the records a
# `--cve-scope referenced` database keeps for NVD and EPSS): est. 100,000, range 80,000 to
# 120,000. Ubuntu's tracker alone has one OSV record per CVE (51,478, SOURCES); Debian's
# 44,181 records are mostly per CVE and largely the same CVEs; GitHub-reviewed advisories
# and the other language ecosystems add ~25,000 CVEs (most of npm's records are MAL-*
# without a CVE); Red Hat and the other distros mostly name CVEs already counted.
REFERENCED = (100000, 80000, 120000)
size = lambda n: os.path.getsize(os.path.join(out, n))
def records(name):
    st = json.load(open(os.path.join(out, name + ".json")))
    return sum(s["records"] for s in st["sources"])
empty = size("empty.db")
MB = 1e6
print(f"{'group':<16}{'records':>9}{'bytes':>12}{'B/record':>10}{'upstream':>10}{'est. MB':>9}  count from")
total = empty
cve_bytes = 0  # bytes per CVE of the NVD and EPSS groups together
cve_total = 0  # their share of the estimate
for name in sorted(f[:-3] for f in os.listdir(out) if f.endswith(".db") and f not in ("all.db", "all-referenced.db", "empty.db")):
    n, b = records(name), size(name + ".db") - empty
    per = b / n if n else 0
    up, why = UPSTREAM.get(name, (0, "-"))
    if name in SKIP:
        up, why = 0, "duplicates of other groups"
    total += per * up
    if name in ("nvd", "epss"):
        cve_bytes += per
        cve_total += per * up
    print(f"{name:<16}{n:>9}{b:>12}{per:>10.0f}{up:>10}{per * up / MB:>9.1f}  {why}")
print()
print(f"all of the data: {records('all')} records, {size('all.db')} bytes ({size('all.db') / MB:.1f} MB), built in {end - start:.1f} s")
print(f"  gzip -9: {size('all.db.gz') / MB:.1f} MB" + (f", xz -9: {size('all.db.xz') / MB:.1f} MB" if os.path.exists(os.path.join(out, 'all.db.xz')) and size('all.db.xz') else ""))
print(f"extrapolated full upstream: {total / MB:.1f} MB (target 30 MB)")
st = json.load(open(os.path.join(out, "all-referenced.json")))
kept = {s["name"]: s["records"] for s in st["sources"]}
full = {s["name"]: s["records"] for s in json.load(open(os.path.join(out, "all.json")))["sources"]}
print()
print(f"--cve-scope referenced, all of the data: {size('all-referenced.db')} bytes "
      f"({size('all-referenced.db') / MB:.1f} MB); NVD {kept['nvd']} of {full['nvd']} records, "
      f"EPSS {kept['epss']} of {full['epss']} scores kept")
mid, lo, hi = (total - cve_total + cve_bytes * n for n in REFERENCED)
print(f"extrapolated full upstream, --cve-scope referenced: {mid / MB:.1f} MB "
      f"({lo / MB:.1f}-{hi / MB:.1f} MB for {REFERENCED[1]}-{REFERENCED[2]} referenced CVEs)")
EOF
