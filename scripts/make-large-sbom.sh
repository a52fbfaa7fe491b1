#!/usr/bin/env bash
# Makes the benchmark inputs: large real trivy CycloneDX SBOMs (not committed).
#
#   scripts/make-large-sbom.sh            # -> target/bench/large-sbom.cdx.json (>= 5,000 components)
#                                         #    target/bench/huge-sbom.cdx.json  (~100,000 components)
#                                         #    target/bench/mega-sbom.cdx.json  (~1,000,000 components)
#   scripts/make-large-sbom.sh mega       # only the named inputs (large, huge, mega)
#
# Each is ONE real `trivy fs` run over ONE directory (target/bench/src-*/) that holds:
#   - a Debian bookworm tree made by `debootstrap --variant=minbase` from the machine's configured
#     Debian mirror (trivy finds its dpkg database: OS packages, `pkg:deb/debian/...`);
#   - the demo project tests/fixtures/trivy/project (KEV hits);
#   - lockfiles listing the real packages (names, versions) of the SBOMs in ../shared/data/sboms,
#     written by scripts/sbom-to-lockfiles.py (npm, PyPI, Go, Cargo, Gradle, RubyGems, NuGet, pub).
# The ~100k and ~1M variants hold the same tree with the lockfile set copied into N subdirectories
# (trivy reports each lockfile's packages as separate components), so they are real trivy output
# too. The 1M run takes trivy several minutes and a few GB of memory (docs/performance.md).
#
# Needs: root (debootstrap), apt packages debootstrap + jq (scripts/install-test-tools.sh --bench),
# trivy (scripts/install-test-tools.sh), network to the Debian mirror on the first run only.
# Env: KEVGATE_SHARED_DATA (default ../shared/data next to the repo), HUGE_TARGET (100000),
# MEGA_TARGET (1000000).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trivy="${KEVGATE_TRIVY:-$repo/.tools/bin/trivy}"
shared="${KEVGATE_SHARED_DATA:-$repo/../shared/data}"
bench="$repo/target/bench"
huge_target="${HUGE_TARGET:-100000}"
mega_target="${MEGA_TARGET:-1000000}"
wanted=" ${*:-large huge mega} "
[ -x "$trivy" ] || { echo "make-large-sbom: no trivy at \`$trivy\`: run scripts/install-test-tools.sh" >&2; exit 2; }
[ -d "$shared/sboms" ] || { echo "make-large-sbom: no \`$shared/sboms\` (set KEVGATE_SHARED_DATA)" >&2; exit 2; }
PATH="$PATH:/usr/sbin:/sbin"
command -v debootstrap >/dev/null || { echo "make-large-sbom: no debootstrap: run scripts/install-test-tools.sh --bench" >&2; exit 2; }
mkdir -p "$bench"

# --- the Debian tree (cached) ------------------------------------------------------------
rootfs="$bench/debian-rootfs"
if [ ! -f "$rootfs/var/lib/dpkg/status" ] || [ ! -f "$bench/.debootstrap-done" ]; then
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)"
  [ -n "$mirror" ] || mirror="$(sed -n 's/^deb  *\(\[[^]]*\] *\)\?\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "debootstrap --variant=minbase bookworm from $mirror ..."
  rm -rf "$rootfs" "$bench/.debootstrap-done"
  start=$(date +%s)
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$bench/debootstrap.log" 2>&1 \
    || { tail -20 "$bench/debootstrap.log" >&2; exit 1; }
  touch "$bench/.debootstrap-done"
  echo "debootstrap: $(( $(date +%s) - start ))s"
fi

# --- lockfiles from the shared SBOMs ---------------------------------------------------------
lockfiles="$bench/lockfiles"
rm -rf "$lockfiles"
python3 "$repo/scripts/sbom-to-lockfiles.py" "$lockfiles" "$shared"/sboms/*.json
cp -r "$repo/tests/fixtures/trivy/project" "$lockfiles/kevgate-demo"

scan() { # scan SRC OUT
  local start
  start=$(date +%s.%N)
  "$trivy" fs --quiet --cache-dir "$bench/trivy-cache" \
    --skip-version-check --disable-telemetry --offline-scan \
    --format cyclonedx --output "$2" "$1"
  printf '%s: %s components (%s), trivy %.1fs, %s bytes\n' "$2" \
    "$(jq '.components | length' "$2")" \
    "$(jq -r '[.components[] | .purl // "" | capture("^pkg:(?<t>[^/]+)/").t] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$2")" \
    "$(echo "$(date +%s.%N) - $start" | bc)" "$(stat -c %s "$2")"
}

# A scan directory: the Debian tree (hard links, no copy) with the apps under srv/apps/.
make_src() { # make_src DIR COPIES
  rm -rf "$1"
  cp -al "$rootfs" "$1"
  mkdir -p "$1/srv/apps"
  if [ "$2" = 1 ]; then
    cp -r "$lockfiles" "$1/srv/apps/lockfiles"
  else
    for i in $(seq -w 1 "$2"); do cp -r "$lockfiles" "$1/srv/apps/copy-$i"; done
  fi
}

if [[ "$wanted" == *" large "* ]] || [ ! -s "$bench/large-sbom.cdx.json" ]; then
  make_src "$bench/src-large" 1
  scan "$bench/src-large" "$bench/large-sbom.cdx.json"
  rm -rf "$bench/src-large"
fi
# components per copy of the lockfile set: all but the Debian packages and the OS component.
per_copy="$(jq '[.components[] | select((.purl // "" | startswith("pkg:deb/")) or .type == "operating-system" | not)] | length' "$bench/large-sbom.cdx.json")"
for size in huge mega; do
  [[ "$wanted" == *" $size "* ]] || continue
  target="$huge_target"; [ "$size" = mega ] && target="$mega_target"
  copies=$(( (target + per_copy - 1) / per_copy ))
  make_src "$bench/src-$size" "$copies"
  scan "$bench/src-$size" "$bench/$size-sbom.cdx.json"
  rm -rf "$bench/src-$size"
done
