#!/usr/bin/env python3
"""Writes the small PyTorch DCP / Megatron torch_dist fixtures Strata's reader is checked against.

Run by hand with a venv holding torch (2.15 used), safetensors and megatron-core (0.16.1 used):
    /work/venv-ref5/bin/python tests/reference/make_torch_dist_fixtures.py
Outputs, under tests/reference/fixtures/torch_dist/ (commit them; < 1 MB in all):
  dcp_single/       torch.distributed.checkpoint.save from one process (no process group):
                    bf16, f32, i64, a 3-D tensor, a transposed (non-contiguous) source, a
                    bytes object and an `_extra_state` object.
  dcp_two_ranks/    the same API from 2 gloo processes, DTensors sharded on dim 0 and on
                    dim 1 (two chunks of one global tensor, in two .distcp files) plus a
                    replicated tensor.
  megatron/         megatron-core dist_checkpointing.save from 2 gloo processes: tracker
                    file, iter_0000010/ with metadata.json, .metadata, __R_K.distcp and
                    common.pt (args as an argparse.Namespace); ShardedTensors with a
                    leading layer axis split over ranks, a TP-style split, a ShardedObject.
  <name>.expected.safetensors   every global tensor as the reader must assemble it (beside the
                    folder, not in it: a .safetensors inside would make it a safetensors folder).
"""
import argparse
import json
import os
import shutil
import socket
import sys

import torch
import torch.distributed as dist
import torch.distributed.checkpoint as dcp
import torch.multiprocessing as mp
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "torch_dist")


def values(shape, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g).to(dtype)


# ---- (a) one process ---------------------------------------------------------------

def single_tensors():
    base = values((6, 4), torch.float32, 3)
    return {
        "embed.weight": values((8, 4), torch.bfloat16, 1),
        "layers.0.attn.qkv.weight": values((2, 3, 4), torch.float32, 2),
        "layers.0.mlp.fc.weight": base.t(),  # non-contiguous source: saved as (4, 6)
        "layers.0.norm.weight": values((4,), torch.bfloat16, 4),
        "step_count": torch.arange(5, dtype=torch.int64),
    }


def make_single(root):
    out = os.path.join(root, "dcp_single")
    shutil.rmtree(out, ignore_errors=True)
    tensors = single_tensors()
    state = dict(tensors)
    state["layers.0.mlp._extra_state"] = b"te-extra"
    state["tokenizer_name"] = "tiny"  # a bytes item (BytesStorageMetadata)
    dcp.save(state, checkpoint_id=out)
    save_file({k: v.contiguous() for k, v in tensors.items()}, out + ".expected.safetensors")


# ---- (b) two ranks, DTensor chunks --------------------------------------------------

def two_rank_globals():
    return {
        "rows.weight": values((6, 4), torch.bfloat16, 11),   # Shard(0): rows 0-2 / 3-5
        "cols.weight": values((3, 8), torch.float32, 12),    # Shard(1): cols 0-3 / 4-7
        "stack.weight": values((2, 4, 2), torch.float32, 13),  # Shard(1) of a 3-D tensor
        "bias": values((5,), torch.float32, 14),             # replicated: written once
    }


def two_rank_worker(rank, world, port, out):
    from torch.distributed.tensor import Replicate, Shard, distribute_tensor, init_device_mesh
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    mesh = init_device_mesh("cpu", (world,))
    g = two_rank_globals()
    placements = {"rows.weight": Shard(0), "cols.weight": Shard(1), "stack.weight": Shard(1), "bias": Replicate()}
    state = {k: distribute_tensor(v, mesh, [placements[k]]) for k, v in g.items()}
    dcp.save(state, checkpoint_id=out)
    dist.barrier()
    dist.destroy_process_group()


# ---- (c) megatron-core dist_checkpointing ---------------------------------------------

def megatron_globals():
    return {
        # [L, rows, H]: layer l written by rank l (PP-style), rows split in halves by TP-style rank
        "decoder.layers.self_attention.linear_qkv.weight": values((2, 4, 3), torch.bfloat16, 21),
        "decoder.layers.mlp.linear_fc2.weight": values((2, 3, 4), torch.float32, 22),
        "embedding.word_embeddings.weight": values((8, 3), torch.float32, 23),
        "decoder.final_layernorm.weight": values((3,), torch.float32, 24),
    }


