#!/usr/bin/env bash
# Rebuilds and re-signs the `db update --from` fixtures in tests/fixtures/update/prebuilt/
# with the committed TEST-ONLY key (see that directory's SOURCES.md entry):
#   kevgate.db          a copy of assets/demo.kvdb (data date 2025-11-03), serial 5
#   older.db            KEV only, from tests/fixtures/kev-hits/kev.json (data date
#                       2025-08-25), serial 3: a rollback of kevgate.db
#   older-serial2.db    the same bytes as older.db, serial 2: a rollback by serial alone
#   kevgate.db.zst      kevgate.db packed (`kevgate db pack`), serial 5
# Run after assets/demo.kvdb or the database format changes. Needs `minisign`.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=tests/fixtures/update/prebuilt
key=$dir/test-only.key
cp assets/demo.kvdb "$dir/kevgate.db"
cargo run --quiet --locked -- db build --built-at 2025-08-26T00:00:00Z \
  --output "$dir/older.db" --kev tests/fixtures/kev-hits/kev.json
cp "$dir/older.db" "$dir/older-serial2.db"
KEVGATE_DB_SERIAL=5 bash scripts/sign-db.sh "$key" "$dir/kevgate.db"
KEVGATE_DB_SERIAL=3 bash scripts/sign-db.sh "$key" "$dir/older.db"
KEVGATE_DB_SERIAL=2 bash scripts/sign-db.sh "$key" "$dir/older-serial2.db"
# The packed download form of kevgate.db (`kevgate db pack`, what the db workflow publishes as
# kevgate.db.zst), signed over its own bytes.
cargo run --quiet --locked -- db pack "$dir/kevgate.db" --output "$dir/kevgate.db.zst"
KEVGATE_DB_SERIAL=5 bash scripts/sign-db.sh "$key" "$dir/kevgate.db.zst"
