"""strata.convert from Python (Must show 3): progress reaches the callback, and a
KeyboardInterrupt mid-way (raised by the callback, or a real SIGINT) cancels the core run:
no output that looks finished, no temporary left, the source untouched."""
import hashlib
import os
import signal

import pytest

import strata
from conftest import run_cli


def test_convert_reports_progress_and_matches_the_source(models, tmp_path):
    calls = []
    out = tmp_path / "meg"
    report = strata.convert(models["hf"], to="megatron", out=out, tp=2, pp=2, ep=4,
                            progress=lambda label, done, total: calls.append((label, done, total)))
    assert out.is_dir() and report["target_layout"].startswith("megatron")
    assert report["bytes"] > 0 and report["tensors"] > 0
    assert calls, "the progress callback was never called"
    label, done, total = calls[-1]
    assert isinstance(label, str) and done == total > 0
    assert strata.diff(models["hf"], out)["equal"]


def test_convert_writes_torch_dist_that_reads_back_equal(models, tmp_path):
    out = tmp_path / "dist"
    report = strata.convert(models["hf"], to="megatron", out=out, tp=2, ep=2, ckpt_format="torch_dist")
    assert "torch_dist" in report["target_layout"]
    assert (out / "iter_0000001" / ".metadata").is_file()
    assert strata.open(out).format == "torch_dist"
    assert strata.diff(models["hf"], out)["equal"]
    with pytest.raises(strata.Error, match="ckpt_format"):
        strata.convert(models["hf"], to="megatron", out=tmp_path / "bad", ckpt_format="zarr")


def test_dry_run_returns_the_plan_and_writes_nothing(models, tmp_path):
    plan = strata.convert(models["hf"], to="megatron", out=tmp_path / "never", tp=2, dry_run=True)
    assert isinstance(plan, dict) and plan
    assert not (tmp_path / "never").exists()


@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    """One layer of Qwen3-30B-A3B at real dims (~2.5 GB of bf16) over file holes: converting it
    takes seconds, so a cancel lands mid-way, while the source costs no disk."""
    root = tmp_path_factory.mktemp("big")
    run_cli("synth", "--preset", "qwen3-30b-a3b", "--layers", "1", "--sparse", "--out", root / "src")
    return root / "src"


def fingerprint(folder):
    """Size, mtime and inode of every file, and a hash of the small ones and the first MiB of each."""
    out = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        st = os.stat(path)
        with open(path, "rb") as f:
            head = hashlib.sha256(f.read(1 << 20)).hexdigest()
        out[name] = (st.st_size, st.st_mtime_ns, st.st_ino, head)
    return out


def assert_nothing_finished(parent, out):
    assert not out.exists(), "a cancelled convert left its output folder"
    leftovers = [n for n in os.listdir(parent) if n.startswith(out.name) or n.startswith("." + out.name)]
    assert not leftovers, f"temporaries left: {leftovers}"


def test_keyboard_interrupt_from_the_callback_cancels_cleanly(big_source, tmp_path):
    before = fingerprint(big_source)
    out = tmp_path / "out"
    seen = []

    def progress(label, done, total):
        seen.append((label, done, total))
        if 0 < done < total:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        strata.convert(big_source, to="megatron", out=out, tp=2, ep=4, progress=progress)
    assert seen and 0 < seen[-1][1] < seen[-1][2]
    assert_nothing_finished(tmp_path, out)
    assert fingerprint(big_source) == before


def test_sigint_cancels_like_ctrl_c(big_source, tmp_path):
    before = fingerprint(big_source)
    out = tmp_path / "out"
    sent = []

    def progress(label, done, total):
        if 0 < done < total and not sent:
            sent.append(done)
            os.kill(os.getpid(), signal.SIGINT)  # what Ctrl-C does; seen by PyErr_CheckSignals

    with pytest.raises(KeyboardInterrupt):
        strata.convert(big_source, to="hf-fused", out=out, progress=progress)
    assert sent
    assert_nothing_finished(tmp_path, out)
    assert fingerprint(big_source) == before


def test_diff_and_forward_cancel_through_the_same_bridge(big_source):
    calls = []

    def interrupt(label, done, total):
        calls.append((label, done, total))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        strata.diff(big_source, big_source, progress=interrupt)
    assert calls
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        strata.forward(big_source, [1, 2, 3], progress=interrupt)
    assert calls
