#!/usr/bin/env python3
"""Reference fixtures for the Nemotron-H family (tests/core/test_nemotron_h.cpp).

Run by hand, never at test time; the outputs are committed under tests/reference/fixtures/forward/.
transformers has NemotronHForCausalLM (model_type nemotron_h) natively only from v5, so:

    python3 -m venv /work/venv-ref5 && /work/venv-ref5/bin/pip install torch transformers==5.23.0
    /work/venv-ref5/bin/python tests/reference/make_nemotron_h_fixtures.py

It writes a small random f32 model with seeded weights as a folder holding config.json,
model.safetensors (save_pretrained), tokens.json, logits.npy (float32 [T, vocab]: transformers in
fp32 with eager attention and the pure-torch Mamba2 path, i.e. the chunked SSD scan
mamba2_chunk_scan and F.conv1d, since neither mamba-ssm nor causal-conv1d is installed) and
meta.json (versions, what each layer kind contributes):

  nemotron_h/  NemotronHForCausalLM with the dims of Strata's `nemotron-h-tiny` preset: hidden 64,
               hybrid_override_pattern "M-M*-M*-" (3 Mamba2, 2 attention, 3 squared-ReLU MLP layers),
               Mamba2 8 heads of 16 (d_inner 128), 4 groups, state 16, conv 4; attention 8 query /
               4 KV heads of 8 without RoPE (Nemotron-H attention has none); MLP 128; vocab 256;
               untied embeddings; 48 tokens.
  nemotron_h_moe/  the `nemotron-h-moe-tiny` preset: pattern "ME*EM-*E" with Nemotron 3's MoE layers: 8
               squared-ReLU experts of 32, top-2 by the sigmoid router over 2 groups of which 1 is kept
               (n_group 2, topk_group 1), routed_scaling_factor 2.5, a shared expert of 48;
               e_score_correction_bias 0.1 N(0, 1) so the bias changes which experts are chosen.

Weights are N(0, 0.08) except: the block norms, norm_f and the gated Mamba norm 1 + 0.1 N(0, 1)
(NemotronHRMSNorm applies w, not 1 + w); conv1d 0.3 N(0, 1); A_log = log U(0.1, 2),
dt_bias = 0.5 + 0.3 N(0, 1) and D = 1 + 0.1 N(0, 1), so the per-step decay spreads and the
recurrent state matters.
"""

import json
from pathlib import Path

import numpy as np
import torch

import transformers
from transformers import NemotronHConfig, NemotronHForCausalLM

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures" / "forward"
SEED = 20261207
TOKENS = [int(t) for t in torch.randint(0, 256, (48,), generator=torch.Generator().manual_seed(SEED + 7))]

NEMOTRON_H = dict(vocab_size=256, hidden_size=64, hybrid_override_pattern="M-M*-M*-", num_attention_heads=8,
                  num_key_value_heads=4, head_dim=8, max_position_embeddings=256, attention_bias=False,
                  intermediate_size=128, mlp_hidden_act="relu2", mlp_bias=False, mamba_num_heads=8,
                  mamba_head_dim=16, n_groups=4, ssm_state_size=16, conv_kernel=4, expand=2, use_conv_bias=True,
                  chunk_size=128, mamba_hidden_act="silu", use_bias=False, layer_norm_epsilon=1e-5,
                  tie_word_embeddings=False, residual_in_fp32=False)


def randomize(model, gen):
    with torch.no_grad():
        for name, b in model.named_buffers():
            if name.endswith("e_score_correction_bias"):
                b.copy_(0.1 * torch.randn(b.shape, generator=gen, dtype=torch.float64))
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            if name.endswith("A_log"):
                u = torch.rand(p.shape, generator=gen, dtype=torch.float64)
                p.copy_(torch.log(0.1 + 1.9 * u))
            elif name.endswith("dt_bias"):
                p.copy_(0.5 + 0.3 * noise)
            elif name.endswith(".D"):
                p.copy_(1.0 + 0.1 * noise)
            elif "conv1d" in name:
                p.copy_(0.3 * noise)
            elif "norm" in name:
                p.copy_(1.0 + 0.1 * noise)
            else:
                p.copy_(0.08 * noise)


def build(cfg_dict, salt):
    cfg = NemotronHConfig(**cfg_dict)
    cfg._attn_implementation = "eager"
    torch.manual_seed(SEED + salt)
    model = NemotronHForCausalLM(cfg).to(torch.float32).eval()
    randomize(model, torch.Generator().manual_seed(SEED + salt))
    return model


def logits_of(model):
    with torch.no_grad():
        return model(torch.tensor([TOKENS]), use_cache=False).logits[0].float().numpy()


def make(name, cfg_dict, salt):
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model = build(cfg_dict, salt)
    model.save_pretrained(folder, safe_serialization=True)
    logits = logits_of(model)
    meta = {"seed": SEED, "tokens": TOKENS, "torch": torch.__version__, "reference": "transformers",
            "transformers": transformers.__version__, "logits_abs_max": float(np.abs(logits).max())}
    # What each layer kind contributes: the logits' change when its output projection is zeroed.
    for kind, suffix in (("mamba2", "mixer.out_proj.weight"), ("attention", "mixer.o_proj.weight"),
                         ("mlp", "mixer.down_proj.weight"), ("shared_expert", "shared_experts.down_proj.weight")):
        probe = build(cfg_dict, salt)
        with torch.no_grad():
            for pname, p in probe.named_parameters():
                if pname.endswith(suffix):
                    p.zero_()
        if any(pname.endswith(suffix) for pname, _ in probe.named_parameters()):
            meta["max_abs_change_without_" + kind] = float(np.abs(logits_of(probe) - logits).max())
    # The expert bias only steers the choice: the logits change when it is zeroed.
    if cfg_dict.get("n_routed_experts") and "E" in cfg_dict["hybrid_override_pattern"]:
        probe = build(cfg_dict, salt)
        with torch.no_grad():
            for bname, b in probe.named_buffers():
                if bname.endswith("e_score_correction_bias"):
                    b.zero_()
        meta["max_abs_change_without_expert_bias"] = float(np.abs(logits_of(probe) - logits).max())
    (folder / "tokens.json").write_text(json.dumps(TOKENS) + "\n")
    np.save(folder / "logits.npy", np.ascontiguousarray(logits, dtype=np.float32))
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(name, json.dumps(meta))


NEMOTRON_H_MOE = dict(NEMOTRON_H, hybrid_override_pattern="ME*EM-*E", n_routed_experts=8, num_experts_per_tok=2,
                      moe_intermediate_size=32, n_shared_experts=1, moe_shared_expert_intermediate_size=48,
                      n_group=2, topk_group=1, routed_scaling_factor=2.5, norm_topk_prob=True)


def main():
    make("nemotron_h", NEMOTRON_H, 3)
    make("nemotron_h_moe", NEMOTRON_H_MOE, 4)


if __name__ == "__main__":
    main()
