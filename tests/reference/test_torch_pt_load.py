#!/usr/bin/python3
"""Real torch loads .pt files written by Strata, and Strata reads what torch wrote.

ctest runs: /usr/bin/python3 test_torch_pt_load.py <strata-cli> <write_pt_sample>
Exit 77 (skipped) when torch is not importable (only Debian's /usr/bin/python3 has it).
Checks:
  - megatron.pt (Megatron profile) loads with weights_only=False: args is an
    argparse.Namespace, checkpoint_version the float 3.0, model an OrderedDict with the
    expected keys, dtypes, shapes and values; weights_only=True refuses it (Namespace).
  - safe.pt (weights_only_safe profile) loads with weights_only=True.
  - every record is stored and 64-byte aligned, as torch.save writes them.
  - `strata inspect --json` on a torch.save file lists torch's names, dtypes and shapes.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import zipfile

try:
    import torch
except ImportError:
    print("torch is not importable by this python; skipping")
    sys.exit(77)

TENSORS = [("embedding.word_embeddings.weight", torch.bfloat16, (4, 3)),
           ("decoder.final_layernorm.weight", torch.float32, (3,)),
           ("positions", torch.int64, (5,)),
           ("decoder.layers.0.mlp.linear_fc2.weight", torch.float16, (2, 2, 2))]
STRATA_DTYPES = {torch.bfloat16: "BF16", torch.float32: "F32", torch.int64: "I64", torch.float16: "F16"}


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def check_model(model, label):
    check(isinstance(model, collections.OrderedDict), f"{label}: model is an OrderedDict")
    check(list(model.keys()) == [t[0] for t in TENSORS], f"{label}: model keys in order")
    for k, (name, dtype, shape) in enumerate(TENSORS):
        t = model[name]
        check(t.dtype == dtype and tuple(t.shape) == shape, f"{label}: {name} is {dtype} {shape}")
        want = (torch.arange(t.numel(), dtype=torch.float64) + (k + 1) * 100).reshape(shape).to(dtype)
        check(torch.equal(t, want), f"{label}: {name} values")


def check_layout(path):
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        root = os.path.splitext(os.path.basename(path))[0]
        names = [i.filename for i in infos]
        check(names[0] == f"{root}/data.pkl" and names[-1] == f"{root}/version", f"{path}: record order")
        check(z.read(f"{root}/version") == b"3\n" and z.read(f"{root}/byteorder") == b"little",
              f"{path}: version and byteorder records")
        with open(path, "rb") as f:
            raw = f.read()
        for i in infos:
            check(i.compress_type == zipfile.ZIP_STORED, f"{i.filename} is stored")
            name_len = int.from_bytes(raw[i.header_offset + 26:i.header_offset + 28], "little")
            extra_len = int.from_bytes(raw[i.header_offset + 28:i.header_offset + 30], "little")
            check((i.header_offset + 30 + name_len + extra_len) % 64 == 0, f"{i.filename} data is 64-byte aligned")
        check(z.testzip() is None, f"{path}: every CRC-32 matches")


def main():
    strata, helper = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([helper, d], check=True)
        mg_path, safe_path = os.path.join(d, "megatron.pt"), os.path.join(d, "safe.pt")

        mg = torch.load(mg_path, weights_only=False)
        check(list(mg.keys()) == ["args", "checkpoint_version", "iteration", "model"], "megatron: top-level keys")
        args = mg["args"]
        check(isinstance(args, argparse.Namespace), "megatron: args is an argparse.Namespace")
        check(args.lr == 0.25 and args.num_layers == 1 and args.swiglu is True and args.vpp is None,
              "megatron: args values")
        check(args.params_dtype is torch.bfloat16, "megatron: params_dtype is torch.bfloat16")
        check(args.ranks == [1, 2] and args.tokenizer_type == "GPT2BPETokenizer", "megatron: list and str args")
        check(isinstance(mg["checkpoint_version"], float) and mg["checkpoint_version"] == 3.0,
              "megatron: checkpoint_version is 3.0")
        check(mg["iteration"] == 10, "megatron: iteration")
        check_model(mg["model"], "megatron")
        try:
            torch.load(mg_path, weights_only=True)
            refused = False
        except Exception:  # Namespace (and, on torch < 2.0, BINFLOAT) are not allow-listed
            refused = True
        check(refused, "megatron profile is refused by weights_only=True, as documented")

        safe = torch.load(safe_path, weights_only=True)
        check(isinstance(safe["args"], dict) and safe["args"]["num_layers"] == 1, "safe: args is a plain dict")
        check(safe["args"]["lr"] == "0.25", "safe: non-integral float written as its decimal string")
        check(safe["args"]["params_dtype"] == "torch.bfloat16", "safe: dtype global written as its name")
        check(safe["checkpoint_version"] == 3 and safe["iteration"] == 10, "safe: checkpoint_version and iteration")
        check_model(safe["model"], "safe")

        check_layout(mg_path)
        check_layout(safe_path)

        # The other direction, through the CLI: Strata lists what torch.save wrote.
        base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
        sd = collections.OrderedDict([("w", base), ("w_t", base.t()), ("row", base[1]),
                                      ("h", torch.ones(2, 5, dtype=torch.bfloat16))])
        torch_path = os.path.join(d, "from_torch.pt")
        torch.save(sd, torch_path)
        out = subprocess.run([strata, "inspect", "--json", torch_path], check=True, capture_output=True, text=True)
        doc = json.loads(out.stdout)
        check(doc["format"] == "torch", "inspect: format torch")
        listed = {t["name"]: (t["dtype"], t["shape"]) for t in doc["tensors"]}
        want = {k: (STRATA_DTYPES[v.dtype], list(v.shape)) for k, v in sd.items()}
        check(listed == want, f"inspect: names, dtypes, shapes {listed}")
    print("all torch .pt reference checks passed")


if __name__ == "__main__":
    main()
