#!/usr/bin/env bash
# Benchmarks (README: `npm run bench`, or `npm run bench -- boot concurrency` for some of
# them). Each prints its figures and ratios measured side by side in one run; quote medians:
# the machines are shared and noisy. `concurrency` runs a 9-job campaign twice (~45 min
# under TCG), `boot` 15 guest boots (~12 min), `queue` a FakeDriver campaign over Redis (~4 min).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then names=("$@"); else names=(); for b in dist/bench/*.js; do names+=("$(basename "$b" .js)"); done; fi
for n in "${names[@]}"; do
  b="dist/bench/$n.js"
  [ -e "$b" ] || { echo "no benchmark '$n' (have: $(ls dist/bench/*.js | xargs -n1 basename | sed 's/\.js$//' | tr '\n' ' '))"; continue; }
  echo "=== $n ==="
  node "$b" || echo "(benchmark $b failed)"
done
