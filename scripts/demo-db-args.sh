#!/usr/bin/env bash
# The `kevgate db build` arguments of the bundled demo database (one place, used by
# make-demo-db.sh and by the drift test).
echo --built-at 2025-08-26T00:00:00Z \
  --osv tests/fixtures/trivy/osv --osv tests/fixtures/kev-hits/osv.jsonl \
  --nvd tests/fixtures/trivy/nvd --nvd tests/fixtures/kev-hits/nvd \
  --kev tests/fixtures/trivy/kev.json --kev tests/fixtures/kev-hits/kev.json \
  --epss tests/fixtures/trivy/epss.csv --epss tests/fixtures/kev-hits/epss.csv
