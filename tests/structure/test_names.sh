#!/usr/bin/env bash
# ctest registers each Catch2 case by name (catch_discover_tests); a ';' in a name is a CMake
# list separator, so the case is split into entries that match no case and "pass" without
# running anything. Fails, naming them, when any TEST_CASE name has one.
# Usage: test_names.sh PROJECT_ROOT
set -euo pipefail
bad=$(grep -rn --include='*.cpp' -E 'TEST_CASE\("[^"]*;' "$1/tests" || true)
if [ -n "$bad" ]; then
  echo "Catch2 case names with ';' (ctest would run none of them):"
  echo "$bad"
  exit 1
fi
echo "ok: no ';' in Catch2 case names"
