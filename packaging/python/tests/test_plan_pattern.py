"""strata.plan and strata.pattern return what `strata plan --json` and
`strata pattern --to json` print."""
import json
import os

import strata
from conftest import run_cli


def test_plan_equals_the_cli(models):
    cli = json.loads(run_cli("plan", "qwen3-30b-a3b", "--tp", 4, "--ep", 8, "--pp", 2, "--sp", "--json").stdout)
    assert strata.plan("qwen3-30b-a3b", tp=4, ep=8, pp=2, sequence_parallel=True) == cli
    assert cli["passes"] is True and "shard_layout" in cli


def test_plan_warning_on_sequence_parallel_equals_the_cli():
    # megatron-core only warns without --sequence-parallel at TP > 1 and EP > 1 (model_parallel_config.py).
    cli = json.loads(run_cli("plan", "qwen3-30b-a3b", "--tp", 4, "--ep", 8, "--json", check=False).stdout)
    report = strata.plan("qwen3-30b-a3b", tp=4, ep=8)
    assert report == cli and report["passes"] is True
    assert any(c["name"] == "sequence parallel" and not c["ok"] and c["severity"] == "warning"
               for c in report["checks"])


FLAGS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests", "reference", "fixtures", "launch_flags")


def test_check_launch_equals_the_cli():
    script = os.path.join(FLAGS, "qwen3_30b_a3b_modelopt.sh")
    cli = json.loads(run_cli("plan", "tiny", "--megatron-flags", script, "--json", check=False).stdout)
    report = strata.check_launch("tiny", script)
    assert report == cli["megatron_flags"]
    assert report["stops"] is True  # the 30B flags against the tiny model
    assert any(f["stops"] and f["flag"] == "--num-layers" for f in report["findings"])
    assert strata.check_launch("qwen3-30b-a3b", script)["stops"] is False


def test_failing_plan_lists_the_values_that_pass():
    report = strata.plan("qwen3-30b-a3b", tp=3)
    assert report["passes"] is False
    failed = [c for c in report["checks"] if not c["ok"] and c["axis"] == "TP"]
    assert failed and all(1 in c["alternatives"] and 3 not in c["alternatives"] for c in failed)


def test_plan_of_an_opened_checkpoint(models):
    cli = json.loads(run_cli("plan", models["megatron"], "--tp", 2, "--json").stdout)
    assert strata.plan(strata.open(models["megatron"]), tp=2) == cli


def test_pattern_equals_the_cli():
    cli = json.loads(run_cli("pattern", "--pattern", "M-M*-M-", "--to", "json").stdout)
    got = strata.pattern(pattern="M-M*-M-")
    assert got["ok"] is True  # `strata pattern` exits 1 when this is false
    assert got == cli
    ratios = strata.pattern(ratios=(0.25, 0.5), layers=8)
    cli = json.loads(run_cli("pattern", "--ratios", "0.25,0.5", "--layers", 8, "--to", "json").stdout)
    assert ratios == cli
