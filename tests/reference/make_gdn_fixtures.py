#!/usr/bin/env python3
"""Reference fixtures for Strata's forward pass on Gated DeltaNet hybrids (tests/core/test_forward_gdn.cpp).

Run by hand, never at test time; the outputs are committed under tests/reference/fixtures/forward/.
Qwen3-Next exists in transformers 4.57 (whose config.json spelling the published Qwen3-Next checkpoints
use: rope_theta and partial_rotary_factor at the top level, num_experts); Qwen3.5 only from
transformers 5. So the script makes the fixtures that the installed transformers can build:

    # qwen3_next with transformers 4.57.6 (the venv of make_fixtures.py)
    /work/venv-ref/bin/python tests/reference/make_gdn_fixtures.py qwen3_next
    # qwen3_5 and qwen3_5_moe with transformers 5.23.0 (CPU torch is enough)
    python3 -m venv /work/venv-ref5 && /work/venv-ref5/bin/pip install torch transformers==5.23.0
    /work/venv-ref5/bin/python tests/reference/make_gdn_fixtures.py qwen3_5 qwen3_5_moe

Each fixture is a small random f32 model with seeded weights, written by save_pretrained, plus
tokens.json, logits.npy (float32 [T, vocab], transformers' fp32 logits with eager attention and the
torch fallbacks of the GDN kernels, i.e. torch_chunk_gated_delta_rule for the prefill) and meta.json
(versions, the smallest top-k routing margin, the largest |logit|):

  qwen3_next/   Qwen3NextForCausalLM: hidden 64, 4 layers (3 Gated DeltaNet + 1 gated attention,
                full_attention_interval 4), attention 8 heads / 4 KV heads of 16 with partial RoPE 0.25,
                GDN 4 key heads of 8 and 8 value heads of 16 (value heads = 2 x key heads, as Strata's
                qwen3-next-tiny preset), 8 experts (FFN 16) top-2 + a gated shared expert (FFN 32) in every layer.
  qwen3_5/      Qwen3_5ForCausalLM (the dense text model): the same mixers, Qwen3.5's separate
                in_proj_qkv / in_proj_z / in_proj_b / in_proj_a, a dense SwiGLU MLP of 96.
  qwen3_5_moe/  Qwen3_5MoeForCausalLM (text model): as qwen3_5 with the MoE + shared expert block
                (transformers 5.23 holds the routed experts packed in memory but save_pretrained writes
                them per expert, mlp.experts.<e>.{gate,up,down}_proj, as the 4.x checkpoints have them).

Weights are N(0, 0.08) except: zero-centred RMSNorms (input / post-attention / final / q_norm /
k_norm, applied as 1 + w) 0.1 N(0, 1); the GDN gated norm (applied as w) 1 + 0.1 N(0, 1); conv1d
0.3 N(0, 1) so the mixed q/k/v are O(1); A_log = log U(0.1, 2) and dt_bias = 0.5 + 0.3 N(0, 1) so
the per-step decay exp(g) spreads over ~(0.2, 0.95) and the recurrent state matters.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np
import torch
import transformers

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures" / "forward"
TOKENS = [1, 17, 42, 255, 3, 99, 128, 7, 64, 200, 5, 31]
SEED = 20261123
MIN_MARGIN = 1e-3
ROPE_THETA = 1_000_000.0  # not the 10000 default, so a forward that ignores the config fails

COMMON = dict(
    vocab_size=256,
    hidden_size=64,
    num_hidden_layers=4,
    num_attention_heads=8,
    num_key_value_heads=4,
    head_dim=16,
    linear_num_key_heads=4,
    linear_num_value_heads=8,
    linear_key_head_dim=8,
    linear_value_head_dim=16,
    linear_conv_kernel_dim=4,
    max_position_embeddings=128,
    rms_norm_eps=1e-6,
    hidden_act="silu",
    attention_bias=False,
    tie_word_embeddings=False,
)
LAYER_TYPES = ["linear_attention", "linear_attention", "linear_attention", "full_attention"]
MOE = dict(num_experts=8, num_experts_per_tok=2, moe_intermediate_size=16, shared_expert_intermediate_size=32)


def qwen3_next_model():
    from transformers import Qwen3NextConfig, Qwen3NextForCausalLM

    cfg = Qwen3NextConfig(**COMMON, **MOE, intermediate_size=96, norm_topk_prob=True, decoder_sparse_step=1,
                          mlp_only_layers=[], full_attention_interval=4, partial_rotary_factor=0.25,
                          rope_theta=ROPE_THETA)
    assert cfg.layer_types == LAYER_TYPES, cfg.layer_types
    return cfg, Qwen3NextForCausalLM


def qwen3_5_model():
    from transformers import Qwen3_5ForCausalLM, Qwen3_5TextConfig

    rope = {"rope_type": "default", "rope_theta": ROPE_THETA, "partial_rotary_factor": 0.25}
    cfg = Qwen3_5TextConfig(**COMMON, intermediate_size=96, layer_types=LAYER_TYPES, rope_parameters=rope)
    return cfg, Qwen3_5ForCausalLM


def qwen3_5_moe_model():
    from transformers import Qwen3_5MoeForCausalLM, Qwen3_5MoeTextConfig

    rope = {"rope_type": "default", "rope_theta": ROPE_THETA, "partial_rotary_factor": 0.25}
    cfg = Qwen3_5MoeTextConfig(**COMMON, **MOE, layer_types=LAYER_TYPES, rope_parameters=rope)
    return cfg, Qwen3_5MoeForCausalLM


MODELS = {"qwen3_next": (qwen3_next_model, 1), "qwen3_5": (qwen3_5_model, 2), "qwen3_5_moe": (qwen3_5_moe_model, 3)}


def randomize(model, gen):
    """The distributions the header lists, drawn in parameter order from one generator."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if name.endswith("linear_attn.A_log"):
                p.copy_(torch.log(torch.empty(p.shape, dtype=torch.float64).uniform_(0.1, 2.0, generator=gen)))
            elif name.endswith("linear_attn.dt_bias"):
                p.copy_(0.5 + 0.3 * noise)
            elif name.endswith("linear_attn.norm.weight"):
                p.copy_(1.0 + 0.1 * noise)
            elif "norm" in name:
                p.copy_(0.1 * noise)
            elif "conv1d" in name:
                p.copy_(0.3 * noise)
            else:
                p.copy_(0.08 * noise)


