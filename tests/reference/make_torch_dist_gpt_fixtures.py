#!/usr/bin/env python3
"""Writes torch_dist checkpoints of real megatron-core GPTModels (Qwen3-style: GQA, QK RMSNorm,
SwiGLU, RoPE) and what megatron-core itself reads back from them, for Strata's torch_dist tests.

Run by hand with a venv holding torch (2.15 used) and megatron-core (0.16.1 used), on CPU:
    /work/venv-ref5/bin/python tests/reference/make_torch_dist_gpt_fixtures.py
Each fixture, under tests/reference/fixtures/torch_dist/:
  gpt_<name>/                 megatron-core dist_checkpointing.save of GPTModel.sharded_state_dict()
                              from N gloo processes (local layer spec, fp32), with the common state
                              Megatron-LM's training writes (args as an argparse.Namespace, iteration,
                              checkpoint_version; core 0.16 puts it in common.pt).
  gpt_<name>.expected.safetensors
                              every DCP tensor key as its global tensor, filled from the sharded state
                              dict of a TP1 PP1 EP1 model that megatron-core loaded the checkpoint into
                              (dist_checkpointing.load: megatron-core's own reading, resharded), plus
                              "logits" [tokens, vocab] of that model's forward on TOKENS.
Fixtures:
  dense_tp2    2 layers, saved from TP2
  dense_pp2    2 layers, tied embeddings, saved from PP2
  moe_ep2      2 MoE layers (4 experts, top-2, SequentialMLP), saved from EP2
  moe_freq     moe_layer_freq [0, 1]: a dense layer, then a MoE layer (per-layer DCP keys)
"""
import argparse
import os
import shutil
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import make_torch_dist_fixtures as base  # the CPU stubs, the iteration save, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "torch_dist")
TOKENS = [3, 17, 99, 200, 5, 42, 128, 7]
# Model dimensions; a fixture may replace them with its own "dims" (bench/torch_dist_bench.py does).
DIMS = dict(layers=2, hidden=64, heads=8, groups=2, kv=16, ffn=128, vocab=256, dtype=torch.float32)


def dims(f):
    return dict(DIMS, **f.get("dims", {}))

FIXTURES = {
    "dense_tp2": dict(tp=2, pp=1, ep=1, experts=None, tied=False),
    "dense_pp2": dict(tp=1, pp=2, ep=1, experts=None, tied=True),
    "moe_ep2": dict(tp=1, pp=1, ep=2, experts=4, tied=False),
    "moe_freq": dict(tp=1, pp=1, ep=1, experts=4, tied=False, freq=[0, 1]),
}


def stub_cuda_for_cpu():
    """megatron-core on a CPU-only machine (facts torch-dist.md, "Running megatron-core on CPU"): the
    writer's stubs, plus what a GPTModel's build and forward touch."""
    base.stub_cuda_for_cpu()
    torch.Tensor.cuda = lambda self, *a, **k: self
    import megatron.core.transformer.moe.moe_utils as moe_utils
    moe_utils.te_general_gemm = None
    # Dropout is 0; the CUDA RNG tracker it forks (for TP-local dropout) has nothing to do here.
    import contextlib
    from megatron.core.tensor_parallel import random as mp_random
    mp_random.CudaRNGStatesTracker.fork = lambda self, *a, **k: contextlib.nullcontext()


def transformer_config(f):
    from megatron.core.transformer.transformer_config import TransformerConfig
    moe = dict(num_moe_experts=f["experts"], moe_router_topk=2, moe_ffn_hidden_size=32,
               moe_router_load_balancing_type="none", moe_aux_loss_coeff=0.0,
               moe_token_dispatcher_type="allgather", moe_router_score_function="softmax",
               moe_router_pre_softmax=False, moe_layer_freq=f.get("freq", 1)) if f["experts"] else {}
    d = dims(f)
    return TransformerConfig(
        num_layers=d["layers"], hidden_size=d["hidden"], num_attention_heads=d["heads"], num_query_groups=d["groups"],
        kv_channels=d["kv"], ffn_hidden_size=d["ffn"], gated_linear_unit=True, activation_func=torch.nn.functional.silu,
        normalization="RMSNorm", layernorm_epsilon=1e-6, qk_layernorm=True, add_bias_linear=False,
        hidden_dropout=0.0, attention_dropout=0.0, init_method_std=0.2, use_cpu_initialization=True,
        params_dtype=d["dtype"], tensor_model_parallel_size=f["tp"], pipeline_model_parallel_size=f["pp"],
        expert_model_parallel_size=f["ep"], pipeline_dtype=d["dtype"], sequence_parallel=False,
        bf16=d["dtype"] == torch.bfloat16,
        **moe)


def megatron_args(f, cfg):
    """The args Megatron-LM's training saves (names of megatron/training/arguments.py)."""
    d = dims(f)
    return argparse.Namespace(
        num_layers=cfg.num_layers, hidden_size=d["hidden"], ffn_hidden_size=d["ffn"], num_attention_heads=d["heads"],
        group_query_attention=True, num_query_groups=d["groups"], kv_channels=d["kv"], max_position_embeddings=4096,
        seq_length=4096, position_embedding_type="rope", rotary_base=1000000, rotary_percent=1.0,
        use_rotary_position_embeddings=True, add_position_embedding=True, normalization="RMSNorm",
        norm_epsilon=1e-6, swiglu=True, qk_layernorm=True, add_bias_linear=False, add_qkv_bias=False,
        untie_embeddings_and_output_weights=not f["tied"], vocab_size=d["vocab"], padded_vocab_size=d["vocab"],
        make_vocab_size_divisible_by=128, tensor_model_parallel_size=f["tp"],
        pipeline_model_parallel_size=f["pp"], expert_model_parallel_size=f["ep"],
        expert_tensor_parallel_size=f["tp"], virtual_pipeline_model_parallel_size=None,
        num_experts=f["experts"], moe_router_topk=2 if f["experts"] else None,
        moe_ffn_hidden_size=32 if f["experts"] else None, moe_grouped_gemm=False,
        moe_router_score_function="softmax", moe_router_pre_softmax=False, moe_layer_freq=f.get("freq", 1),
        params_dtype=d["dtype"], bf16=d["dtype"] == torch.bfloat16, fp16=False, transformer_impl="local",
        ckpt_format="torch_dist", use_dist_ckpt=True)