def stub_cuda_for_cpu():
    """megatron-core's async file writer synchronises CUDA; on a CPU-only machine those are no-ops
    (facts torch-dist.md, "Running megatron-core on CPU")."""
    torch.cuda.synchronize = lambda *a, **k: None
    torch.cuda.current_device = lambda: "cpu"
    torch.cuda.is_available = lambda: False


def megatron_worker(rank, world, port, out):
    stub_cuda_for_cpu()
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    from megatron.core.dist_checkpointing import ShardedObject, ShardedTensor
    g = megatron_globals()
    qkv = g["decoder.layers.self_attention.linear_qkv.weight"]
    fc2 = g["decoder.layers.mlp.linear_fc2.weight"]
    emb = g["embedding.word_embeddings.weight"]
    norm = g["decoder.final_layernorm.weight"]
    sd = {
        # layer axis prepended (prepend_axis_num=1): rank r holds layer r, whole rows
        "qkv": ShardedTensor.from_rank_offsets(
            "decoder.layers.self_attention.linear_qkv.weight", qkv[rank:rank + 1].clone(), (0, rank, world)),
        # both layers on each rank, dim 2 split in halves (a TP row-parallel split)
        "fc2": ShardedTensor.from_rank_offsets(
            "decoder.layers.mlp.linear_fc2.weight", fc2[:, :, 2 * rank:2 * rank + 2].clone(), (2, rank, world)),
        # vocab split on dim 0
        "emb": ShardedTensor.from_rank_offsets(
            "embedding.word_embeddings.weight", emb[4 * rank:4 * rank + 4].clone(), (0, rank, world)),
        # replicated: rank 1's copy is a replica (replica_id 1), never written
        "norm": ShardedTensor.from_rank_offsets("decoder.final_layernorm.weight", norm.clone(), replica_id=rank),
        "extra": ShardedObject("decoder.layers.self_attention.linear_qkv._extra_state", None, (world,), (rank,),
                               replica_id=0),
        "args": argparse.Namespace(num_layers=2, hidden_size=3, tensor_model_parallel_size=2,
                                   pipeline_model_parallel_size=1, ffn_hidden_size=4, padded_vocab_size=8),
        "iteration": 10,
        "checkpoint_version": 3.0,
    }
    save_megatron_iteration(sd, out, rank)
    dist.destroy_process_group()


def save_megatron_iteration(state, out, rank, iteration=10):
    """megatron-core dist_checkpointing.save of `state` into out/iter_NNNNNNN from every rank,
    then the tracker file, as Megatron-LM's training does (also used by make_torch_dist_gpt_fixtures)."""
    from megatron.core import dist_checkpointing
    iter_dir = os.path.join(out, "iter_%07d" % iteration)
    if rank == 0:
        os.makedirs(iter_dir, exist_ok=True)
    dist.barrier()
    dist_checkpointing.save(state, iter_dir)
    dist.barrier()
    if rank == 0:
        with open(os.path.join(out, "latest_checkpointed_iteration.txt"), "w") as f:
            f.write(str(iteration))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    opts = parser.parse_args()
    os.makedirs(opts.out, exist_ok=True)
    make_single(opts.out)

    out = os.path.join(opts.out, "dcp_two_ranks")
    shutil.rmtree(out, ignore_errors=True)
    mp.spawn(two_rank_worker, args=(2, free_port(), out), nprocs=2)
    save_file(two_rank_globals(), out + ".expected.safetensors")

    out = os.path.join(opts.out, "megatron")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    mp.spawn(megatron_worker, args=(2, free_port(), out), nprocs=2)
    save_file(megatron_globals(), out + ".expected.safetensors")

    total = 0
    for dirpath, _, files in os.walk(opts.out):
        for f in files:
            total += os.path.getsize(os.path.join(dirpath, f))
    print(f"fixtures in {opts.out}: {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
