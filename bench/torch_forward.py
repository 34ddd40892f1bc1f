#!/usr/bin/python3
"""The torch baseline of bench/forward_bench: a Qwen3-MoE / Qwen3 forward in plain torch.

The way Python tools run a sanity forward: load every tensor of the HF safetensors
checkpoint into RAM as float32 torch tensors, then run the model in fp32 on the CPU,
following transformers' modeling_qwen3_moe.py (RMSNorm, q/k norm per head, rotate-half
RoPE, causal GQA, router softmax -> top-k -> renormalise when norm_topk_prob, SwiGLU
experts). Only torch and numpy are needed (Debian's python3-torch), not transformers or
safetensors. Writes {"load_s", "forward_s", "max_abs_diff"} as JSON, the last against
--compare (Strata's logits .npy), so the bench shows both computed the same thing.

Usage: torch_forward.py CKPT_DIR --tokens 1,2,3 --threads N --out result.json [--compare logits.npy]
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from safetensors_np import load_safetensors



def rms_norm(x, w, eps):
    var = x.pow(2).mean(-1, keepdim=True)
    return w * (x * torch.rsqrt(var + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def attention(w, p, cfg, h, cos, sin):
    T = h.shape[0]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    q = rms_norm((h @ w[p + "q_proj.weight"].T).view(T, nh, hd), w[p + "q_norm.weight"], eps)
    k = rms_norm((h @ w[p + "k_proj.weight"].T).view(T, nkv, hd), w[p + "k_norm.weight"], eps)
    v = (h @ w[p + "v_proj.weight"].T).view(T, nkv, hd)
    q = q * cos[:, None] + rotate_half(q) * sin[:, None]
    k = k * cos[:, None] + rotate_half(k) * sin[:, None]
    rep = nh // nkv
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    scores = torch.einsum("thd,shd->hts", q, k) / hd**0.5
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    scores = scores.masked_fill(mask, float("-inf")).softmax(-1)
    out = torch.einsum("hts,shd->thd", scores, v).reshape(T, nh * hd)
    return out @ w[p + "o_proj.weight"].T


def swiglu(w, p, x):
    g = x @ w[p + "gate_proj.weight"].T
    u = x @ w[p + "up_proj.weight"].T
    return (torch.nn.functional.silu(g) * u) @ w[p + "down_proj.weight"].T


def moe(w, p, cfg, h):
    probs = (h @ w[p + "gate.weight"].T).softmax(-1)
    top_w, top_i = probs.topk(cfg["num_experts_per_tok"], dim=-1)
    if cfg.get("norm_topk_prob", False):
        top_w = top_w / top_w.sum(-1, keepdim=True)
    out = torch.zeros_like(h)
    for e in top_i.unique().tolist():
        tok, slot = (top_i == e).nonzero(as_tuple=True)
        out.index_add_(0, tok, swiglu(w, f"{p}experts.{e}.", h[tok]) * top_w[tok, slot, None])
    return out


def forward(w, cfg, tokens):
    T = len(tokens)
    hd = cfg["head_dim"]
    inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None]
    cos, sin = torch.cat((ang, ang), -1).cos(), torch.cat((ang, ang), -1).sin()
    eps = cfg["rms_norm_eps"]
    x = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    sparse = set(range(cfg["num_hidden_layers"])) - set(cfg.get("mlp_only_layers", []))
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = x + attention(w, p + "self_attn.", cfg, rms_norm(x, w[p + "input_layernorm.weight"], eps), cos, sin)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        is_moe = cfg.get("num_experts", 0) > 0 and i in sparse and (i + 1) % cfg.get("decoder_sparse_step", 1) == 0
        x = x + (moe(w, p + "mlp.", cfg, h) if is_moe else swiglu(w, p + "mlp.", h))
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return rms_norm(x, w["model.norm.weight"], eps) @ head.T


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    cfg = json.loads((Path(a.ckpt) / "config.json").read_text())
    tokens = [int(t) for t in a.tokens.split(",")]
    t0 = time.perf_counter()
    w = {k: v.float() for k, v in load_safetensors(a.ckpt).items()}
    t1 = time.perf_counter()
    with torch.no_grad():
        logits = forward(w, cfg, tokens)
    t2 = time.perf_counter()
    result = {"load_s": t1 - t0, "forward_s": t2 - t1, "threads": torch.get_num_threads()}
    if a.compare:
        ref = torch.from_numpy(np.load(a.compare))
        result["max_abs_diff"] = float((ref - logits).abs().max())
    Path(a.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
