"""strata.diff and strata.forward give what `strata diff --json --all` and
`strata forward --logits-out` give."""
import json

import numpy as np

import strata
from conftest import run_cli


def test_diff_equals_the_cli_report(models):
    cli = json.loads(run_cli("diff", models["hf"], models["megatron"], "--json", "--all").stdout)
    report = strata.diff(models["hf"], strata.open(models["megatron"]))
    assert report["equal"] is True
    assert "text" in report and report.pop("text")
    assert report == cli


def test_diff_of_different_seeds_lists_value_differences(models, tmp_path):
    other = tmp_path / "seed1"
    run_cli("synth", "--preset", "tiny", "--seed", 1, "--out", other)
    cli = json.loads(run_cli("diff", models["hf"], other, "--json", "--all", check=False).stdout)
    report = strata.diff(models["hf"], other)
    assert report["equal"] is False
    report.pop("text")
    assert report == cli


def test_forward_logits_equal_the_cli(models, tmp_path):
    npy = tmp_path / "logits.npy"
    run_cli("forward", models["hf"], "--tokens", "1,5,9,200", "--logits-out", npy)
    expected = np.load(npy)
    got = strata.forward(models["hf"], [1, 5, 9, 200])
    assert got.dtype == np.float32 and got.shape == (4, 256)
    assert np.array_equal(got, expected)
    from_megatron = strata.forward(strata.open(models["megatron"]), np.array([1, 5, 9, 200]))
    np.testing.assert_allclose(from_megatron, expected, rtol=1e-5, atol=1e-5)


def test_forward_rejects_out_of_range_tokens(models):
    import pytest
    with pytest.raises(strata.InvalidArgumentError):
        strata.forward(models["hf"], [1, 100000])
