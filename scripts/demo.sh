#!/usr/bin/env bash
# Strata's main job on the bundled demo model: the Studio when a display exists,
# otherwise a tour of the CLI. Expects ./build (see scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=./build/app/cli/strata
DEMO=${STRATA_DEMO_DIR:-./build/demo}
mkdir -p "$DEMO"
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

rm -rf "$DEMO/tiny"
step $STRATA synth --preset tiny --out "$DEMO/tiny"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x ./build/app/studio/strata-studio ]; then
  exec ./build/app/studio/strata-studio "$DEMO/tiny"
fi
step $STRATA inspect "$DEMO/tiny" --filter 'model.layers.0.*'
rm -rf "$DEMO/qwen3-30b-a3b"
step $STRATA synth --preset qwen3-30b-a3b --sparse --out "$DEMO/qwen3-30b-a3b"
step $STRATA inspect "$DEMO/qwen3-30b-a3b" --filter 'model.layers.47.mlp.experts.127.*'
for extra in scripts/demo.d/*.sh; do
  [ -e "$extra" ] || continue
  # shellcheck source=/dev/null
  . "$extra"
done
echo
echo "Tour done. Demo checkpoints are in $DEMO."
