"""Shared fixtures: checkpoints made with the built `strata` CLI (never downloaded), and an
independent safetensors reader (the safetensors package is not in Debian 12)."""
import json
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest

import strata  # noqa: F401  (fails early and clearly when PYTHONPATH misses the built module)


def strata_cli() -> str:
    cli = os.environ.get("STRATA_CLI") or shutil.which("strata")
    if not cli:
        pytest.skip("the strata CLI is needed to make fixtures (set STRATA_CLI)")
    return cli


def run_cli(*args, check=True) -> subprocess.CompletedProcess:
    return subprocess.run([strata_cli(), *map(str, args)], check=check, capture_output=True, text=True)


# safetensors dtype -> NumPy dtype of the same bytes (bf16 as its uint16 bit patterns).
RAW_DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32, "F64": np.float64, "I64": np.int64,
              "I32": np.int32, "U8": np.uint8, "I8": np.int8, "BOOL": np.bool_, "F8_E4M3": np.uint8}


def read_safetensors(path) -> dict:
    """Every tensor of a .safetensors file (8-byte little-endian header length, JSON header,
    raw bytes), read with plain file I/O: independent of Strata and of its mapping."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype=RAW_DTYPES[entry["dtype"]]).reshape(entry["shape"]).copy()
    return out


def read_safetensors_folder(folder) -> dict:
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".safetensors"):
            out.update(read_safetensors(os.path.join(folder, name)))
    return out


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """tiny (Qwen3-MoE, 4 layers, 8 experts) as HF and as Megatron TP2 PP2 EP4."""
    root = tmp_path_factory.mktemp("models")
    hf, meg = root / "hf", root / "meg"
    run_cli("synth", "--preset", "tiny", "--out", hf)
    run_cli("convert", hf, "--to", "megatron", "--tp", 2, "--pp", 2, "--ep", 4, "--out", meg)
    return {"root": root, "hf": hf, "megatron": meg}
