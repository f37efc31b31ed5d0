#!/usr/bin/env bash
# Benchmarks (README: `npm run bench`). Each prints its figures and ratios measured side
# by side in one run; quote medians: the machines are shared and noisy.
set -uo pipefail
cd "$(dirname "$0")/.."
for b in dist/bench/*.js; do
  [ -e "$b" ] || continue
  echo "=== $(basename "$b" .js) ==="
  node "$b" || echo "(benchmark $b failed)"
done
