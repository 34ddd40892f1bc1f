#!/usr/bin/python3
"""Writes the small torch.save fixtures Strata's reader is checked against.

Run by hand with Debian's python3 (torch 1.13 from python3-torch):
    /usr/bin/python3 tests/reference/make_pt_fixtures.py
Outputs tests/reference/fixtures/torch/*.pt plus expected.json (names, dtypes,
shapes and a checksum of each tensor's values, as Strata computes it: FNV-1a 64
over the tensor's contiguous little-endian bytes). Commit the outputs.
"""
import argparse
import collections
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "torch")


def fnv1a64(data: bytes) -> str:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


DTYPE_NAMES = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64",
               torch.float16: "F16", torch.int32: "I32", torch.uint8: "U8", torch.bool: "BOOL"}


def tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def describe(tensors):
    return {name: {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape),
                   "contiguous": t.is_contiguous(), "fnv1a64": fnv1a64(tensor_bytes(t))}
            for name, t in tensors.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=OUT)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    g = torch.Generator().manual_seed(1234)
    expected = {}

    # 1. A plain state dict: bf16, f32, int64, a view sharing storage, a transposed tensor.
    base = torch.randn(4, 6, generator=g)
    sd = collections.OrderedDict()
    sd["embed.weight"] = torch.randn(5, 3, generator=g).to(torch.bfloat16)
    sd["layer.0.weight"] = base
    sd["layer.0.view"] = base[1:3]           # shares base's storage, storage_offset 6
    sd["layer.0.weight_t"] = base.t()        # non-contiguous, strides (1, 6)
    sd["layer.0.bias"] = torch.randn(6, generator=g)
    sd["positions"] = torch.arange(7, dtype=torch.int64)
    sd["scalar"] = torch.tensor(2.5)
    sd["mask"] = torch.tensor([True, False, True])
    torch.save(sd, os.path.join(out, "state_dict.pt"))
    expected["state_dict.pt"] = {"tensors": describe(sd)}

    # 2. Nested dicts with a list: names are flattened with '.'.
    nested = {"encoder": {"w": torch.ones(2, 2, dtype=torch.float16), "layers": [torch.zeros(3, dtype=torch.int32),
                                                                                 torch.arange(4, dtype=torch.uint8)]},
              "step": 17, "name": "nested"}
    torch.save(nested, os.path.join(out, "nested.pt"))
    expected["nested.pt"] = {"tensors": describe({"encoder.w": nested["encoder"]["w"],
                                                  "encoder.layers.0": nested["encoder"]["layers"][0],
                                                  "encoder.layers.1": nested["encoder"]["layers"][1]})}

    # 3. A Megatron-like model_optim_rng.pt: args Namespace, checkpoint_version float, model dict.
    args = argparse.Namespace(num_layers=2, hidden_size=8, tensor_model_parallel_size=1,
                              pipeline_model_parallel_size=1, params_dtype=torch.bfloat16,
                              lr=0.0003, seq_length=32, tokenizer_type="GPT2BPETokenizer", swiglu=True,
                              virtual_pipeline_model_parallel_size=None)
    model = collections.OrderedDict()
    model["embedding.word_embeddings.weight"] = torch.randn(16, 8, generator=g).to(torch.bfloat16)
    model["decoder.layers.0.mlp.linear_fc1.weight"] = torch.randn(32, 8, generator=g).to(torch.bfloat16)
    model["decoder.final_layernorm.weight"] = torch.ones(8, dtype=torch.bfloat16)
    model["output_layer.weight"] = model["embedding.word_embeddings.weight"]  # tied: same storage
    mg = {"args": args, "checkpoint_version": 3.0, "iteration": 10, "model": model}
    torch.save(mg, os.path.join(out, "megatron_like.pt"))
    expected["megatron_like.pt"] = {"tensors": describe(model), "iteration": 10, "checkpoint_version": 3.0,
                                    "args": {"num_layers": 2, "hidden_size": 8, "params_dtype": "torch.bfloat16",
                                             "lr": 0.0003, "tokenizer_type": "GPT2BPETokenizer", "swiglu": True,
                                             "virtual_pipeline_model_parallel_size": None}}

    # 4. Contiguous tensors only: Strata's writer must reproduce this file byte for byte.
    plain = collections.OrderedDict()
    plain["tok_embeddings.weight"] = torch.randn(6, 4, generator=g).to(torch.bfloat16)
    plain["norm.weight"] = torch.randn(4, generator=g)
    plain["rope.positions"] = torch.arange(5, dtype=torch.int64)
    plain["attention.wqkv.weight"] = torch.randn(2, 3, 4, 5, generator=g).to(torch.float16)
    plain["step.count"] = torch.tensor(3, dtype=torch.int32)
    torch.save(plain, os.path.join(out, "plain.pt"))
    expected["plain.pt"] = {"tensors": describe(plain)}

    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
