"""strata.open and the canonical view: a Megatron TP2 PP2 EP4 checkpoint read from Python
equals its HF source tensor for tensor (Must show 1)."""
import os

import numpy as np
import pytest

import strata
from conftest import read_safetensors_folder, run_cli


def test_open_reports_format_config_and_tensors(models):
    ckpt = strata.open(models["hf"])
    assert ckpt.format == "safetensors"
    assert ckpt.config["model_type"] == "qwen3_moe"
    info = ckpt.tensors["model.layers.0.mlp.experts.3.up_proj.weight"]
    assert (info.dtype, info.shape, info.rank) == ("BF16", (32, 64), (0, 0, 0))
    assert info.file.endswith(".safetensors") and info.offset > 0 and info.nbytes == 32 * 64 * 2


def test_megatron_stored_tensors_carry_their_rank(models):
    ckpt = strata.open(models["megatron"])
    assert ckpt.format == "megatron"
    ranks = {t.rank for t in ckpt.stored}
    assert {r[0] for r in ranks} == {0, 1} and {r[1] for r in ranks} == {0, 1} and {r[2] for r in ranks} == {0, 1, 2, 3}
    assert ckpt.config["tensor_model_parallel_size"] == 2
    final = ckpt.tensors["decoder.final_layernorm.weight"]
    assert final.rank == (0, 1, 0) and final.file.startswith("iter_0000001/mp_rank_00_001")
    reference = read_safetensors_folder(models["hf"])["model.norm.weight"]
    assert np.array_equal(ckpt.tensor("decoder.final_layernorm.weight", rank=(1, 1, 0), raw=True), reference)
    with pytest.raises(strata.NotFoundError):
        ckpt.tensor("decoder.final_layernorm.weight", rank=(0, 0, 0))


def test_megatron_tp2_pp2_ep4_canonical_equals_hf_source(models):
    reference = read_safetensors_folder(models["hf"])
    meg = strata.open(models["megatron"])
    assert meg.canonical.layout == "megatron"
    assert sorted(meg.canonical) == sorted(reference)
    for name, expected in reference.items():
        got = meg.canonical.get(name, raw=True)  # bf16 bit patterns: an exact comparison
        assert got.shape == expected.shape, name
        assert np.array_equal(got, expected), name
    assert meg.canonical.info("model.layers.3.mlp.experts.7.up_proj.weight") == ("BF16", (32, 64))


def test_hf_canonical_equals_its_own_file(models):
    reference = read_safetensors_folder(models["hf"])
    hf = strata.open(models["hf"])
    assert hf.canonical.layout == "hf"
    for name, expected in reference.items():
        assert np.array_equal(hf.canonical.get(name, raw=True), expected), name
        assert np.array_equal(hf.tensor(name, raw=True), expected), name


def test_unknown_canonical_name_is_a_key_error(models):
    view = strata.open(models["megatron"]).canonical
    assert "model.layers.99.mlp.gate.weight" not in view
    with pytest.raises(KeyError):
        view["model.layers.99.mlp.gate.weight"]
    assert view.get("nope") is None
    with pytest.raises(strata.NotFoundError):
        strata.open(models["hf"]).tensor("nope")


def test_bf16_without_ml_dtypes_names_the_fix(models):
    try:
        import ml_dtypes  # noqa: F401
        pytest.skip("ml_dtypes is installed: bf16 arrays work (test_bf16_with_ml_dtypes)")
    except ImportError:
        pass
    with pytest.raises(strata.UnsupportedError, match=r"pip install ml_dtypes.*raw=True") as e:
        strata.open(models["hf"]).canonical["model.norm.weight"]
    assert e.value.tensor == "model.norm.weight"


def test_bf16_with_ml_dtypes(models):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    reference = read_safetensors_folder(models["hf"])
    meg = strata.open(models["megatron"])
    for name in ("model.norm.weight", "model.layers.2.self_attn.q_proj.weight"):
        got = meg.canonical[name]
        assert got.dtype == ml_dtypes.bfloat16
        assert np.array_equal(got.view(np.uint16), reference[name])


def test_megatron_f32_canonical_equals_safetensors_load_file(tmp_path):
    """The Must-show comparison verbatim, where the safetensors package is installed (not in
    Debian 12; pip): f32 weights, since safetensors.numpy has no bf16."""
    st_numpy = pytest.importorskip("safetensors.numpy")
    from conftest import run_cli
    hf, meg = tmp_path / "hf", tmp_path / "meg"
    run_cli("synth", "--preset", "tiny", "--dtype", "f32", "--out", hf)
    run_cli("convert", hf, "--to", "megatron", "--tp", 2, "--pp", 2, "--ep", 4, "--out", meg)
    reference = {}
    for shard in sorted(hf.glob("*.safetensors")):
        reference.update(st_numpy.load_file(shard))
    view = strata.open(meg).canonical
    assert sorted(view) == sorted(reference)
    for name, expected in reference.items():
        got = view[name]
        assert got.dtype == expected.dtype == np.float32 and np.array_equal(got, expected), name


def test_torch_dist_canonical_equals_its_hf_conversion(tmp_path):
    """A megatron-core torch_dist checkpoint (TP2, f32; tests/reference/make_torch_dist_gpt_fixtures.py)
    seen through its canonical view equals the HF folder the CLI converts it to, tensor for tensor."""
    src = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "reference", "fixtures", "torch_dist",
                       "gpt_moe_ep2")
    hf = tmp_path / "hf"
    run_cli("convert", src, "--to", "hf", "--out", hf)
    want = read_safetensors_folder(hf)
    ckpt = strata.open(src)
    assert ckpt.format == "torch_dist"
    assert "decoder.layers.mlp.experts.experts.linear_fc1.weight" in ckpt.tensors  # stored DCP keys
    view = ckpt.canonical
    assert sorted(view.keys()) == sorted(want)
    for name, expected in want.items():
        assert np.array_equal(view[name], expected), name
