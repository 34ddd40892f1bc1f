#!/usr/bin/env python3
"""Reference fixtures for the Llama / Mistral family (tests/core/test_llama.cpp).

Run by hand, never at test time; the outputs are committed under tests/reference/fixtures/forward/:

    /usr/bin/python3 -m venv --system-site-packages /work/venv-ref   # Debian's python3-torch
    /work/venv-ref/bin/pip install transformers==4.47.1
    /work/venv-ref/bin/python tests/reference/make_llama_fixtures.py

It writes two small random f32 models with seeded weights, each as a folder holding config.json,
model.safetensors (save_pretrained), tokens.json, logits.npy (float32 [T, vocab], transformers in
fp32 with eager attention) and meta.json (versions, and the logits' change when rope_scaling is
dropped, which shows the scaling is exercised):

  llama/    LlamaForCausalLM: dims of Strata's `llama-tiny` preset (hidden 64, 4 layers, 8/4 heads of 8,
            FFN 128, vocab 256), untied embeddings, rope_theta 10000 and rope_scaling llama3 with
            original_max_position_embeddings 128, so the tiny head's inverse frequencies fall in all
            three llama3 bands (kept, interpolated, divided by factor); 48 tokens.
  mistral/  MistralForCausalLM: hidden 64, 4 layers, 8/4 heads of 16 (head_dim != hidden / heads),
            FFN 128, vocab 256, tied embeddings, rope_theta 1e6, no sliding window.
"""

import json
from pathlib import Path

import numpy as np
import torch

import transformers
from transformers import LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

HERE = Path(__file__).resolve().parent
OUT = HERE / "fixtures" / "forward"
SEED = 20261207
TOKENS = [int(t) for t in torch.randint(0, 256, (48,), generator=torch.Generator().manual_seed(SEED))]

LLAMA = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=8,
             num_key_value_heads=4, head_dim=8, max_position_embeddings=256, rms_norm_eps=1e-5, hidden_act="silu",
             attention_bias=False, mlp_bias=False, tie_word_embeddings=False, rope_theta=10000.0,
             rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0, high_freq_factor=4.0,
                               original_max_position_embeddings=128))
MISTRAL = dict(vocab_size=256, hidden_size=64, intermediate_size=128, num_hidden_layers=4, num_attention_heads=8,
               num_key_value_heads=4, head_dim=16, max_position_embeddings=256, rms_norm_eps=1e-5,
               hidden_act="silu", tie_word_embeddings=True, rope_theta=1e6, sliding_window=None)


def randomize(model, gen):
    """Weights big enough that logits are O(1): N(0, 0.08), norms 1 + N(0, 0.1)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen, dtype=torch.float64)
            p.copy_(1.0 + 0.1 * noise if "norm" in name else 0.08 * noise)


def build(cfg_cls, model_cls, cfg_dict, salt):
    cfg = cfg_cls(**cfg_dict)
    cfg._attn_implementation = "eager"
    torch.manual_seed(SEED + salt)
    model = model_cls(cfg).to(torch.float32).eval()
    randomize(model, torch.Generator().manual_seed(SEED + salt))
    if cfg_dict.get("tie_word_embeddings"):
        model.tie_weights()
    return model


def logits_of(model):
    with torch.no_grad():
        return model(torch.tensor([TOKENS])).logits[0].float().numpy()


def make(name, cfg_cls, model_cls, cfg_dict, salt):
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model = build(cfg_cls, model_cls, cfg_dict, salt)
    model.save_pretrained(folder, safe_serialization=True)
    logits = logits_of(model)
    meta = {"seed": SEED, "tokens": TOKENS, "torch": torch.__version__, "reference": "transformers",
            "transformers": transformers.__version__, "logits_abs_max": float(np.abs(logits).max())}
    if cfg_dict.get("rope_scaling"):
        plain = build(cfg_cls, model_cls, dict(cfg_dict, rope_scaling=None), salt)
        meta["max_abs_change_without_rope_scaling"] = float(np.abs(logits_of(plain) - logits).max())
    (folder / "tokens.json").write_text(json.dumps(TOKENS) + "\n")
    np.save(folder / "logits.npy", np.ascontiguousarray(logits, dtype=np.float32))
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(name, json.dumps(meta))


def main():
    make("llama", LlamaConfig, LlamaForCausalLM, LLAMA, 1)
    make("mistral", MistralConfig, MistralForCausalLM, MISTRAL, 2)


if __name__ == "__main__":
    main()
