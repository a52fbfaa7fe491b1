#!/usr/bin/env bash
# Signs a kevgate database for `kevgate db update --from`: writes FILE.sha256 (sha256sum
# format) and FILE.minisig (minisign, prehashed) beside FILE. Used by .github/workflows/db.yml
# with the project key, and to regenerate the TEST-ONLY fixtures in
# tests/fixtures/update/prebuilt/ with the committed test key:
#   bash scripts/sign-db.sh tests/fixtures/update/prebuilt/test-only.key \
#     tests/fixtures/update/prebuilt/kevgate.db
# Needs the `minisign` tool (Debian/Ubuntu package `minisign`).
set -euo pipefail
key=$1
file=$2
[ -f "$key" ] || { echo "error: no secret key file \`$key\`" >&2; exit 2; }
[ -f "$file" ] || { echo "error: no database file \`$file\`" >&2; exit 2; }
dir=$(dirname "$file")
name=$(basename "$file")
(cd "$dir" && sha256sum "$name" > "$name.sha256")
# The trusted comment (signed too) names the file and its sha256.
sum=$(cut -d' ' -f1 "$file.sha256")
minisign -S -s "$key" -m "$file" -x "$file.minisig" -t "kevgate database $name sha256 $sum" </dev/null
