#!/usr/bin/env bash
# Regenerates examples/trivy-sbom.cdx.json: real trivy's CycloneDX SBOM of the demo project
# tests/fixtures/trivy/project (npm, Go, PyPI, Gradle and Cargo lockfiles pinned to
# known-vulnerable releases). Offline: trivy only inventories lockfiles here.
#
#   scripts/install-test-tools.sh && scripts/make-example-sbom.sh
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trivy="${KEVGATE_TRIVY:-$repo/.tools/bin/trivy}"
[ -x "$trivy" ] || { echo "make-example-sbom: no trivy at \`$trivy\`: run scripts/install-test-tools.sh" >&2; exit 2; }
out="${1:-$repo/examples/trivy-sbom.cdx.json}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Scan a copy named like the application: trivy names the SBOM's subject after the directory.
cp -r "$repo/tests/fixtures/trivy/project" "$work/kevgate-demo"
(cd "$work" && "$trivy" fs --quiet --cache-dir "$work/cache" \
  --skip-version-check --disable-telemetry --offline-scan \
  --format cyclonedx --output "$out" kevgate-demo)
echo "wrote $out: $(jq '.components | length' "$out") components ($("$trivy" --version | head -1))"
