#!/usr/bin/env bash
# Makes the Debian-heavy benchmark input (issue 14, item 1): a real trivy CycloneDX SBOM of a
# container-like root filesystem where OS packages and a big Rust workspace dominate.
#
#   scripts/make-debian-heavy-sbom.sh     # -> target/bench/debian-heavy-sbom.cdx.json (not committed)
#
# ONE real `trivy fs` run (fs, not rootfs: it also reads the lockfiles) over ONE directory (target/bench/src-debian-heavy/) that holds:
#   - a Debian bookworm tree made by `debootstrap --variant=minbase --include=...` with a server
#     and build package set (the kernel `linux-image-amd64`, systemd, build-essential, git, curl,
#     openssh-server, python3-pip, perl, nginx, imagemagick, postgresql-client, ...): ~400
#     `pkg:deb/debian/...` packages, among them the source packages with the most advisories
#     (`linux`: ~7,000; glibc, openssl, imagemagick, systemd, ...);
#   - srv/workspace/Cargo.lock: ~3,000 real crates.io packages (scripts/cargo-index-lockfile.py:
#     this repository's Cargo.lock plus up to 12 published versions of every crate in the local
#     cargo index cache, with their real checksums), and a vendored tool with the same lockfile;
#   - the Go, PyPI and npm lockfiles that scripts/sbom-to-lockfiles.py writes from the real
#     SBOMs in ../shared/data/sboms (go.mod, requirements.txt, two package-lock.json).
#
# Needs: root (debootstrap), apt packages debootstrap + jq (scripts/install-test-tools.sh --bench),
# trivy (scripts/install-test-tools.sh), the Debian mirror on the first run only (the tree is
# cached in target/bench/debian-heavy-rootfs; debootstrap takes a few minutes).
# Env: KEVGATE_SHARED_DATA (default ../shared/data next to the repo), KEVGATE_TRIVY.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trivy="${KEVGATE_TRIVY:-$repo/.tools/bin/trivy}"
shared="${KEVGATE_SHARED_DATA:-$repo/../shared/data}"
bench="$repo/target/bench"
out="$bench/debian-heavy-sbom.cdx.json"
[ -x "$trivy" ] || { echo "make-debian-heavy-sbom: no trivy at \`$trivy\`: run scripts/install-test-tools.sh" >&2; exit 2; }
[ -d "$shared/sboms" ] || { echo "make-debian-heavy-sbom: no \`$shared/sboms\` (set KEVGATE_SHARED_DATA)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "make-debian-heavy-sbom: no debootstrap: run scripts/install-test-tools.sh --bench" >&2; exit 2; }
mkdir -p "$bench"

packages=linux-image-amd64,systemd,build-essential,git,curl,openssh-server,python3-pip,perl,nginx,imagemagick,postgresql-client,libxml2,rsync,sudo
rootfs="$bench/debian-heavy-rootfs"
if [ ! -f "$rootfs/var/lib/dpkg/status" ] || [ ! -f "$bench/.debootstrap-heavy-done" ]; then
  mirror="$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 || true)"
  [ -n "$mirror" ] || mirror="$(sed -n 's/^deb  *\(\[[^]]*\] *\)\?\(http[^ ]*\) .*/\2/p' /etc/apt/sources.list 2>/dev/null | grep -v security | head -1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  echo "debootstrap --variant=minbase --include=$packages bookworm from $mirror ..."
  rm -rf "$rootfs" "$bench/.debootstrap-heavy-done"
  start=$(date +%s)
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" \
    > "$bench/debootstrap-heavy.log" 2>&1 || { tail -20 "$bench/debootstrap-heavy.log" >&2; exit 1; }
  touch "$bench/.debootstrap-heavy-done"
  echo "debootstrap: $(( $(date +%s) - start ))s"
fi

src="$bench/src-debian-heavy"
rm -rf "$src"
cp -al "$rootfs" "$src"
python3 "$repo/scripts/cargo-index-lockfile.py" "$src/srv/workspace/Cargo.lock" < "$repo/Cargo.lock"
mkdir -p "$src/srv/workspace/vendor/tool"
cp "$src/srv/workspace/Cargo.lock" "$src/srv/workspace/vendor/tool/Cargo.lock"
lockfiles="$bench/lockfiles-heavy"
rm -rf "$lockfiles"
python3 "$repo/scripts/sbom-to-lockfiles.py" "$lockfiles" "$shared"/sboms/*.json
(cd "$lockfiles" && find . \( -name go.mod -o -name requirements.txt \) -print0 \
  | xargs -0 -I{} cp --parents {} "$src/srv/")
for npm in trivy-cdx1.7-golden-fs-npm-with-vuln other-cyclonedx-npm-cdx1.4-terminfinder; do
  [ -f "$lockfiles/$npm/package-lock.json" ] && mkdir -p "$src/srv/$npm" \
    && cp "$lockfiles/$npm/package-lock.json" "$src/srv/$npm/"
done

start=$(date +%s.%N)
"$trivy" fs --quiet --cache-dir "$bench/trivy-cache" \
  --skip-version-check --disable-telemetry --offline-scan \
  --format cyclonedx --output "$out" "$src"
printf '%s: %s components (%s), trivy %.1fs, %s bytes\n' "$out" \
  "$(jq '.components | length' "$out")" \
  "$(jq -r '[.components[] | .purl // "none" | (capture("^pkg:(?<t>[^/]+)/").t // "none")] | group_by(.) | map("\(.[0])=\(length)") | join(" ")' "$out")" \
  "$(echo "$(date +%s.%N) - $start" | bc)" "$(stat -c %s "$out")"
rm -rf "$src" "$lockfiles"
