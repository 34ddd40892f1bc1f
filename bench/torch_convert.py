#!/usr/bin/python3
"""The torch baseline of bench/convert_bench: HF Qwen3-MoE -> Megatron legacy TP/PP/EP the
way the Python converters do it (MindSpeed-LLM convert_ckpt_v2, Megatron-Bridge's export):
load the whole HF checkpoint into RAM as torch tensors, build each rank's state dict with
chunk/cat, clone the slices, torch.save each mp_rank_TT_PPP_EEE/model_optim_rng.pt.

Layout (facts/bridge-mappings.md §1-2): linear_qkv rows group-major [q heads of the group;
k; v] split by TP over groups; TE-fused norms (linear_qkv.layer_norm_weight,
pre_mlp_layernorm for MoE); gate/up interleaved per TP rank in linear_fc1; TEGroupedMLP
experts linear_fc1.weight{i} / linear_fc2.weight{i} with EP-local ids and ETP = TP;
vocab padded to a multiple of 128 * TP; embedding on the first stage, final norm and
output layer on the last. `args` are copied from the rank-0 file of --args-from (Strata's
output) so Strata can read the result and the bench can diff it against the source.

Only torch and numpy are needed (Debian's python3-torch).
Usage: torch_convert.py HF_DIR OUT_DIR --tp 2 --pp 2 --ep 4 --args-from STRATA_MEGATRON_DIR
"""
import argparse
import json
import os
import resource
from pathlib import Path

import torch
from safetensors_np import load_safetensors



def qkv_rank(hf, p, cfg, tp, r):
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    hidden = cfg["hidden_size"]
    q = hf[p + "q_proj.weight"].view(nkv, nh // nkv * hd, hidden)
    k = hf[p + "k_proj.weight"].view(nkv, hd, hidden)
    v = hf[p + "v_proj.weight"].view(nkv, hd, hidden)
    groups = torch.cat([q, k, v], dim=1)  # [groups, (q per group + 2) * hd, hidden]
    return groups.chunk(tp, dim=0)[r].reshape(-1, hidden)


def fc1_rank(gate, up, tp, r):
    return torch.cat([gate.chunk(tp, dim=0)[r], up.chunk(tp, dim=0)[r]], dim=0)


def padded_vocab(vocab, tp, multiple=128):
    m = multiple * tp
    return (vocab + m - 1) // m * m


def vocab_rank(w, cfg, tp, r):
    pad = padded_vocab(w.shape[0], tp) - w.shape[0]
    full = torch.cat([w, w.new_zeros(pad, w.shape[1])], dim=0)
    return full.chunk(tp, dim=0)[r]


def rank_state(hf, cfg, tp, pp, ep, t, s, e):
    layers = cfg["num_hidden_layers"]
    per_stage = layers // pp
    experts = cfg["num_experts"]
    local = experts // ep
    sd = {}
    if s == 0:
        sd["embedding.word_embeddings.weight"] = vocab_rank(hf["model.embed_tokens.weight"], cfg, tp, t)
    for li in range(per_stage):
        g = s * per_stage + li
        p = f"model.layers.{g}."
        m = f"decoder.layers.{li}."
        a = p + "self_attn."
        sd[m + "self_attention.linear_qkv.weight"] = qkv_rank(hf, a, cfg, tp, t)
        sd[m + "self_attention.linear_qkv.layer_norm_weight"] = hf[p + "input_layernorm.weight"]
        sd[m + "self_attention.q_layernorm.weight"] = hf[a + "q_norm.weight"]
        sd[m + "self_attention.k_layernorm.weight"] = hf[a + "k_norm.weight"]
        sd[m + "self_attention.linear_proj.weight"] = hf[a + "o_proj.weight"].chunk(tp, dim=1)[t]
        sd[m + "pre_mlp_layernorm.weight"] = hf[p + "post_attention_layernorm.weight"]
        sd[m + "mlp.router.weight"] = hf[p + "mlp.gate.weight"]
        for i in range(local):
            x = f"{p}mlp.experts.{e * local + i}."
            sd[f"{m}mlp.experts.linear_fc1.weight{i}"] = fc1_rank(
                hf[x + "gate_proj.weight"], hf[x + "up_proj.weight"], tp, t
            )
            sd[f"{m}mlp.experts.linear_fc2.weight{i}"] = hf[x + "down_proj.weight"].chunk(tp, dim=1)[t]
    if s == pp - 1:
        sd["decoder.final_layernorm.weight"] = hf["model.norm.weight"]
        sd["output_layer.weight"] = vocab_rank(hf["lm_head.weight"], cfg, tp, t)
    # Slices are views of the whole tensor; torch.save would write the whole storage.
    return {k: v.clone() for k, v in sd.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--tp", type=int, default=1)
    ap.add_argument("--pp", type=int, default=1)
    ap.add_argument("--ep", type=int, default=1)
    ap.add_argument("--args-from")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    cfg = json.loads((Path(a.src) / "config.json").read_text())
    args = None
    if a.args_from:
        first = sorted((Path(a.args_from) / "iter_0000001").glob("mp_rank_*/model_optim_rng.pt"))[0]
        args = torch.load(first, map_location="cpu")["args"]
    hf = load_safetensors(a.src)
    out = Path(a.out)
    it = out / "iter_0000001"
    for t in range(a.tp):
        for s in range(a.pp):
            for e in range(a.ep):
                name = f"mp_rank_{t:02d}"
                if a.pp > 1:
                    name += f"_{s:03d}"
                if a.ep > 1:
                    name += f"_{e:03d}"
                d = it / name
                os.makedirs(d, exist_ok=True)
                ckpt = {"model": rank_state(hf, cfg, a.tp, a.pp, a.ep, t, s, e), "checkpoint_version": 3.0,
                        "iteration": 1}
                if args is not None:
                    ckpt["args"] = args
                torch.save(ckpt, d / "model_optim_rng.pt")
    (out / "latest_checkpointed_iteration.txt").write_text("1")
    os.sync()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"torch convert peak RSS:       {peak:.0f} MB")


if __name__ == "__main__":
    main()
