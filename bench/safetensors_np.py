"""Reads an HF safetensors folder into torch tensors with numpy alone (Debian's torch has
no `safetensors` package): the loader both torch baselines of the benches share.

Usage: from safetensors_np import load_safetensors; tensors = load_safetensors("model_dir")
"""
import json
import struct
from pathlib import Path

import numpy as np
import torch

NP_TYPES = {"F32": np.float32, "F16": np.float16, "BF16": np.int16}
TORCH_TYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(folder):
    """Every tensor of every *.safetensors file in `folder`, in RAM, in its stored dtype."""
    tensors = {}
    for path in sorted(Path(folder).glob("*.safetensors")):
        raw = np.memmap(path, dtype=np.uint8, mode="r")
        (header_len,) = struct.unpack("<Q", raw[:8].tobytes())
        header = json.loads(raw[8 : 8 + header_len].tobytes())
        base = 8 + header_len
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            data = np.frombuffer(raw[base + begin : base + end], dtype=NP_TYPES[info["dtype"]]).copy()
            tensors[name] = torch.from_numpy(data).view(TORCH_TYPES[info["dtype"]]).reshape(info["shape"])
    return tensors
