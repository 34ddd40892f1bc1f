#!/usr/bin/env bash
# Seed corpora for the fuzz harnesses, made with the built `strata` (synth + convert), so
# they follow the formats as Strata reads and writes them today. Nothing is committed but
# this script and tests/fuzz/regressions/ (inputs that once crashed or hung a reader).
# Usage: tests/fuzz/make_seeds.sh path/to/strata OUT_DIR
set -euo pipefail
strata=$1
out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sep=$'\n--8<--\n'
mkdir -p "$out"/{safetensors,safetensors_index,torch_zip,pickle,megatron,torch_dist,config_json,layer_pattern}

for preset in tiny tiny-dense tiny-dense-tied qwen3-next-tiny; do
  "$strata" synth --preset "$preset" --out "$work/$preset" >/dev/null
  "$strata" synth --preset "$preset" --out "$work/$preset-sharded" --max-shard-size 0.00005 >/dev/null
  cp "$work/$preset/config.json" "$out/config_json/$preset.json"
  for f in "$work/$preset"/*.safetensors; do cp "$f" "$out/safetensors/$preset-$(basename "$f")"; done
  shards=("$work/$preset-sharded"/model-*.safetensors)
  if [ "${#shards[@]}" -ge 2 ]; then
    { cat "$work/$preset-sharded/model.safetensors.index.json"; printf '%s' "$sep"; cat "${shards[0]}"; printf '%s' "$sep";
      cat "${shards[1]}"; printf '%s' "$sep"; cat "$work/$preset/config.json"; } >"$out/safetensors_index/$preset"
  fi
  "$strata" convert "$work/$preset" --to megatron --tp 2 --out "$work/$preset-mg" >/dev/null 2>&1 || continue
  n=0
  for f in "$work/$preset-mg"/iter_*/mp_rank_*/model_optim_rng.pt; do
    n=$((n + 1))
    cp "$f" "$out/torch_zip/$preset-$n.pt"
    python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith("/data.pkl"))
sys.stdout.buffer.write(z.read(name))' "$f" >"$out/pickle/$preset-$n.pkl"
    { printf '1%s' "$sep"; cat "$f"; } >"$out/megatron/$preset-$n"
  done
done

# DCP folders: the committed torch_dist fixtures (.metadata, __0_0.distcp, __1_0.distcp).
dcp="$(cd "$(dirname "$0")/../reference/fixtures/torch_dist" && pwd)"
{ cat "$dcp/dcp_single/.metadata"; printf '%s' "$sep"; cat "$dcp/dcp_single/__0_0.distcp"; printf '%s' "$sep"; } \
  >"$out/torch_dist/dcp_single"
{ cat "$dcp/dcp_two_ranks/.metadata"; printf '%s' "$sep"; cat "$dcp/dcp_two_ranks/__0_0.distcp"; printf '%s' "$sep";
  cat "$dcp/dcp_two_ranks/__1_0.distcp"; } >"$out/torch_dist/dcp_two_ranks"

# Layer patterns: the first byte is the layer count (see fuzz_layer_pattern.cpp).
i=0
for text in "0,2,4,...,46,47" "0-3, 8" "[1,5,9]" "0,3,..." "M*M*M*M*" "MEME*E|M-M-/*-" "M*-E+D G" "M|M|M" "**--EE/M"; do
  i=$((i + 1))
  { printf '\x30'; printf '%s' "$text"; } >"$out/layer_pattern/seed-$i"
done
echo "seeds in $out: $(find "$out" -type f | wc -l) files"
