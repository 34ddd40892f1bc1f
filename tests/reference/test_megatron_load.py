#!/usr/bin/python3
"""Converts the tiny preset to Megatron (TP2 PP2 EP4) with Strata and loads every
rank file in real torch: top-level keys, args fields, and each model tensor's
shape and dtype against what Megatron's modules hold; then checks values: the
QKV rows of rank 0 are the HF q/k/v rows in group-major order and expert 5's fc1
on its EP rank is [gate_r; up_r].

Usage: /usr/bin/python3 test_megatron_load.py <path-to-strata>   (exit 77 = no torch: skipped)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    print("torch is not installed: skipped")
    sys.exit(77)

try:
    from safetensors.torch import load_file  # noqa: F401
    HAVE_SAFETENSORS = True
except ImportError:
    HAVE_SAFETENSORS = False


def run(strata, *args):
    subprocess.run([strata, *args], check=True, stdout=subprocess.DEVNULL)


def read_safetensors(path):
    """Minimal safetensors reader (no dependency): name -> torch tensor."""
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        b, e = meta["data_offsets"]
        dtype = {"BF16": torch.bfloat16, "F32": torch.float32}[meta["dtype"]]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(meta["shape"])
    return out


def check_tied(strata, tmp, check):
    """Tied embeddings with PP2: the last stage holds output_layer.weight, a copy of the
    embedding rows of its TP rank (Megatron's LanguageModule keeps one there)."""
    hf = os.path.join(tmp, "tied")
    mg = os.path.join(tmp, "tied-mg")
    run(strata, "synth", "--preset", "tiny-dense-tied", "--out", hf)
    run(strata, "convert", hf, "--to", "megatron", "--tp", "2", "--pp", "2", "--out", mg)
    emb = read_safetensors(os.path.join(hf, "model.safetensors"))["model.embed_tokens.weight"]
    for tp in range(2):
        first = torch.load(os.path.join(mg, "iter_0000001", "mp_rank_%02d_000" % tp, "model_optim_rng.pt"),
                           map_location="cpu", weights_only=False)
        last = torch.load(os.path.join(mg, "iter_0000001", "mp_rank_%02d_001" % tp, "model_optim_rng.pt"),
                          map_location="cpu", weights_only=False)
        check(last["args"].untie_embeddings_and_output_weights is False, "tied: untie flag is False")
        check("output_layer.weight" not in first["model"], "tied: no output layer on the first stage")
        check("embedding.word_embeddings.weight" not in last["model"], "tied: no embedding on the last stage")
        rows = emb[tp * 128:(tp + 1) * 128]
        check(torch.equal(first["model"]["embedding.word_embeddings.weight"], rows), "tied: embedding rows")
        check(torch.equal(last["model"].get("output_layer.weight", torch.empty(0)), rows), "tied: output layer copy")


def main():
    strata = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="strata-megatron-load-")
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    try:
        hf = os.path.join(tmp, "tiny")
        mg = os.path.join(tmp, "mg")
        run(strata, "synth", "--preset", "tiny", "--out", hf)
        run(strata, "convert", hf, "--to", "megatron", "--tp", "2", "--pp", "2", "--ep", "4", "--out", mg)
        src = read_safetensors(os.path.join(hf, "model.safetensors"))
        with open(os.path.join(mg, "latest_checkpointed_iteration.txt")) as f:
            check(f.read().strip() == "1", "tracker says 1")
        H, F, E, EL, HD = 64, 32, 8, 2, 16
        for tp in range(2):
            for pp in range(2):
                for ep in range(4):
                    path = os.path.join(mg, "iter_0000001", "mp_rank_%02d_%03d_%03d" % (tp, pp, ep), "model_optim_rng.pt")
                    ck = torch.load(path, map_location="cpu", weights_only=False)
                    check(set(ck.keys()) >= {"args", "checkpoint_version", "iteration", "model"}, path + " keys")
                    check(ck["checkpoint_version"] == 3.0, "checkpoint_version")
                    check(ck["iteration"] == 1, "iteration")
                    a = ck["args"]
                    check(type(a).__name__ == "Namespace", "args is a Namespace")
                    check(a.tensor_model_parallel_size == 2 and a.pipeline_model_parallel_size == 2
                          and a.expert_model_parallel_size == 4, "parallel sizes")
                    check(a.num_layers == 4 and a.hidden_size == H and a.num_experts == E
                          and a.num_query_groups == 2 and a.kv_channels == HD and a.moe_ffn_hidden_size == F,
                          "model args")
                    check(a.padded_vocab_size == 256, "padded vocab")
                    # Megatron-LM's check_checkpoint_args compares this with the launch default (True).
                    check(a.add_position_embedding is True, "add_position_embedding as Megatron-LM saves it")
                    m = ck["model"]
                    want = {
                        "decoder.layers.0.self_attention.linear_qkv.weight": (96, H),
                        "decoder.layers.1.self_attention.linear_proj.weight": (H, 64),
                        "decoder.layers.0.self_attention.linear_qkv.layer_norm_weight": (H,),
                        "decoder.layers.0.self_attention.q_layernorm.weight": (HD,),
                        "decoder.layers.0.pre_mlp_layernorm.weight": (H,),
                        "decoder.layers.1.mlp.router.weight": (E, H),
                    }
                    for i in range(EL):
                        want["decoder.layers.0.mlp.experts.linear_fc1.weight%d" % i] = (F, H)
                        want["decoder.layers.1.mlp.experts.linear_fc2.weight%d" % i] = (H, F // 2)
                    if pp == 0:
                        want["embedding.word_embeddings.weight"] = (128, H)
                    else:
                        want["output_layer.weight"] = (128, H)
                        want["decoder.final_layernorm.weight"] = (H,)
                    for k, shape in want.items():
                        check(k in m, "%s has %s" % (path, k))
                        if k in m:
                            check(tuple(m[k].shape) == shape, "%s %s shape %s != %s" % (path, k, tuple(m[k].shape), shape))
                            check(m[k].dtype == torch.bfloat16, "%s %s dtype" % (path, k))
                    check(all(k.startswith(("decoder.", "embedding.", "output_layer.")) for k in m), "only model keys")
                    check(not any("layers.2." in k or "weight2" in k for k in m), "local indices only")
                    # Values: group-major QKV on TP rank tp (group tp), layer 0 of stage pp = global 2*pp.
                    L = 2 * pp
                    q = src["model.layers.%d.self_attn.q_proj.weight" % L]
                    k_ = src["model.layers.%d.self_attn.k_proj.weight" % L]
                    v = src["model.layers.%d.self_attn.v_proj.weight" % L]
                    g = tp
                    qkv = torch.cat([q[g * 64:(g + 1) * 64], k_[g * HD:(g + 1) * HD], v[g * HD:(g + 1) * HD]])
                    check(torch.equal(m["decoder.layers.0.self_attention.linear_qkv.weight"], qkv), "%s qkv values" % path)
                    # Expert fc1: local 1 on EP rank ep = global 2*ep+1; ETP rank = tp.
                    e = 2 * ep + 1
                    gate = src["model.layers.%d.mlp.experts.%d.gate_proj.weight" % (L, e)]
                    up = src["model.layers.%d.mlp.experts.%d.up_proj.weight" % (L, e)]
                    r = tp
                    fc1 = torch.cat([gate[r * 16:(r + 1) * 16], up[r * 16:(r + 1) * 16]])
                    check(torch.equal(m["decoder.layers.0.mlp.experts.linear_fc1.weight1"], fc1), "%s fc1 values" % path)
                    if pp == 0:
                        emb = src["model.embed_tokens.weight"][tp * 128:(tp + 1) * 128]
                        check(torch.equal(m["embedding.word_embeddings.weight"], emb), "embedding rows")
        check_tied(strata, tmp, check)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        for f in failures[:20]:
            print("FAIL:", f)
        sys.exit(1)
    print("ok: 16 rank files (and a tied PP2 model's 4) load in torch %s with the expected keys, shapes, dtypes "
          "and values" % torch.__version__)


if __name__ == "__main__":
    main()
