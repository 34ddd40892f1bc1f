#!/usr/bin/env python3
"""Reading every tensor of a >= 1 GB safetensors checkpoint from Python: strata.open vs
safetensors.safe_open(framework="numpy"), in the same run, on the same files.

Two passes per reader, each getting every tensor one by one: "get" only asks for the array
(what loading a state dict costs: safetensors copies the bytes, Strata maps them), "xor"
also reduces every byte of it (XOR over 64-bit words, so both read all bytes and bf16 needs
no ml_dtypes). The page cache is warmed first by one untimed pass, so both read from memory.
Prints the best of --repeats runs and the ratios.

    python3 bench/python_read_bench.py [--model DIR] [--strata-cli build/app/cli/strata]

Without --model it makes one: `strata synth --preset qwen3-30b-a3b --layers 1` (2.5 GB, bf16).
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

import strata

try:  # safetensors' NumPy backend names bf16 "bfloat16", which NumPy knows once ml_dtypes is imported
    import ml_dtypes  # noqa: F401
except ImportError:
    pass

RAW = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def shard_files(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".safetensors"))


def checksum(array) -> int:
    flat = array.reshape(-1).view(np.uint8)
    if flat.nbytes % 8 == 0:
        return int(np.bitwise_xor.reduce(flat.view(np.uint64)))
    return int(np.bitwise_xor.reduce(flat))


def strata_reader(reduce):
    def read(folder):
        total, nbytes = 0, 0
        ckpt = strata.open(folder)
        for name in ckpt.tensors:
            array = ckpt.tensor(name, raw=True)
            total ^= checksum(array) if reduce else 0
            nbytes += array.nbytes
        return total, nbytes
    return read


def safetensors_reader(reduce):
    def read(folder):
        from safetensors import safe_open
        total, nbytes = 0, 0
        for path in shard_files(folder):
            with safe_open(path, framework="numpy") as f:
                for name in f.keys():
                    array = f.get_tensor(name)
                    total ^= checksum(array) if reduce else 0
                    nbytes += array.nbytes
        return total, nbytes
    return read


def timed(fn, folder, repeats):
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(folder)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a safetensors checkpoint folder (default: synthesize one)")
    parser.add_argument("--strata-cli", default=shutil.which("strata") or "build/app/cli/strata")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    workdir = None
    folder = args.model
    if not folder:
        workdir = tempfile.mkdtemp(prefix="strata-pybench-")
        folder = os.path.join(workdir, "model")
        subprocess.run([args.strata_cli, "synth", "--preset", "qwen3-30b-a3b", "--layers", "1", "--out", folder],
                       check=True, stdout=subprocess.DEVNULL)
    try:
        size = sum(os.path.getsize(p) for p in shard_files(folder))
        print(f"checkpoint: {folder}, {size / 1e9:.2f} GB in {len(shard_files(folder))} file(s)")
        strata_reader(True)(folder)  # warm the page cache
        try:
            import safetensors  # noqa: F401
            have_safetensors = True
        except ImportError:
            have_safetensors = False
            print("safetensors is not importable (pip install safetensors): no baseline, no ratio")
        for mode, reduce in (("get", False), ("xor", True)):
            t_strata, result_strata = timed(strata_reader(reduce), folder, args.repeats)
            line = f"{mode}: strata.open {t_strata:.3f} s ({result_strata[1] / t_strata / 1e9:.2f} GB/s)"
            if have_safetensors:
                t_safe, result_safe = timed(safetensors_reader(reduce), folder, args.repeats)
                if result_safe != result_strata:
                    sys.exit("the two readers disagree on the bytes read")
                line += (f", safetensors.safe_open(numpy) {t_safe:.3f} s "
                         f"({result_safe[1] / t_safe / 1e9:.2f} GB/s): ratio {t_strata / t_safe:.3f}x")
            print(line, flush=True)
        print(f"peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        if workdir:
            shutil.rmtree(workdir)


if __name__ == "__main__":
    main()
