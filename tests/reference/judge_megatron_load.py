#!/usr/bin/env python3
"""megatron-core as the judge of Strata's Megatron output: Strata converts a synthesized HF model
to Megatron (torch_dist and legacy), megatron-core loads it into GPTModels on CPU (local layer
spec, gloo ranks) with strict keys, runs a forward on TOKENS, and the logits must match HF
transformers' logits of the source model within TOLERANCE. A deliberately corrupted copy of a
torch_dist output (one chunk's bytes changed) must fail: the load errors or the logits differ.

Run by hand (CI's Debian torch 1.13 has no torch.distributed.checkpoint), in a venv holding torch
(2.15 used), transformers (5.23 used), safetensors and megatron-core (0.16.1 used):
    /work/venv-ref5/bin/python tests/reference/judge_megatron_load.py build/app/cli/strata
Other megatron-core releases without their dependencies, ahead of the venv's:
    pip install --no-deps --target /tmp/mc13 megatron-core==0.13.1
    PYTHONPATH=/tmp/mc13 /work/venv-ref5/bin/python tests/reference/judge_megatron_load.py build/app/cli/strata
(0.13.1 and 0.14.0 pass; 0.15.0's import JIT-compiles a CUDA extension and stops on a CPU machine.)
Prints one line per case and exits 1 when any case fails.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_torch_dist_fixtures as base  # noqa: E402  free_port
import make_torch_dist_gpt_fixtures as gpt  # noqa: E402  the CPU stubs

TOKENS = [3, 17, 99, 200, 5, 42, 128, 7]
TOLERANCE = 1e-4

# name -> (synth preset, strata convert flags, ckpt format, ranks as (tp, pp, ep))
CASES = {
    "dense torch_dist tp1": ("tiny-dense", ["--tp", "1"], "torch_dist", (1, 1, 1)),
    "dense torch_dist tp2, loaded into tp2": ("tiny-dense", ["--tp", "2"], "torch_dist", (2, 1, 1)),
    "dense torch_dist tp2, loaded into tp1": ("tiny-dense", ["--tp", "2"], "torch_dist", (1, 1, 1)),
    "dense torch_dist tp1 pp2, loaded into pp2": ("tiny-dense", ["--pp", "2"], "torch_dist", (1, 2, 1)),
    "tied torch_dist pp2, loaded into tp2": ("tiny-dense-tied", ["--pp", "2"], "torch_dist", (2, 1, 1)),
    "moe torch_dist ep2, loaded into ep2": ("tiny", ["--ep", "2"], "torch_dist", (1, 1, 2)),
    "moe torch_dist tp2 ep4, loaded into tp1": ("tiny", ["--tp", "2", "--ep", "4"], "torch_dist", (1, 1, 1)),
    "dense legacy tp2": ("tiny-dense", ["--tp", "2"], "torch", (2, 1, 1)),
    "moe legacy ep2": ("tiny", ["--ep", "2", "--expert-layout", "sequential"], "torch", (1, 1, 2)),
    "dense legacy pp2 vpp2": ("tiny-dense", ["--pp", "2", "--vpp", "2"], "torch", (1, 2, 1)),
    "moe legacy tp2 pp2 vpp2": ("tiny", ["--tp", "2", "--pp", "2", "--vpp", "2", "--expert-layout", "sequential"],
                                "torch", (2, 2, 1)),
}


def hf_config(path):
    with open(os.path.join(path, "config.json")) as f:
        return json.load(f)


def transformer_config(c, tp, pp, ep):
    from megatron.core.transformer.transformer_config import TransformerConfig
    moe = {}
    if c.get("num_experts"):
        moe = dict(num_moe_experts=c["num_experts"], moe_router_topk=c["num_experts_per_tok"],
                   moe_ffn_hidden_size=c["moe_intermediate_size"], moe_router_load_balancing_type="none",
                   moe_aux_loss_coeff=0.0, moe_token_dispatcher_type="allgather", moe_router_score_function="softmax",
                   moe_router_pre_softmax=False)
    return TransformerConfig(
        num_layers=c["num_hidden_layers"], hidden_size=c["hidden_size"], num_attention_heads=c["num_attention_heads"],
        num_query_groups=c["num_key_value_heads"], kv_channels=c["head_dim"],
        ffn_hidden_size=c.get("intermediate_size") or c["moe_intermediate_size"], gated_linear_unit=True,
        activation_func=torch.nn.functional.silu, normalization="RMSNorm", layernorm_epsilon=c["rms_norm_eps"],
        qk_layernorm=True, add_bias_linear=False, hidden_dropout=0.0, attention_dropout=0.0,
        use_cpu_initialization=True, params_dtype=torch.float32, tensor_model_parallel_size=tp,
        pipeline_model_parallel_size=pp, expert_model_parallel_size=ep, pipeline_dtype=torch.float32,
        sequence_parallel=False, **moe)


def padded_vocab(c, tp):
    m = 128 * tp
    return (c["vocab_size"] + m - 1) // m * m


def build(c, cfg, tp, pre, post, vp_stage=None):
    from megatron.core.models.gpt import GPTModel
    from megatron.core.models.gpt.gpt_layer_specs import get_gpt_layer_local_spec
    spec = get_gpt_layer_local_spec(num_experts=c.get("num_experts"), qk_layernorm=True, normalization="RMSNorm")
    return GPTModel(config=cfg, transformer_layer_spec=spec, vocab_size=padded_vocab(c, tp), max_sequence_length=4096,
                    pre_process=pre, post_process=post, parallel_output=False,
                    share_embeddings_and_output_weights=c.get("tie_word_embeddings", False),
                    position_embedding_type="rope", rotary_base=c["rope_theta"],
                    **({"vp_stage": vp_stage} if vp_stage is not None else {}))


def load_torch_dist(models, ckpt):
    (model,) = models
    from megatron.core import dist_checkpointing
    with open(os.path.join(ckpt, "latest_checkpointed_iteration.txt")) as f:
        it = f.read().strip()
    folder = "release" if it == "release" else "iter_%07d" % int(it)
    # As Megatron-LM's training loads it: the model under "model", the common state beside it.
    loaded = dist_checkpointing.load({"model": model.sharded_state_dict()}, os.path.join(ckpt, folder))
    model.load_state_dict(loaded["model"], strict=True)


def load_legacy(models, ckpt, ps):
    tp, pp, ep = ps.get_tensor_model_parallel_rank(), ps.get_pipeline_model_parallel_rank(), \
        ps.get_expert_model_parallel_rank()
    tps, pps, eps = ps.get_tensor_model_parallel_world_size(), ps.get_pipeline_model_parallel_world_size(), \
        ps.get_expert_model_parallel_world_size()
    name = "mp_rank_%02d" % tp + ("_%03d" % pp if pps > 1 else "") + ("_%03d" % ep if eps > 1 else "")
    state = torch.load(os.path.join(ckpt, "iter_0000001", name, "model_optim_rng.pt"), map_location="cpu",
                       weights_only=False)
    for v, model in enumerate(models):  # VPP: model0, model1 ... in one rank file
        sd = state["model"] if len(models) == 1 else state["model%d" % v]
        missing, unexpected = model.load_state_dict(sd, strict=False)
        missing = [k for k in missing if not k.endswith("_extra_state")]
        if missing or unexpected:
            raise RuntimeError(f"legacy load: missing {missing[:4]}, unexpected {unexpected[:4]}")


def worker(rank, world, port, hf, ckpt, fmt, ranks, vpp, out):
    tp, pp, ep = ranks
    stub = gpt.init_parallel  # initialises with VPP 1; VPP chunks are built by hand below
    ps = stub(rank, world, port, tp, pp, ep)
    c = hf_config(hf)
    cfg = transformer_config(c, tp, pp, ep)
    if vpp > 1:
        cfg.virtual_pipeline_model_parallel_size = vpp
        ps.set_virtual_pipeline_model_parallel_world_size(vpp)
    p = ps.get_pipeline_model_parallel_rank()
    # Model chunk v of this stage is global chunk v·PP + p (Megatron's interleaved schedule).
    models = [build(c, cfg, tp, p == 0 and v == 0, p == pp - 1 and v == vpp - 1, v if vpp > 1 else None)
              for v in range(vpp)]
    result = {}
    try:
        if fmt == "torch_dist":
            load_torch_dist(models, ckpt)
        else:
            load_legacy(models, ckpt, ps)
        tokens = torch.tensor([TOKENS])
        positions = torch.arange(len(TOKENS)).unsqueeze(0)
        mask = torch.triu(torch.ones(1, 1, len(TOKENS), len(TOKENS), dtype=torch.bool), diagonal=1)
        logits = None
        with torch.no_grad():
            for chunk in range(pp * vpp):  # the chunks in layer order, hidden states handed along
                owner, v = chunk % pp, chunk // pp
                if owner != p:
                    continue
                model = models[v]
                model.eval()
                if chunk > 0:
                    hidden = torch.zeros(len(TOKENS), 1, c["hidden_size"])
                    dist.recv(hidden, src=rank + ((chunk - 1) % pp - p) * tp)
                    model.set_input_tensor(hidden)
                y = model(tokens, positions, mask)
                if chunk == pp * vpp - 1:
                    logits = y
                else:
                    dist.send(y.contiguous(), dst=rank + ((chunk + 1) % pp - p) * tp)
        if logits is not None and rank == world - 1:
            result["logits"] = logits[0, :, :c["vocab_size"]].float()
    except Exception as e:  # noqa: BLE001  the judge reports it
        result["error"] = f"{type(e).__name__}: {str(e)[:300]}"
    if rank == world - 1 or "error" in result:
        torch.save(result, out + f".{rank}")
    dist.barrier()
    dist.destroy_process_group()


def hf_logits(hf):
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(hf, torch_dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        return model(torch.tensor([TOKENS])).logits[0].float()


def judge(ckpt, hf, fmt, ranks, tmp, vpp=1):
    world = ranks[0] * ranks[1] * ranks[2]
    out = os.path.join(tmp, "result")
    for f in os.listdir(tmp):
        if f.startswith("result."):
            os.remove(os.path.join(tmp, f))
    mp.spawn(worker, args=(world, base.free_port(), hf, ckpt, fmt, ranks, vpp, out), nprocs=world)
    results = [torch.load(os.path.join(tmp, f)) for f in sorted(os.listdir(tmp)) if f.startswith("result.")]
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        return None, errors[0]
    return next(r["logits"] for r in results if "logits" in r), None


def corrupt(ckpt, tmp):
    """A copy of a torch_dist output with one tensor chunk's values changed in place: the first
    qkv chunk's stored floats tripled (the zip record's CRC left as it was)."""
    import io
    import struct
    import zipfile
    bad = os.path.join(tmp, "corrupted")
    shutil.rmtree(bad, ignore_errors=True)
    shutil.copytree(ckpt, bad)
    from torch.distributed.checkpoint import FileSystemReader
    folder = os.path.join(bad, "iter_0000001")
    md = FileSystemReader(folder).read_metadata()
    for index, info in md.storage_data.items():
        if index.fqn != "decoder.layers.self_attention.linear_qkv.weight":
            continue
        path = os.path.join(folder, info.relative_path)
        with open(path, "rb") as f:
            f.seek(info.offset)
            item = f.read(info.length)
        record = next(r for r in zipfile.ZipFile(io.BytesIO(item)).infolist() if r.filename.endswith("/data/0"))
        name_len, extra_len = struct.unpack("<HH", item[record.header_offset + 26:record.header_offset + 30])
        start = info.offset + record.header_offset + 30 + name_len + extra_len
        values = torch.frombuffer(bytearray(item[start - info.offset:start - info.offset + record.file_size]),
                                  dtype=torch.float32)
        with open(path, "r+b") as f:
            f.seek(start)
            f.write((values * 3.0).numpy().tobytes())
        return bad
    raise RuntimeError("no qkv chunk found")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("strata")
    parser.add_argument("cases", nargs="*", default=list(CASES))
    opts = parser.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        hf_cache = {}
        for name in opts.cases:
            preset, flags, fmt, ranks = CASES[name]
            hf = os.path.join(tmp, preset)
            if preset not in hf_cache:
                subprocess.run([opts.strata, "synth", "--preset", preset, "--dtype", "f32", "--out", hf], check=True,
                               stdout=subprocess.DEVNULL)
                hf_cache[preset] = hf_logits(hf)
            want = hf_cache[preset]
            ckpt = os.path.join(tmp, "out")
            shutil.rmtree(ckpt, ignore_errors=True)
            subprocess.run([opts.strata, "convert", hf, "--to", "megatron", "--ckpt-format", fmt, "--norm-layout",
                            "local", *flags, "--out", ckpt], check=True, stdout=subprocess.DEVNULL)
            vpp = int(flags[flags.index("--vpp") + 1]) if "--vpp" in flags else 1
            logits, error = judge(ckpt, hf, fmt, ranks, tmp, vpp)
            if error:
                print(f"FAIL {name}: megatron-core: {error}")
                failed += 1
                continue
            diff = (logits - want).abs().max().item()
            ok = diff <= TOLERANCE
            failed += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {name}: max |megatron-core - transformers| = {diff:.2e} "
                  f"(|logits| up to {want.abs().max().item():.2f})")
            if fmt == "torch_dist" and name == "dense torch_dist tp1":
                bad = corrupt(ckpt, tmp)
                logits, error = judge(bad, hf, fmt, ranks, tmp)
                caught = error is not None or (logits - want).abs().max().item() > TOLERANCE
                failed += not caught
                what = error if error else f"logits differ by {(logits - want).abs().max().item():.2e}"
                print(f"{'ok  ' if caught else 'FAIL'} corrupted copy is caught: {what}")
                shutil.rmtree(bad)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
