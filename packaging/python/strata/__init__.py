"""Strata from Python: open, read, check and convert LLM checkpoints.

The same C++ core as the ``strata`` CLI and Strata Studio, as a module. Nothing here
loads a whole model: a checkpoint is memory-mapped, and a tensor comes out as a NumPy
array over the mapping whenever its stored bytes already are the tensor asked for.

    >>> import strata
    >>> ckpt = strata.open("megatron_tp2_pp2_ep4/")        # any layout Strata reads
    >>> ckpt.format, ckpt.canonical.layout
    ('megatron', 'megatron')
    >>> w = ckpt.canonical["model.layers.3.mlp.experts.7.up_proj.weight"]   # assembled from ranks
    >>> strata.plan("qwen3-30b-a3b", tp=4, ep=8)["passes"]
    True
    >>> strata.convert("hf/", to="megatron", out="meg/", tp=2, progress=print)

Errors are ``strata.Error`` subclasses carrying Strata's one-line message.
Python and torch are never needed by Strata itself; this module is an optional client.
"""
from __future__ import annotations

import collections.abc
import os
from typing import Any, Callable, Iterator, Optional, Sequence, Union

from . import _core
from ._core import (  # noqa: F401  (re-exported)
    CancelledError,
    CorruptError,
    DLPackTensor,
    Error,
    InternalError,
    InvalidArgumentError,
    IoError,
    NotFoundError,
    TensorInfo,
    TruncatedError,
    UnsupportedError,
)

__all__ = [
    "open", "Checkpoint", "CanonicalTensors", "TensorInfo", "DLPackTensor",
    "plan", "pattern", "check_launch", "convert", "diff", "forward",
    "Error", "InvalidArgumentError", "NotFoundError", "TruncatedError", "CorruptError",
    "UnsupportedError", "IoError", "CancelledError", "InternalError",
]

PathLike = Union[str, "os.PathLike[str]"]
Progress = Callable[[str, int, int], Any]


