#!/usr/bin/env bash
# Makes a second Debian-heavy benchmark input (issue 14, item 1) without debootstrap: a real
# trivy CycloneDX SBOM of THIS machine's Debian packages (its dpkg status and os-release, ~700
# packages on the development machine) plus the 3,125-crate Rust workspace lockfile of
# scripts/make-debian-heavy-sbom.sh, in the proportions issue 14 describes (741 deb, 5,355
# cargo). Needs a Debian or Ubuntu host and trivy (scripts/install-test-tools.sh).
#
#   scripts/make-host-heavy-sbom.sh     # -> target/bench/host-heavy-sbom.cdx.json (not committed)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trivy="${KEVGATE_TRIVY:-$repo/.tools/bin/trivy}"
bench="$repo/target/bench"
out="$bench/host-heavy-sbom.cdx.json"
[ -x "$trivy" ] || { echo "make-host-heavy-sbom: no trivy at \`$trivy\`: run scripts/install-test-tools.sh" >&2; exit 2; }
[ -f /var/lib/dpkg/status ] && [ -f /etc/debian_version ] || { echo "make-host-heavy-sbom: not a Debian-based host (no /var/lib/dpkg/status)" >&2; exit 2; }
src="$bench/src-host-heavy"
rm -rf "$src"
mkdir -p "$src/etc" "$src/var/lib/dpkg" "$src/srv/workspace/vendor/tool"
# trivy detects the OS from etc/os-release and etc/debian_version, the packages from dpkg's status.
cp -L /etc/os-release /etc/debian_version "$src/etc/"
cp /var/lib/dpkg/status "$src/var/lib/dpkg/"
python3 "$repo/scripts/cargo-index-lockfile.py" "$src/srv/workspace/Cargo.lock" < "$repo/Cargo.lock"
cp "$src/srv/workspace/Cargo.lock" "$src/srv/workspace/vendor/tool/Cargo.lock"
"$trivy" fs --quiet --cache-dir "$bench/trivy-cache" \
  --skip-version-check --disable-telemetry --offline-scan \
  --format cyclonedx --output "$out" "$src"
printf '%s: %s components (%s), %s bytes\n' "$out" \
  "$(jq '.components | length' "$out")" \
  "$(jq -r '[.components[] | .purl // "none" | (capture("^pkg:(?<t>[^/]+)/").t // "none")] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$out")" \
  "$(stat -c %s "$out")"
rm -rf "$src"