def routing_margins(model):
    """Hooks on every router: the smallest gap between the k-th and (k+1)-th routing probability."""
    margins, handles = [], []
    k = getattr(model.config, "num_experts_per_tok", 0)

    def hook(_module, _inputs, output):
        logits = output[0] if isinstance(output, tuple) else output
        top = logits.float().softmax(-1).topk(k + 1, dim=-1).values
        margins.append(float((top[:, k - 1] - top[:, k]).min()))

    for name, module in model.named_modules():
        if name.endswith("mlp.gate"):
            handles.append(module.register_forward_hook(hook))
    return margins, handles


def make(name):
    build, salt = MODELS[name]
    cfg, model_cls = build()
    cfg._attn_implementation = "eager"
    torch.manual_seed(SEED)
    model = model_cls(cfg).to(torch.float32).eval()
    # A routing decided by less than MIN_MARGIN could flip under float reordering; then the next
    # weights seed is drawn (deterministically, so reruns give the same fixture).
    for attempt in range(20):
        weights_seed = SEED + salt + 100 * attempt
        randomize(model, torch.Generator().manual_seed(weights_seed))
        margins, handles = routing_margins(model)
        with torch.no_grad():
            logits = model(torch.tensor([TOKENS])).logits[0].float().numpy()
        for h in handles:
            h.remove()
        if not margins or min(margins) >= MIN_MARGIN:
            break
    else:
        sys.exit(f"{name}: no weights seed gave a routing margin >= {MIN_MARGIN}")
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "tokens.json").write_text(json.dumps(TOKENS) + "\n")
    np.save(folder / "logits.npy", np.ascontiguousarray(logits, dtype=np.float32))
    meta = {"seed": SEED, "weights_seed": weights_seed, "tokens": TOKENS, "torch": torch.__version__, "reference": "transformers",
            "transformers": transformers.__version__, "class": model_cls.__name__,
            "min_routing_margin": min(margins) if margins else None,
            "logits_abs_max": float(np.abs(logits).max())}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main():
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        if name not in MODELS:
            sys.exit(f"unknown fixture {name!r} (known: {', '.join(MODELS)})")
        meta = make(name)
        print(name, json.dumps({k: v for k, v in meta.items() if k != "tokens"}))


if __name__ == "__main__":
    main()
