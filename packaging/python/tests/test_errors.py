"""Errors are strata.Error subclasses mapped from the core's status codes, with Strata's
one-line message and the file / tensor / byte offset as attributes."""
import json
import struct

import pytest

import strata


def test_missing_path_is_not_found(tmp_path):
    with pytest.raises(strata.NotFoundError) as e:
        strata.open(tmp_path / "absent.safetensors")
    assert isinstance(e.value, strata.Error) and isinstance(e.value, LookupError)
    assert e.value.code == "not found"
    assert "\n" not in str(e.value)


def test_offsets_past_the_data_are_corrupt_with_file_and_tensor(tmp_path):
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)  # 8 of the 16 bytes
    with pytest.raises(strata.Error) as e:
        strata.open(path)
    assert type(e.value) in (strata.CorruptError, strata.TruncatedError)
    assert e.value.file and e.value.file.endswith("bad.safetensors")
    assert e.value.tensor == "w"
    assert str(e.value).startswith(e.value.file) and "\n" not in str(e.value)


def test_bad_arguments_are_value_errors(tmp_path):
    with pytest.raises(strata.InvalidArgumentError) as e:
        strata.convert(tmp_path, to="onnx", out=tmp_path / "o")
    assert isinstance(e.value, ValueError)
    assert "onnx" in str(e.value)


def test_every_code_has_a_class():
    for cls in (strata.InvalidArgumentError, strata.NotFoundError, strata.TruncatedError, strata.CorruptError,
                strata.UnsupportedError, strata.IoError, strata.CancelledError, strata.InternalError):
        assert issubclass(cls, strata.Error) and cls.__module__ == "strata"