class CanonicalTensors(collections.abc.Mapping):
    """The canonical model of a checkpoint (HF per-expert tensor names), whatever its layout.

    ``view[name]`` is a NumPy array. It shares the checkpoint's memory map (read-only,
    no copy) when one stored tensor holds the canonical tensor whole and unchanged
    (``is_view(name)``); otherwise the pieces (Megatron TP/PP/EP ranks, fused experts)
    are assembled into a new array. bf16/fp8 tensors need ``ml_dtypes``; ``get(name,
    raw=True)`` gives their bit patterns as unsigned integers instead.
    """

    def __init__(self, core: "_core.Checkpoint"):
        self._core = core
        self._names = core.canonical_names()
        self._index = set(self._names)

    @property
    def layout(self) -> str:
        """How the checkpoint stores the model: 'hf', 'hf-fused', 'hf-fused-v5' or 'megatron'."""
        return self._core.canonical_layout()

    @property
    def hf_config(self) -> dict:
        """The model's HF config.json (rebuilt from Megatron args for Megatron checkpoints)."""
        return self._core.canonical_hf_config()

    @property
    def unmapped(self) -> list:
        """Stored tensors no mapping rule covers (only with strata.open(..., allow_unmapped=True))."""
        return self._core.canonical_unmapped()

    def __getitem__(self, name: str):
        if name not in self._index:
            raise KeyError(name)
        return self._core.canonical_tensor(name, False)

    def get(self, name: str, default=None, *, raw: bool = False):  # type: ignore[override]
        """The tensor, or `default` when there is none; raw=True returns bit patterns."""
        if name not in self._index:
            return default
        return self._core.canonical_tensor(name, raw)

    def info(self, name: str) -> tuple:
        """(dtype, shape) of a canonical tensor, without reading it."""
        return self._core.canonical_info(name)

    def is_view(self, name: str) -> bool:
        """True when view[name] shares the file mapping (no copy)."""
        return self._core.canonical_is_view(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __repr__(self) -> str:
        return f"<strata.CanonicalTensors {self.layout}: {len(self)} tensors>"


class Checkpoint:
    """An opened checkpoint (see strata.open). Its files stay mapped, read-only, while
    this object or any array read from it is alive."""

    def __init__(self, core: "_core.Checkpoint"):
        self._core = core
        self._tensors: Optional[dict] = None
        self._canonical: Optional[CanonicalTensors] = None

    @property
    def format(self) -> str:
        """'safetensors', 'torch', 'megatron' or 'torch_dist'."""
        return self._core.format

    @property
    def path(self) -> str:
        return str(self._core.path)

    @property
    def config(self) -> Optional[dict]:
        """HF config.json or Megatron args, as a dict (None when the checkpoint has none)."""
        return self._core.config

    @property
    def metadata(self):
        """Format-specific metadata: safetensors __metadata__, Megatron parallel sizes..."""
        return self._core.metadata

    @property
    def stored(self) -> list:
        """Every stored tensor as a TensorInfo, in file order (Megatron: one per rank)."""
        return self._core.stored()

    @property
    def tensors(self) -> dict:
        """Stored name -> TensorInfo (dtype, shape, file, offset, rank). When several
        Megatron ranks store the same name this holds the first (rank 0,0,0 first); see
        `stored` for all of them."""
        if self._tensors is None:
            out: dict = {}
            for t in self._core.stored():
                out.setdefault(t.name, t)
            self._tensors = out
        return self._tensors

    @property
    def canonical(self) -> CanonicalTensors:
        """The canonical view: HF per-expert names whatever the layout (opened on first use;
        raises strata.Error when the layout or config cannot be read as a model)."""
        if self._canonical is None:
            self._canonical = CanonicalTensors(self._core)
        return self._canonical

    def tensor(self, name: str, *, rank: Optional[Sequence[int]] = None, raw: bool = False):
        """A stored tensor by its stored name as a NumPy array: a read-only view over the
        mapping when stored contiguously, else gathered into a new array. `rank` is
        (tp, pp, ep) for Megatron checkpoints; raw=True returns bit patterns (bf16 -> uint16)."""
        return self._core.tensor(name, None if rank is None else list(rank), raw)

    def dlpack(self, name: str, *, canonical: bool = True, raw: bool = False) -> DLPackTensor:
        """A DLPack producer for a canonical (or stored) tensor: torch.from_dlpack(ckpt.dlpack(n))
        shares the memory map without copying. The memory is read-only: clone before writing."""
        return self._core.dlpack(name, canonical, raw)

    def mapped_files(self) -> list:
        """(display name, path, address, size) of each memory-mapped file."""
        return self._core.mapped_files()

    def __repr__(self) -> str:
        return f"<strata.Checkpoint {self.format} {self.path!r}: {len(self._core.stored())} stored tensors>"


def open(path: PathLike, *, allow_unmapped: bool = False) -> Checkpoint:  # noqa: A001 (mirrors io.open)
    """Open a checkpoint file or folder in any format Strata reads.

    Safetensors (file, or sharded folder with index), torch .pt, Megatron legacy
    (iter_*/mp_rank_* folders) and torch_dist. Everything is validated at open: a
    corrupt or truncated file raises strata.CorruptError / TruncatedError naming the
    file, tensor and byte offset. allow_unmapped=True lets the canonical view skip
    stored tensors no mapping rule covers instead of failing.
    """
    return Checkpoint(_core._open(os.fspath(path), allow_unmapped))


def _model_arg(model: Union[PathLike, Checkpoint]) -> str:
    return model.path if isinstance(model, Checkpoint) else os.fspath(model)


def _core_arg(model: Union[PathLike, Checkpoint]):
    return model._core if isinstance(model, Checkpoint) else os.fspath(model)


def plan(model: Union[PathLike, Checkpoint], *, tp: int = 1, pp: int = 1, ep: int = 1, etp: int = 0, cp: int = 1,
         vpp: int = 1, dp: int = 0, world: int = 0, sequence_parallel: bool = False,
         first_stage_layers: Optional[int] = None, last_stage_layers: Optional[int] = None,
         make_vocab_size_divisible_by: int = 128, pattern: str = "", mamba_heads: int = 0, mamba_groups: int = 0,
         megatron_version: str = "0.16") -> dict:
    """Check a Megatron parallel plan against a model before a job does (``strata plan --json``).

    `model` is a checkpoint path, a strata.Checkpoint or a synth preset name
    ("qwen3-30b-a3b"). Returns a dict: "passes", "checks" (each with name, ok, severity,
    message and the "alternatives" that pass on its axis), "sizes", "stages" and, when the
    plan passes, "shard_layout" (per-rank bytes and training memory).
    """
    return _core._plan(_model_arg(model), tp, pp, ep, etp, cp, vpp, dp, world, sequence_parallel,
                       first_stage_layers, last_stage_layers, make_vocab_size_divisible_by, pattern,
                       mamba_heads, mamba_groups, megatron_version)


def pattern(*, attn_layers: Optional[Union[str, Sequence[int]]] = None, pattern: Optional[str] = None,
            ratios: Optional[Sequence[float]] = None, layers: int = 0,
            from_model: Optional[Union[PathLike, Checkpoint]] = None, megatron_version: str = "0.16",
            moe_as_mlp: bool = False) -> dict:
    """Convert between an M1 attn_layers list, a Megatron hybrid pattern and ratios
    (``strata pattern --to json``). Give one of attn_layers (with layers=N HF layers or
    from_model), pattern, ratios=(attention, mlp) (with layers=N Megatron layers or
    from_model), or from_model alone. "ok" is False where the CLI would exit 1."""
    if attn_layers is not None and not isinstance(attn_layers, str):
        attn_layers = ",".join(str(i) for i in attn_layers)
    return _core._pattern(attn_layers, pattern, None if ratios is None else tuple(ratios), layers,
                          None if from_model is None else _model_arg(from_model), megatron_version, moe_as_mlp)


def check_launch(model: Union[PathLike, str], flags_file: PathLike, *, megatron_version: str = "0.16") -> dict:
    """A Megatron-LM launch script checked against a checkpoint or preset (``strata plan MODEL
    --megatron-flags FILE --json``'s "megatron_flags"): the check_checkpoint_args, shape, parallel and
    argument findings that would stop the job, each with the flag, both values and the script line.
    "stops" is True when any would."""
    return _core._check_launch(os.fspath(model), os.fspath(flags_file), megatron_version)


def convert(source: PathLike, *, to: str, out: Optional[PathLike] = None, tp: int = 1, pp: int = 1, ep: int = 1,
            etp: int = 0, vpp: int = 1, dtype: Optional[str] = None, expert_layout: Optional[str] = None,
            norm_layout: Optional[str] = None, vocab_padding: bool = True, make_vocab_size_divisible_by: int = 128,
            mamba_layout: Optional[str] = None, megatron_version: Optional[str] = None,
            ckpt_format: Optional[str] = None, threads: int = 0,
            max_memory: int = 1 << 30, allow_unmapped: bool = False, dry_run: bool = False, overwrite: bool = False,
            iteration: int = 1, release: bool = False, verify: bool = True,
            progress: Optional[Progress] = None) -> dict:
    """Convert a checkpoint to another layout (``strata convert``): to='megatron' (with tp, pp,
    ep, etp, vpp), 'hf', 'hf-fused' or 'hf-fused-v5'. ckpt_format='torch_dist' writes Megatron's
    distributed checkpoint instead of the legacy per-rank files ('torch').

    Runs with the GIL released. `progress(label, done, total)` is called on this thread
    whenever progress moves (at most every 50 ms). Ctrl-C, or an exception raised by
    `progress`, cancels the conversion: the output folder is never created (the temporary
    sibling is removed) and the source is only ever read. Returns a summary dict (the dry-run
    plan with dry_run=True).
    """
    return _core._convert(os.fspath(source), to, "" if out is None else os.fspath(out), tp, pp, ep, etp, vpp, dtype,
                          expert_layout, norm_layout, vocab_padding, make_vocab_size_divisible_by, mamba_layout,
                          megatron_version, ckpt_format, threads, max_memory, allow_unmapped, dry_run, overwrite, iteration,
                          release, verify, progress)


def diff(a: Union[PathLike, Checkpoint], b: Union[PathLike, Checkpoint], *, tolerance: float = 0.0, threads: int = 0,
         stored_names: bool = False, allow_unmapped: bool = False, progress: Optional[Progress] = None) -> dict:
    """Compare two checkpoints tensor by tensor through their canonical views (``strata diff``),
    so a Megatron TP4 checkpoint can be compared with its HF source. Returns diff --json --all's
    report plus "equal" (bool) and "text" (the CLI's table). stored_names=True matches tensors by
    stored name instead (checkpoints without a model, torch_dist)."""
    return _core._diff(_core_arg(a), _core_arg(b), tolerance, threads, stored_names, allow_unmapped, progress)


def forward(model: Union[PathLike, Checkpoint], tokens: Sequence[int], *, device: str = "cpu",
            precision: str = "f32", allow_unmapped: bool = False, progress: Optional[Progress] = None):
    """Run the reference forward pass (``strata forward``) on token ids and return the logits
    as a float32 NumPy array [len(tokens), vocab]. Any layout gives the same numbers."""
    return _core._forward(_core_arg(model), [int(t) for t in tokens], device, precision, allow_unmapped, progress)
