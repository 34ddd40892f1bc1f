"""DLPack: torch.from_dlpack(ckpt.dlpack(name)) shares the memory map (Debian's torch 1.13
for /usr/bin/python3; skipped where torch is not importable)."""
import numpy as np
import pytest

import strata
from conftest import read_safetensors_folder


def test_torch_shares_the_mapping(models):
    torch = pytest.importorskip("torch")
    reference = read_safetensors_folder(models["hf"])
    ckpt = strata.open(models["hf"])
    name = "model.layers.2.mlp.experts.6.gate_proj.weight"
    exported = ckpt.dlpack(name)
    assert exported.__dlpack_device__() == (1, 0)
    t = torch.from_dlpack(exported)
    assert t.dtype == torch.bfloat16 and tuple(t.shape) == (32, 64)
    assert t.data_ptr() == ckpt.canonical.get(name, raw=True).__array_interface__["data"][0]
    assert np.array_equal(t.view(torch.int16).numpy().view(np.uint16), reference[name])
    del ckpt, exported
    assert np.array_equal(t.view(torch.int16).numpy().view(np.uint16), reference[name])  # t keeps the map


def test_torch_gets_assembled_megatron_tensors(models):
    torch = pytest.importorskip("torch")
    reference = read_safetensors_folder(models["hf"])
    name = "model.layers.3.self_attn.k_proj.weight"
    t = torch.from_dlpack(strata.open(models["megatron"]).dlpack(name))
    assert np.array_equal(t.view(torch.int16).numpy().view(np.uint16), reference[name])


def test_numpy_from_dlpack_raw(models):
    if not hasattr(np, "from_dlpack"):
        pytest.skip("NumPy without from_dlpack")
    reference = read_safetensors_folder(models["hf"])
    array = np.from_dlpack(strata.open(models["hf"]).dlpack("model.norm.weight", raw=True))
    assert array.dtype == np.uint16 and np.array_equal(array, reference["model.norm.weight"])


def test_unconsumed_capsules_are_freed(models):
    ckpt = strata.open(models["hf"])
    for _ in range(1000):
        ckpt.dlpack("model.norm.weight").__dlpack__()  # capsule destructor frees each