def build_model(f, cfg, pre, post):
    from megatron.core.models.gpt import GPTModel
    from megatron.core.models.gpt.gpt_layer_specs import get_gpt_decoder_block_spec, get_gpt_layer_local_spec
    if "freq" in f:  # a per-layer mix of dense and MoE layers
        spec = get_gpt_decoder_block_spec(cfg, use_transformer_engine=False, normalization="RMSNorm")
    else:
        spec = get_gpt_layer_local_spec(num_experts=f["experts"], qk_layernorm=True, normalization="RMSNorm")
    return GPTModel(config=cfg, transformer_layer_spec=spec, vocab_size=dims(f)["vocab"], max_sequence_length=4096,
                    pre_process=pre, post_process=post, share_embeddings_and_output_weights=f["tied"],
                    position_embedding_type="rope", rotary_base=1000000)


def init_parallel(rank, world, port, tp, pp, ep):
    stub_cuda_for_cpu()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    from megatron.core import parallel_state
    parallel_state.initialize_model_parallel(tensor_model_parallel_size=tp, pipeline_model_parallel_size=pp,
                                             expert_model_parallel_size=ep)
    return parallel_state


def save_worker(rank, world, port, name, out):
    f = name if isinstance(name, dict) else FIXTURES[name]  # a dict: a caller's own model (the bench)
    ps = init_parallel(rank, world, port, f["tp"], f["pp"], f["ep"])
    torch.manual_seed(1234)  # CPU initialisation: every rank draws the same master weights
    cfg = transformer_config(f)
    model = build_model(f, cfg, ps.is_pipeline_first_stage(), ps.is_pipeline_last_stage())
    state = {"model": model.sharded_state_dict(), "args": megatron_args(f, cfg), "iteration": 10,
             "checkpoint_version": 3.0}
    base.save_megatron_iteration(state, out, rank)
    dist.destroy_process_group()


def global_tensors(sharded):
    """Each DCP key as its global tensor, from a TP1 PP1 EP1 model's sharded state dict."""
    from megatron.core.dist_checkpointing.dict_utils import nested_values
    from megatron.core.dist_checkpointing.mapping import ShardedTensor, apply_factories
    apply_factories(sharded)
    out = {}
    for st in nested_values(sharded):
        if not isinstance(st, ShardedTensor):
            continue
        if os.environ.get("DEBUG_SHARDS"):
            print(st.key, st.global_shape, st.local_shape, st.global_offset, st.prepend_axis_num,
                  tuple(st.data.shape), file=sys.stderr)
        g = out.setdefault(st.key, torch.zeros(st.global_shape, dtype=st.data.dtype))
        local = (1,) * st.prepend_axis_num + tuple(st.data.shape)
        box = tuple(slice(o, o + s) for o, s in zip(st.global_offset, local))
        g[box] = st.data.reshape(local)
    return out


def load_worker(rank, world, port, name, out, expected):
    f = dict(FIXTURES[name], tp=1, pp=1, ep=1)
    init_parallel(rank, world, port, 1, 1, 1)
    cfg = transformer_config(f)
    model = build_model(f, cfg, True, True)
    from megatron.core import dist_checkpointing
    loaded = dist_checkpointing.load({"model": model.sharded_state_dict()}, os.path.join(out, "iter_0000010"))
    model.load_state_dict(loaded["model"], strict=False)
    values = global_tensors(model.sharded_state_dict())
    model.eval()
    tokens = torch.tensor([TOKENS])
    positions = torch.arange(len(TOKENS)).unsqueeze(0)
    mask = torch.triu(torch.ones(1, 1, len(TOKENS), len(TOKENS), dtype=torch.bool), diagonal=1)
    with torch.no_grad():
        logits = model(tokens, positions, mask)
    values["logits"] = logits[0].float().contiguous()
    from safetensors.torch import save_file
    save_file({k: v.contiguous() for k, v in values.items()}, expected)
    dist.destroy_process_group()


def make(name, root):
    f = FIXTURES[name]
    out = os.path.join(root, "gpt_" + name)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    world = f["tp"] * f["pp"] * max(1, f["ep"] // f["tp"] if f["ep"] > f["tp"] else 1)
    mp.spawn(save_worker, args=(world, base.free_port(), name, out), nprocs=world)
    mp.spawn(load_worker, args=(1, base.free_port(), name, out, out + ".expected.safetensors"), nprocs=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("names", nargs="*", default=list(FIXTURES))
    opts = parser.parse_args()
    os.makedirs(opts.out, exist_ok=True)
    for name in opts.names:
        make(name, opts.out)
    total = 0
    for name in opts.names:
        for dirpath, _, files in os.walk(os.path.join(opts.out, "gpt_" + name)):
            total += sum(os.path.getsize(os.path.join(dirpath, x)) for x in files)
    print(f"gpt fixtures in {opts.out}: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
