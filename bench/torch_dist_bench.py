#!/usr/bin/env python3
"""torch_dist -> HF and HF -> torch_dist: Strata against the way Python converters do it and cp, same run.

Makes (once, cached under --dir) a megatron-core torch_dist checkpoint of a Qwen3-style dense
GPTModel saved from TP2 (bf16, about 1 GB at the default dims; tests/reference/
make_torch_dist_gpt_fixtures.py builds it), then times:
  strata   `strata convert CKPT --to hf`, wall time and the child's peak RSS
  torch    this script's baseline in a child process: torch.distributed.checkpoint loads the whole
           checkpoint into RAM (_EmptyStateDictLoadPlanner, no process group, as Megatron's
           checkpoint_inspector and slime's converter do), then unstacks the layer axis, splits
           linear_qkv into q/k/v and linear_fc1 into gate/up, and writes model.safetensors
  cp       `cp -r` of the checkpoint's bytes (page cache warm), for scale
and checks with `strata diff` that both outputs hold the same model. Then the other way:
  strata   `strata convert HF --to megatron --ckpt-format torch_dist --tp 2` of Strata's HF output
  cp       `cp -r` of the bytes that wrote (its output folder), for scale
and checks with `strata diff` that the written torch_dist holds megatron-core's model. Prints the ratios.
Needs torch >= 2.4, safetensors and megatron-core (0.16.1 used) in the running Python.
Usage: /work/venv-ref5/bin/python bench/torch_dist_bench.py --strata build/app/cli/strata [--dir /tmp/tdbench]
       [--layers 8] [--hidden 2048]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def make_checkpoint(out, layers, hidden):
    sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
    import torch
    import torch.multiprocessing as mp
    import make_torch_dist_gpt_fixtures as fx
    heads = hidden // 128
    model = dict(tp=2, pp=1, ep=1, experts=None, tied=False,
                 dims=dict(layers=layers, hidden=hidden, heads=heads, groups=max(1, heads // 4), kv=128,
                           ffn=3 * hidden, vocab=32768, dtype=torch.bfloat16))
    os.makedirs(out)
    mp.spawn(fx.save_worker, args=(2, fx.base.free_port(), model, out), nprocs=2)


def torch_baseline(ckpt, out):
    """The Python converter's way: everything in RAM, then split and save."""
    import torch
    from safetensors.torch import save_file
    from torch.distributed.checkpoint import FileSystemReader
    from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
    from torch.distributed.checkpoint.state_dict_loader import _load_state_dict
    iter_dir = os.path.join(ckpt, "iter_0000010")
    sd = {}
    _load_state_dict(sd, storage_reader=FileSystemReader(iter_dir), planner=_EmptyStateDictLoadPlanner(),
                     no_dist=True)
    args = torch.load(os.path.join(iter_dir, "common.pt"), weights_only=False)["args"]
    nh, ng, hd = args.num_attention_heads, args.num_query_groups, args.kv_channels
    ffn = args.ffn_hidden_size
    hf = {"model.embed_tokens.weight": sd["embedding.word_embeddings.weight"],
          "model.norm.weight": sd["decoder.final_layernorm.weight"], "lm_head.weight": sd["output_layer.weight"]}
    for l in range(args.num_layers):
        p = "model.layers.%d." % l
        g = sd["decoder.layers.self_attention.linear_qkv.weight"][l].view(ng, (nh // ng + 2) * hd, -1)
        q, k, v = g.split([nh // ng * hd, hd, hd], dim=1)
        hf[p + "self_attn.q_proj.weight"] = q.reshape(nh * hd, -1).clone()
        hf[p + "self_attn.k_proj.weight"] = k.reshape(ng * hd, -1).clone()
        hf[p + "self_attn.v_proj.weight"] = v.reshape(ng * hd, -1).clone()
        hf[p + "self_attn.o_proj.weight"] = sd["decoder.layers.self_attention.linear_proj.weight"][l]
        hf[p + "self_attn.q_norm.weight"] = sd["decoder.layers.self_attention.q_layernorm.weight"][l]
        hf[p + "self_attn.k_norm.weight"] = sd["decoder.layers.self_attention.k_layernorm.weight"][l]
        fc1 = sd["decoder.layers.mlp.linear_fc1.weight"][l]
        hf[p + "mlp.gate_proj.weight"], hf[p + "mlp.up_proj.weight"] = fc1[:ffn].clone(), fc1[ffn:].clone()
        hf[p + "mlp.down_proj.weight"] = sd["decoder.layers.mlp.linear_fc2.weight"][l]
        hf[p + "input_layernorm.weight"] = sd["decoder.layers.self_attention.linear_qkv.layer_norm_weight"][l]
        hf[p + "post_attention_layernorm.weight"] = sd["decoder.layers.mlp.linear_fc1.layer_norm_weight"][l]
    os.makedirs(out)
    save_file({k: v.contiguous() for k, v in hf.items()}, os.path.join(out, "model.safetensors"))
    config = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": args.hidden_size,
              "num_hidden_layers": args.num_layers, "num_attention_heads": nh, "num_key_value_heads": ng,
              "head_dim": hd, "intermediate_size": ffn, "vocab_size": args.padded_vocab_size,
              "rms_norm_eps": args.norm_epsilon, "rope_theta": float(args.rotary_base),
              "tie_word_embeddings": False, "torch_dtype": "bfloat16"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f)


def timed(cmd):
    """Wall seconds and the command's peak RSS in MB (measured by a fresh wrapper process, so
    earlier children, such as the checkpoint's writers, do not count)."""
    wrapper = ("import resource, subprocess, sys\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", wrapper] + cmd, check=True, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    return wall, int(out.stdout.split()[-1]) / 1024


def folder_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--strata", required=True)
    ap.add_argument("--dir", default="/tmp/strata-torch-dist-bench")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    opts, rest = ap.parse_known_args()
    if opts.baseline:  # the child process that runs the torch way
        torch_baseline(rest[0], rest[1])
        return
    ckpt = os.path.join(opts.dir, "ckpt-%dx%d" % (opts.layers, opts.hidden))
    if not os.path.isdir(ckpt):
        make_checkpoint(ckpt, opts.layers, opts.hidden)
    src_bytes = folder_bytes(ckpt)
    for d in ("cp", "strata-hf", "torch-hf", "strata-td", "cp-td"):
        shutil.rmtree(os.path.join(opts.dir, d), ignore_errors=True)
    subprocess.run(["cat"] + [os.path.join(dp, f) for dp, _, fs in os.walk(ckpt) for f in fs],
                   stdout=subprocess.DEVNULL, check=True)  # warm the page cache for every contender
    cp_s, _ = timed(["sh", "-c", "cp -r '%s' '%s/cp' && sync" % (ckpt, opts.dir)])
    strata_s, strata_mb = timed([opts.strata, "convert", ckpt, "--to", "hf", "--out", os.path.join(opts.dir, "strata-hf")])
    subprocess.run(["sync"], check=True)
    torch_s, torch_mb = timed([sys.executable, os.path.abspath(__file__), "--strata", opts.strata, "--baseline", ckpt,
                               os.path.join(opts.dir, "torch-hf")])
    same = subprocess.run([opts.strata, "diff", os.path.join(opts.dir, "strata-hf"), os.path.join(opts.dir, "torch-hf")],
                          stdout=subprocess.PIPE, text=True)
    out_bytes = folder_bytes(os.path.join(opts.dir, "strata-hf"))
    print("torch_dist checkpoint:   %s, %.2f GB in %d files (TP2, megatron-core)" %
          (ckpt, src_bytes / 1e9, sum(len(fs) for _, _, fs in os.walk(ckpt))))
    print("cp -r:                   %.2f s (%.0f MB/s)" % (cp_s, src_bytes / 1e6 / cp_s))
    print("strata convert --to hf:  %.2f s (%.0f MB/s written), peak RSS %.0f MB" %
          (strata_s, out_bytes / 1e6 / strata_s, strata_mb))
    print("torch DCP load + save:   %.2f s, peak RSS %.0f MB" % (torch_s, torch_mb))
    print("ratio strata / cp:       %.2f" % (strata_s / cp_s))
    print("ratio strata / torch:    %.2f" % (strata_s / torch_s))
    print("same model:              %s" % ("yes" if same.returncode == 0 else "NO\n" + same.stdout[-2000:]))
    td = os.path.join(opts.dir, "strata-td")
    subprocess.run(["sync"], check=True)
    td_s, td_mb = timed([opts.strata, "convert", os.path.join(opts.dir, "strata-hf"), "--to", "megatron",
                         "--ckpt-format", "torch_dist", "--tp", "2", "--out", td])
    td_bytes = folder_bytes(td)
    cp_td_s, _ = timed(["sh", "-c", "cp -r '%s' '%s/cp-td' && sync" % (td, opts.dir)])
    same_td = subprocess.run([opts.strata, "diff", td, ckpt], stdout=subprocess.PIPE, text=True)
    print("strata convert --to megatron --ckpt-format torch_dist --tp 2: %.2f s (%.0f MB/s written), peak RSS %.0f MB"
          % (td_s, td_bytes / 1e6 / td_s, td_mb))
    print("cp -r of those %.2f GB:   %.2f s" % (td_bytes / 1e9, cp_td_s))
    print("ratio strata / cp:       %.2f" % (td_s / cp_td_s))
    print("same model as megatron-core's checkpoint: %s" %
          ("yes" if same_td.returncode == 0 else "NO\n" + same_td.stdout[-2000:]))
    sys.exit(0 if same.returncode == 0 and same_td.returncode == 0 else 1)


if __name__ == "__main__":
    main()
