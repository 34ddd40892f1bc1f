#!/usr/bin/env python3
"""Reference fixtures for Strata's forward pass (`strata forward`, tests/core/test_forward_*.cpp).

Run by hand, never at test time; the outputs are committed under tests/reference/fixtures/forward/:

    python3 -m venv /work/venv-ref
    /work/venv-ref/bin/pip install torch 'transformers>=4.51,<5' safetensors numpy
    /work/venv-ref/bin/python tests/reference/make_fixtures.py

transformers 4.x is pinned because its config.json spelling (num_experts, rope_theta, torch_dtype) is the
one published Qwen3 checkpoints use; transformers 5 writes num_local_experts and rope_parameters instead
(the committed fixtures were made with 4.57.6 and torch 2.15; the script also runs under 5.x).

It writes three small random f32 models with seeded weights, each as a folder holding
config.json (+ mamba_config.json), model.safetensors, tokens.json and logits.npy
(float32 [T, vocab]) plus meta.json recording versions and self-checks:

  qwen3_moe/  transformers Qwen3MoeForCausalLM (dims of Strata's `tiny` preset), save_pretrained,
              logits from transformers in fp32 with eager attention.
  qwen3/      transformers Qwen3ForCausalLM (dims of `tiny-dense`, tied embeddings), likewise.
  m1_hybrid/  the qwen3_moe model with layers 1 and 2 turned into M1 Mamba2 layers the way M1's
              transformer_to_mamba2.py does (x <- v_proj, B <- k_proj, C <- q_proj, out_proj <- o_proj,
              z/dt rows, conv1d, A_log, dt_bias, D and the gated norm freshly initialised), logits from
              the torch port below (float64, rounded to float32).

The M1 Mamba2 mixer port follows jingshenghang/M1, branch Qwen3-30B-A3B-Mamba2,
mamba2/hybrid_mamba_layer.py (class Mamba2, forward without an inference cache,
repeat_kv_before_conv=False) and mamba2/hybrid_model.py (MambaDecoderLayer: pre-norm residual mixer,
then post-norm residual Qwen3MoeSparseMoeBlock); it is a re-implementation, not their code:
mamba_chunk_scan_combined is replaced by the sequential recurrence it computes, causal_conv1d_fn by a
padded depthwise conv truncated to the sequence, mamba_ssm's RMSNormGated(norm_before_gate=False) by
rmsnorm(y * silu(z)) per group. The hybrid also needs Qwen3 attention and MoE layers; they come from a
small torch port of Qwen3-MoE (`port_forward`), which the script checks against transformers on the
qwen3_moe and qwen3 fixtures (meta.json "port_vs_transformers_max_abs") so the hybrid's reference is
tied to transformers too. If transformers cannot be imported the script falls back to that port for
every fixture and says so in meta.json ("reference": "torch port").
"""

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures" / "forward"
TOKENS = [1, 17, 42, 255, 3, 99, 128, 7, 64, 200, 5, 31]
SEED = 20261122

try:
    import transformers
    from transformers import Qwen3Config, Qwen3ForCausalLM, Qwen3MoeConfig, Qwen3MoeForCausalLM

    HAVE_TRANSFORMERS = True
except ImportError:  # the fallback the header describes
    transformers = None
    HAVE_TRANSFORMERS = False

COMMON = dict(
    vocab_size=256,
    hidden_size=64,
    num_hidden_layers=4,
    num_attention_heads=8,
    num_key_value_heads=2,
    head_dim=16,
    max_position_embeddings=128,
    rms_norm_eps=1e-6,
    hidden_act="silu",
    attention_bias=False,
    use_sliding_window=False,
)
ROPE_THETA = 1_000_000.0  # not the 10000 default, so a forward that ignores the config fails
MOE = dict(COMMON, intermediate_size=128, num_experts=8, num_experts_per_tok=2, moe_intermediate_size=32,
           norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[], tie_word_embeddings=False)
DENSE = dict(COMMON, intermediate_size=128, tie_word_embeddings=True)


def randomize(named_params, gen):
    """Weights big enough that logits are O(1) and routing is decided: N(0, 0.08), norms 1 + N(0, 0.1)."""
    with torch.no_grad():
        for name, p in named_params:
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if "norm" in name:
                p.copy_(1.0 + 0.1 * noise)
            else:
                p.copy_(0.08 * noise)


