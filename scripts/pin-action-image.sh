#!/usr/bin/env bash
# Points action.yml's `runs.image` at a pushed image by digest: release.yml runs it after the
# push, in the commit that the release tag `v<version>` points to, so `uses: kevgate/kevgate@v…`
# runs exactly the image that was built and attested (a tag on a registry can be moved; a
# digest cannot).
#
#   scripts/pin-action-image.sh ghcr.io/owner/kevgate sha256:<64 hex> [action.yml]
set -euo pipefail

if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: scripts/pin-action-image.sh <image> <sha256:digest> [action.yml]" >&2
  exit 2
fi
image="$1"
digest="$2"
file="${3:-action.yml}"

if ! [[ "$image" =~ ^ghcr\.io/[a-z0-9._/-]+$ ]]; then
  echo "pin-action-image: \`$image\` is not a lower-case ghcr.io image name" >&2
  exit 2
fi
if ! [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "pin-action-image: \`$digest\` is not a sha256 digest (sha256:<64 hex digits>)" >&2
  exit 2
fi
if [ "$(grep -c '^  image: ' "$file")" != 1 ]; then
  echo "pin-action-image: $file: expected exactly one \`  image:\` line under runs" >&2
  exit 2
fi
sed -i -E "s|^  image: .*|  image: docker://$image@$digest|" "$file"
grep '^  image: ' "$file"
