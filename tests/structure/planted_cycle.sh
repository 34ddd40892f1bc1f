#!/usr/bin/env bash
# The include-graph check must catch a cycle: plants core/src/alpha -> beta -> alpha in a
# temporary tree and expects core_cycles.py to exit 1 naming {alpha, beta}.
# Usage: planted_cycle.sh path/to/core_cycles.py
set -u
tool="${1:?core_cycles.py}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/core/src/alpha" "$tmp/core/include/strata/alpha" "$tmp/core/include/strata/beta" "$tmp/core/src/gamma"
printf '#include "strata/beta/b.h"\n' > "$tmp/core/src/alpha/a.cpp"
printf '#pragma once\n' > "$tmp/core/include/strata/alpha/a.h"
printf '#pragma once\n#include "strata/alpha/a.h"\n' > "$tmp/core/include/strata/beta/b.h"
printf '#include "strata/alpha/a.h"\n' > "$tmp/core/src/gamma/g.cpp"
out=$(python3 "$tool" "$tmp"); rc=$?
echo "$out"
if [ $rc -ne 1 ] || [[ "$out" != *"{alpha, beta}"* ]]; then
    echo "FAIL: expected exit 1 and the cycle {alpha, beta}, got exit $rc"
    exit 1
fi
# And the same tree without the back edge passes.
printf '#pragma once\n' > "$tmp/core/include/strata/beta/b.h"
out=$(python3 "$tool" "$tmp"); rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: acyclic tree reported a cycle"; exit 1; }
