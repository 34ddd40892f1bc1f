"""Zero copy where promised (Must show 2): canonical tensors stored whole are NumPy views
whose memory lies inside the file's mapping (checked against the kernel's /proc/self/maps,
not only against what Strata reports), and reading every tensor of a ~256 MB single-file
checkpoint raises peak RSS by far less than the file size: getting them all and keeping them
(a copying reader would hold the whole file), and summing every byte of each one by one
(the pages of a released array are handed back to the page cache)."""
import gc
import json
import os
import struct
import subprocess
import sys
import textwrap

import numpy as np

import strata
from conftest import read_safetensors_folder


def mapping_of(address: int):
    """(start, end, path) of the /proc/self/maps entry holding `address`, or None."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if start <= address < end:
                return start, end, fields[5] if len(fields) > 5 else ""
    return None


def data_address(array) -> int:
    return array.__array_interface__["data"][0]


def test_hf_tensors_are_read_only_views_of_the_mapped_file(models):
    ckpt = strata.open(models["hf"])
    files = {os.path.realpath(path): (address, size) for _, path, address, size in ckpt.mapped_files()}
    for name in ckpt.canonical:
        assert ckpt.canonical.is_view(name), name
        array = ckpt.canonical.get(name, raw=True)
        assert not array.flags.writeable and not array.flags.owndata
        address = data_address(array)
        entry = mapping_of(address)
        assert entry is not None and entry[2].endswith(".safetensors"), (name, entry)
        start, size = files[os.path.realpath(entry[2])]
        assert start <= address and address + array.nbytes <= start + size, name


def test_arrays_keep_the_checkpoint_alive(models):
    reference = read_safetensors_folder(models["hf"])
    ckpt = strata.open(models["hf"])
    array = ckpt.canonical.get("model.layers.1.mlp.experts.5.down_proj.weight", raw=True)
    del ckpt
    gc.collect()
    assert mapping_of(data_address(array)) is not None
    assert np.array_equal(array, reference["model.layers.1.mlp.experts.5.down_proj.weight"])


def test_megatron_tensors_split_over_ranks_are_assembled_copies(models):
    ckpt = strata.open(models["megatron"])
    name = "model.layers.0.self_attn.q_proj.weight"  # TP2 halves, interleaved in linear_qkv
    assert not ckpt.canonical.is_view(name)
    array = ckpt.canonical.get(name, raw=True)
    assert array.flags.owndata or array.base is not None
    entry = mapping_of(data_address(array))
    assert entry is None or not entry[2].startswith(str(models["megatron"]))


SUM_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    import numpy as np
    import strata
    ckpt = strata.open(sys.argv[1])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    total = 0.0
    for name in ckpt.tensors:
        total += float(np.sum(ckpt.tensor(name)))   # reads every byte; the array is dropped after
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"sum": total, "growth": after - before}))
""")

RSS_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    import strata
    path = sys.argv[1]
    ckpt = strata.open(path)
    names = list(ckpt.tensors)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    kept = []
    for i, name in enumerate(names):
        array = ckpt.tensor(name)
        assert array[0, 0] == i, (name, array[0, 0])   # touches one page of each tensor
        kept.append(array)                               # a copying reader would hold them all
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"tensors": len(kept), "growth": after - before}))
""")


def write_expert_file(path, experts: int, rows: int, cols: int) -> int:
    """A single-file safetensors checkpoint of `experts` F32 tensors [rows, cols], tensor i
    starting with the value i; the rest is a file hole (no disk, reads as zeros)."""
    nbytes = rows * cols * 4
    header = {f"model.layers.0.mlp.experts.{i}.up_proj.weight":
              {"dtype": "F32", "shape": [rows, cols], "data_offsets": [i * nbytes, (i + 1) * nbytes]}
              for i in range(experts)}
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob)
        base = f.tell()
        for i in range(experts):
            f.seek(base + i * nbytes)
            f.write(np.float32(i).tobytes())
        f.truncate(base + experts * nbytes)
    return os.path.getsize(path)


def test_reading_every_tensor_of_a_large_file_keeps_rss_flat(tmp_path):
    path = tmp_path / "experts.safetensors"
    size = write_expert_file(path, experts=128, rows=512, cols=1024)  # 256 MiB
    result = subprocess.run([sys.executable, "-c", RSS_SCRIPT, str(path)], check=True, capture_output=True,
                            text=True, env=os.environ)
    report = json.loads(result.stdout)
    assert report["tensors"] == 128
    print(f"file {size / 2**20:.0f} MiB, peak RSS growth {report['growth'] / 2**20:.1f} MiB")
    assert report["growth"] < size / 20, report


def test_summing_every_tensor_one_by_one_keeps_rss_flat(tmp_path):
    path = tmp_path / "experts.safetensors"
    size = write_expert_file(path, experts=128, rows=512, cols=1024)  # 256 MiB, 2 MiB per tensor
    result = subprocess.run([sys.executable, "-c", SUM_SCRIPT, str(path)], check=True, capture_output=True,
                            text=True, env=os.environ)
    report = json.loads(result.stdout)
    assert report["sum"] == sum(range(128))
    print(f"file {size / 2**20:.0f} MiB, summed one by one: peak RSS growth {report['growth'] / 2**20:.1f} MiB")
    assert report["growth"] < size / 8, report


def test_experts_inside_fused_tensors_are_views_too(models, tmp_path):
    """In HF fused layouts each canonical expert tensor is one box of a fused tensor: still a view
    (offset into the fused tensor), and equal to the per-expert source."""
    reference = read_safetensors_folder(models["hf"])
    for target in ("hf-fused", "hf-fused-v5"):
        out = tmp_path / target
        strata.convert(models["hf"], to=target, out=out)
        ckpt = strata.open(out)
        assert ckpt.canonical.layout == target
        fused = [t for t in ckpt.stored if "experts" in t.name]
        assert fused and all(t.name.count(".experts.") == 1 and not t.name.split(".experts.")[1][0].isdigit()
                             for t in fused), [t.name for t in fused][:4]
        for name, expected in reference.items():
            assert ckpt.canonical.is_view(name), (target, name)
            array = ckpt.canonical.get(name, raw=True)
            assert mapping_of(data_address(array))[2].endswith(".safetensors")
            assert np.array_equal(array, expected), (target, name)