# ------------------------------------------------------------------------------------------------
# Torch port of the Qwen3 / Qwen3-MoE forward (transformers models/qwen3_moe/modeling_qwen3_moe.py)
# on canonical HF per-expert tensor names, plus M1's Mamba2 mixer.


def canonical(sd, cfg):
    """transformers >= 5 saves fused experts (mlp.experts.gate_up_proj / down_proj); split them."""
    out = {}
    for k, v in sd.items():
        if k.endswith("mlp.experts.gate_up_proj"):
            p = k[: -len("gate_up_proj")]
            ffn = cfg["moe_intermediate_size"]
            for e in range(v.shape[0]):
                w = v[e]  # [2F, H] in v5 ([gate; up] along the output dim)
                if w.shape[0] != 2 * ffn:
                    w = w.t()
                out[f"{p}{e}.gate_proj.weight"] = w[:ffn].contiguous()
                out[f"{p}{e}.up_proj.weight"] = w[ffn:].contiguous()
        elif k.endswith("mlp.experts.down_proj"):
            p = k[: -len("down_proj")]
            for e in range(v.shape[0]):
                w = v[e]
                if w.shape[0] != cfg["hidden_size"]:
                    w = w.t()
                out[f"{p}{e}.down_proj.weight"] = w.contiguous()
        else:
            out[k] = v
    return out


