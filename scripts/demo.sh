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
# Design a hybrid: the source workflow keeps attention at 0,2,4,...,46,47 of 48 layers.
step $STRATA pattern --attn-layers 0,2,4,...,44,46,47 --layers 48 --ratios 0.26,0.5
# Check a parallel plan before a cluster job does: TP=8 cannot split 4 KV groups.
step $STRATA plan qwen3-30b-a3b --tp 8 --pp 4 --ep 8 || true
step $STRATA plan qwen3-30b-a3b --tp 2 --pp 4 --ep 8 --sequence-parallel
# Convert HF -> Megatron TP2 PP2 EP4, reshard it, bring it back, and prove it.
rm -rf "$DEMO/mcore" "$DEMO/mcore-r" "$DEMO/back"
step $STRATA convert "$DEMO/tiny" --to megatron --tp 2 --pp 2 --ep 4 --out "$DEMO/mcore"
step $STRATA inspect "$DEMO/mcore" --filter '*layers.0.self_attention.linear_qkv.weight'
step $STRATA reshard "$DEMO/mcore" --tp 1 --pp 4 --ep 2 --out "$DEMO/mcore-r"
step $STRATA convert "$DEMO/mcore-r" --to hf --out "$DEMO/back"
step $STRATA diff "$DEMO/tiny" "$DEMO/back"
step $STRATA diff "$DEMO/tiny" "$DEMO/mcore"
# A sanity forward pass on both layouts: identical logits.
step $STRATA forward "$DEMO/tiny" --tokens 1,2,3,4 --top 3
step $STRATA compare "$DEMO/tiny" "$DEMO/mcore" --tokens 1,2,3,4,5,6,7,8
# Transformer -> hybrid Mamba2 by the M1 recipe.
rm -rf "$DEMO/hybrid"
step $STRATA hybridize "$DEMO/tiny" --attn-layers 0,2,3 --out "$DEMO/hybrid"
step $STRATA pattern --from "$DEMO/hybrid"
rm -rf "$DEMO/qwen3-30b-a3b"
step $STRATA synth --preset qwen3-30b-a3b --sparse --out "$DEMO/qwen3-30b-a3b"
step $STRATA inspect "$DEMO/qwen3-30b-a3b" --filter 'model.layers.47.mlp.experts.127.*'
echo
echo "Tour done. Demo checkpoints are in $DEMO."
