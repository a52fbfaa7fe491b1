#!/usr/bin/env bash
# Signs a kevgate database for `kevgate db update --from`: writes FILE.sha256 (sha256sum
# format) and FILE.minisig (minisign, prehashed) beside FILE. Used by .github/workflows/db.yml
# with the project key, and to regenerate the TEST-ONLY fixtures in
# tests/fixtures/update/prebuilt/ with the committed test key:
#   bash scripts/sign-db.sh tests/fixtures/update/prebuilt/test-only.key \
#     tests/fixtures/update/prebuilt/kevgate.db
# Needs the `minisign` tool (Debian/Ubuntu package `minisign`).
# KEVGATE_DB_SERIAL (optional, a non-negative integer that grows with every build: the db
# workflow passes its run number) is signed into the trusted comment as `serial N`;
# `kevgate db update --from` refuses a database whose serial is lower than the installed
# one's (a rollback), as it refuses an older data date.
set -euo pipefail
key=$1
file=$2
[ -f "$key" ] || { echo "error: no secret key file \`$key\`" >&2; exit 2; }
[ -f "$file" ] || { echo "error: no database file \`$file\`" >&2; exit 2; }
dir=$(dirname "$file")
name=$(basename "$file")
(cd "$dir" && sha256sum "$name" > "$name.sha256")
# The trusted comment (signed too) names the file, its sha256 and the build serial.
sum=$(cut -d' ' -f1 "$file.sha256")
comment="kevgate database $name sha256 $sum"
serial=${KEVGATE_DB_SERIAL:-}
if [ -n "$serial" ]; then
  case $serial in
    *[!0-9]*) echo "error: KEVGATE_DB_SERIAL \`$serial\` is not a number" >&2; exit 2 ;;
  esac
  comment="$comment serial $serial"
fi
minisign -S -s "$key" -m "$file" -x "$file.minisig" -t "$comment" </dev/null