def rms(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def rope(x, theta):  # x [T, heads, hd]; neox rotate-half as transformers
    T, _, hd = x.shape
    inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos()[:, None, :].to(x.dtype), emb.sin()[:, None, :].to(x.dtype)
    x1, x2 = x[..., : hd // 2], x[..., hd // 2 :]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def attention(h, sd, p, cfg):
    T = h.shape[0]
    nh, nkv, hd = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    q = (h @ sd[p + "q_proj.weight"].t()).view(T, nh, hd)
    k = (h @ sd[p + "k_proj.weight"].t()).view(T, nkv, hd)
    v = (h @ sd[p + "v_proj.weight"].t()).view(T, nkv, hd)
    q = rope(rms(q, sd[p + "q_norm.weight"], cfg["rms_norm_eps"]), cfg["rope_theta"])
    k = rope(rms(k, sd[p + "k_norm.weight"], cfg["rms_norm_eps"]), cfg["rope_theta"])
    k = k.repeat_interleave(nh // nkv, dim=1)
    v = v.repeat_interleave(nh // nkv, dim=1)
    s = torch.einsum("thd,shd->hts", q, k) / math.sqrt(hd)
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    o = torch.einsum("hts,shd->thd", s.softmax(-1), v).reshape(T, nh * hd)
    return o @ sd[p + "o_proj.weight"].t()


def swiglu(x, sd, p):
    return (F.silu(x @ sd[p + "gate_proj.weight"].t()) * (x @ sd[p + "up_proj.weight"].t())) @ sd[p + "down_proj.weight"].t()


def moe(h, sd, p, cfg, margins):
    probs = (h @ sd[p + "gate.weight"].t()).softmax(-1)
    k = cfg["num_experts_per_tok"]
    w, idx = probs.topk(k + 1, dim=-1)
    margins.append(float((w[:, k - 1] - w[:, k]).min()))  # how decided the routing is
    w, idx = w[:, :k], idx[:, :k]
    if cfg["norm_topk_prob"]:
        w = w / w.sum(-1, keepdim=True)
    out = torch.zeros_like(h)
    for e in range(cfg["num_experts"]):
        tok, slot = torch.where(idx == e)
        if len(tok):
            out.index_add_(0, tok, swiglu(h[tok], sd, f"{p}experts.{e}.") * w[tok, slot, None])
    return out


def m1_mamba2(u, sd, p, m):
    """M1 Mamba2.forward (no cache, repeat_kv_before_conv=False) on u [T, hidden]."""
    T = u.shape[0]
    d_inner, d_xb, d_state, nheads = m["d_inner"], m["d_xb"], m["d_state"], m["nheads"]
    zxbcdt = u @ sd[p + "in_proj.weight"].t()
    z, xbc, dt = torch.split(zxbcdt, [d_inner, d_inner + 2 * d_xb, nheads], dim=-1)
    w = sd[p + "conv1d.weight"]  # [C, 1, W]
    xbc = F.conv1d(xbc.t()[None], w, sd[p + "conv1d.bias"], padding=w.shape[-1] - 1, groups=w.shape[0])
    xbc = F.silu(xbc[0, :, :T].t())  # causal: keep the first T outputs of the padded conv
    x, B, C = torch.split(xbc, [d_xb, d_xb, d_inner], dim=-1)
    repeat = d_inner // d_xb
    x = x.reshape(T, d_xb // d_state, d_state).repeat_interleave(repeat, dim=1)  # HF repeat_kv order
    B = B.reshape(T, d_xb // d_state, d_state).repeat_interleave(repeat, dim=1)
    C = C.reshape(T, nheads, d_state)
    A = -torch.exp(sd[p + "A_log"])
    dt = F.softplus(dt + sd[p + "dt_bias"])
    D = sd[p + "D"]
    state = torch.zeros(nheads, d_state, d_state, dtype=u.dtype)  # [heads, headdim, d_state]
    ys = []
    for t in range(T):
        state = state * torch.exp(dt[t] * A)[:, None, None] + (dt[t][:, None] * x[t])[:, :, None] * B[t][:, None, :]
        ys.append(torch.einsum("hpn,hn->hp", state, C[t]) + D[:, None] * x[t])
    y = torch.stack(ys).reshape(T, d_inner)
    g = (y * F.silu(z)).reshape(T, m["ngroups"], d_inner // m["ngroups"])  # norm_before_gate=False
    g = g * torch.rsqrt(g.pow(2).mean(-1, keepdim=True) + 1e-5)
    y = g.reshape(T, d_inner) * sd[p + "norm.weight"]
    return y @ sd[p + "out_proj.weight"].t()


def port_forward(sd, cfg, tokens, mamba=None, dtype=torch.float64):
    sd = {k: v.to(dtype) for k, v in sd.items()}
    eps = cfg["rms_norm_eps"]
    x = sd["model.embed_tokens.weight"][torch.tensor(tokens)]
    margins = []
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        h = rms(x, sd[p + "input_layernorm.weight"], eps)
        if mamba and l not in mamba["attn_layers"]:
            x = x + m1_mamba2(h, sd, p + "mamba.", mamba)
        else:
            x = x + attention(h, sd, p + "self_attn.", cfg)
        h = rms(x, sd[p + "post_attention_layernorm.weight"], eps)
        x = x + (moe(h, sd, p + "mlp.", cfg, margins) if "num_experts" in cfg else swiglu(h, sd, p + "mlp."))
    x = rms(x, sd["model.norm.weight"], eps)
    head = sd["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else sd["lm_head.weight"]
    return x @ head.t(), (min(margins) if margins else None)


# ------------------------------------------------------------------------------------------------


def write_outputs(folder, logits, meta):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokens.json").write_text(json.dumps(TOKENS) + "\n")
    np.save(folder / "logits.npy", np.ascontiguousarray(logits, dtype=np.float32))
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")


def hf_model(kind, cfg_dict):
    cfg_cls, model_cls = (Qwen3MoeConfig, Qwen3MoeForCausalLM) if kind == "moe" else (Qwen3Config, Qwen3ForCausalLM)
    cfg = cfg_cls(**cfg_dict, rope_theta=ROPE_THETA)
    cfg._attn_implementation = "eager"
    torch.manual_seed(SEED)
    model = model_cls(cfg).to(torch.float32).eval()
    gen = torch.Generator().manual_seed(SEED + (1 if kind == "moe" else 2))
    randomize(model.named_parameters(), gen)
    if cfg_dict.get("tie_word_embeddings"):
        model.tie_weights()
    return model


def make_hf_fixture(name, kind, cfg_dict):
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    cfg_for_port = dict(cfg_dict, rope_theta=ROPE_THETA)
    meta = {"seed": SEED, "tokens": TOKENS, "torch": torch.__version__}
    if HAVE_TRANSFORMERS:
        model = hf_model(kind, cfg_dict)
        model.save_pretrained(folder, safe_serialization=True)
        with torch.no_grad():
            logits = model(torch.tensor([TOKENS])).logits[0].float().numpy()
        meta.update(reference="transformers", transformers=transformers.__version__)
    else:
        gen = torch.Generator().manual_seed(SEED + (1 if kind == "moe" else 2))
        sd = port_state_dict(kind, cfg_for_port, gen)
        save_file(sd, folder / "model.safetensors", metadata={"format": "pt"})
        (folder / "config.json").write_text(json.dumps(dict(cfg_for_port, model_type="qwen3_moe" if kind == "moe" else "qwen3",
                                                            torch_dtype="float32"), indent=2) + "\n")
        logits = port_forward(sd, cfg_for_port, TOKENS, dtype=torch.float32)[0].numpy()
        meta.update(reference="torch port (transformers not importable)")
    sd = canonical(load_file(folder / "model.safetensors"), cfg_for_port)
    if cfg_for_port.get("tie_word_embeddings") and "lm_head.weight" in sd:
        del sd["lm_head.weight"]
    port, margin = port_forward(sd, cfg_for_port, TOKENS)
    meta["port_vs_reference_max_abs"] = float(np.abs(port.numpy() - logits).max())
    meta["min_routing_margin"] = margin
    meta["logits_abs_max"] = float(np.abs(logits).max())
    write_outputs(folder, logits, meta)
    return sd, cfg_for_port, meta


def port_state_dict(kind, cfg, gen):
    """Canonical tensors for the no-transformers fallback (same names and shapes save_pretrained writes)."""
    H, nh, nkv, hd, V = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"], cfg["vocab_size"]
    shapes = {"model.embed_tokens.weight": (V, H)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        shapes.update({p + "self_attn.q_proj.weight": (nh * hd, H), p + "self_attn.k_proj.weight": (nkv * hd, H),
                       p + "self_attn.v_proj.weight": (nkv * hd, H), p + "self_attn.o_proj.weight": (H, nh * hd),
                       p + "self_attn.q_norm.weight": (hd,), p + "self_attn.k_norm.weight": (hd,)})
        if kind == "moe":
            F_ = cfg["moe_intermediate_size"]
            shapes[p + "mlp.gate.weight"] = (cfg["num_experts"], H)
            for e in range(cfg["num_experts"]):
                q = f"{p}mlp.experts.{e}."
                shapes.update({q + "gate_proj.weight": (F_, H), q + "up_proj.weight": (F_, H), q + "down_proj.weight": (H, F_)})
        else:
            F_ = cfg["intermediate_size"]
            shapes.update({p + "mlp.gate_proj.weight": (F_, H), p + "mlp.up_proj.weight": (F_, H), p + "mlp.down_proj.weight": (H, F_)})
        shapes.update({p + "input_layernorm.weight": (H,), p + "post_attention_layernorm.weight": (H,)})
    shapes["model.norm.weight"] = (H,)
    if not cfg.get("tie_word_embeddings"):
        shapes["lm_head.weight"] = (V, H)
    sd = {k: torch.empty(s, dtype=torch.float32) for k, s in shapes.items()}
    randomize(sd.items(), gen)
    return sd


def make_m1_fixture(moe_sd, moe_cfg, attn_layers):
    """M1's convert_layers on the qwen3_moe fixture, then the port's forward."""
    folder = OUT / "m1_hybrid"
    folder.mkdir(parents=True, exist_ok=True)
    H, nh, nkv, hd = moe_cfg["hidden_size"], moe_cfg["num_attention_heads"], moe_cfg["num_key_value_heads"], moe_cfg["head_dim"]
    expand = 2
    d_inner, d_xb, d_state = expand * H, nkv * hd, hd
    assert d_inner == nh * hd, "M1 needs expand * hidden == heads * head_dim"
    m = {"d_inner": d_inner, "d_xb": d_xb, "d_state": d_state, "nheads": nh, "ngroups": nh, "attn_layers": attn_layers}
    gen = torch.Generator().manual_seed(SEED + 3)
    sd = {}
    for k, v in moe_sd.items():
        sd[k] = v.clone()
    for l in range(moe_cfg["num_hidden_layers"]):
        if l in attn_layers:
            continue
        a = f"model.layers.{l}.self_attn."
        p = f"model.layers.{l}.mamba."
        in_proj = torch.empty(2 * d_inner + 2 * d_xb + nh, H)
        bound = 1.0 / math.sqrt(H)  # nn.Linear's kaiming_uniform(a=sqrt(5)) range for z and dt rows
        in_proj.uniform_(-bound, bound, generator=gen)
        in_proj[d_inner : d_inner + d_xb] = sd[a + "v_proj.weight"]
        in_proj[d_inner + d_xb : d_inner + 2 * d_xb] = sd[a + "k_proj.weight"]
        in_proj[d_inner + 2 * d_xb : 2 * d_inner + 2 * d_xb] = sd[a + "q_proj.weight"]
        conv_dim = d_inner + 2 * d_xb
        dt = torch.exp(torch.rand(nh, generator=gen) * (math.log(0.1) - math.log(0.001)) + math.log(0.001)).clamp(min=1e-4)
        sd[p + "dt_bias"] = dt + torch.log(-torch.expm1(-dt))
        sd[p + "A_log"] = torch.log(torch.empty(nh).uniform_(1, 16, generator=gen))
        # M1 starts D at ones; a spread makes the fixture check that each head uses its own D.
        sd[p + "D"] = torch.empty(nh).uniform_(0.5, 1.5, generator=gen)
        sd[p + "in_proj.weight"] = in_proj
        sd[p + "conv1d.weight"] = torch.empty(conv_dim, 1, 4).uniform_(-0.5, 0.5, generator=gen)
        sd[p + "conv1d.bias"] = torch.empty(conv_dim).uniform_(-0.5, 0.5, generator=gen)
        sd[p + "norm.weight"] = 1.0 + 0.1 * torch.randn(d_inner, generator=gen)
        sd[p + "out_proj.weight"] = sd.pop(a + "o_proj.weight")
        for n in ("q_proj", "k_proj", "v_proj", "q_norm", "k_norm"):
            del sd[a + n + ".weight"]
    sd = {k: v.to(torch.float32).contiguous() for k, v in sd.items()}
    save_file(sd, folder / "model.safetensors", metadata={"format": "pt"})
    config = json.loads((OUT / "qwen3_moe" / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    mamba_config = {"d_model": H, "ssm_cfg": {"expand": expand, "ngroups": nh, "d_state": d_state},
                    "rms_norm_eps": moe_cfg["rms_norm_eps"], "vocab_size": None, "d_inner": d_inner, "d_xb": d_xb,
                    "intermediate_size": moe_cfg["intermediate_size"], "hidden_act": "silu",
                    "n_layer": moe_cfg["num_hidden_layers"], "attn_layers": attn_layers,
                    "num_experts": moe_cfg["num_experts"], "norm_topk_prob": moe_cfg["norm_topk_prob"],
                    "hidden_size": H, "moe_intermediate_size": moe_cfg["moe_intermediate_size"],
                    "num_experts_per_tok": moe_cfg["num_experts_per_tok"]}
    (folder / "mamba_config.json").write_text(json.dumps(mamba_config, indent=4) + "\n")
    logits64, margin = port_forward(sd, moe_cfg, TOKENS, mamba=m)
    logits32, _ = port_forward(sd, moe_cfg, TOKENS, mamba=m, dtype=torch.float32)
    meta = {"seed": SEED, "tokens": TOKENS, "torch": torch.__version__, "attn_layers": attn_layers,
            "reference": "torch port of M1's Mamba2 mixer (float64) + Qwen3-MoE port",
            "source": "jingshenghang/M1 branch Qwen3-30B-A3B-Mamba2 mamba2/hybrid_mamba_layer.py, hybrid_model.py",
            "port_f32_vs_f64_max_abs": float((logits32.double() - logits64).abs().max()),
            "min_routing_margin": margin, "logits_abs_max": float(logits64.abs().max())}
    write_outputs(folder, logits64.numpy(), meta)
    return meta


def main():
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    OUT.mkdir(parents=True, exist_ok=True)
    moe_sd, moe_cfg, moe_meta = make_hf_fixture("qwen3_moe", "moe", MOE)
    _, _, dense_meta = make_hf_fixture("qwen3", "dense", DENSE)
    m1_meta = make_m1_fixture(moe_sd, moe_cfg, attn_layers=[0, 3])
    for name, meta in (("qwen3_moe", moe_meta), ("qwen3", dense_meta), ("m1_hybrid", m1_meta)):
        print(name, json.dumps({k: v for k, v in meta.items() if k not in ("tokens",)}))
    worst = max(moe_meta["port_vs_reference_max_abs"], dense_meta["port_vs_reference_max_abs"])
    if worst > 1e-4:
        sys.exit(f"the torch port disagrees with the reference by {worst}: the M1 fixture would not be tied to it")


if __name__ == "__main__":
    main()
