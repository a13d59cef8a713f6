"""torch.cuda on JAX: the questions scripts ask (is a GPU there, how many, which) answered from JAX's GPU devices.

Without one, every call answers as a CPU-only torch build does: False / 0, or its AssertionError."""

from __future__ import annotations

import contextlib
from typing import Any

import jax

_NOT_COMPILED = "Torch not compiled with CUDA enabled"
_current = [0]


def _gpus() -> list:
    try:
        return jax.devices("gpu")
    except RuntimeError:
        return []


def _gpu(device: Any = None):
    gpus = _gpus()
    if not gpus:
        raise AssertionError(_NOT_COMPILED)
    index = _current[0] if device is None else getattr(device, "index", device)
    if isinstance(index, str):
        index = int(index.partition(":")[2] or 0)
    return gpus[index or 0]


def is_available() -> bool:
    return bool(_gpus())


def device_count() -> int:
    return len(_gpus())


def is_initialized() -> bool:
    return bool(_gpus())


def current_device() -> int:
    _gpu()
    return _current[0]


def set_device(device: Any) -> None:
    _gpu(device)
    _current[0] = getattr(device, "index", device) or 0


def get_device_name(device: Any = None) -> str:
    return _gpu(device).device_kind


def synchronize(device: Any = None) -> None:
    _gpu(device)
    (jax.device_put(0.0, _gpu(device)) + 0).block_until_ready()  # (JAX runs in order per device)


def empty_cache() -> None:
    return None


def _memory(key: str, device: Any = None) -> int:
    gpus = _gpus()
    if not gpus:
        return 0
    stats = _gpu(device).memory_stats() or {}
    return int(stats.get(key, 0))


def memory_allocated(device: Any = None) -> int:
    return _memory("bytes_in_use", device)


def max_memory_allocated(device: Any = None) -> int:
    return _memory("peak_bytes_in_use", device)


def memory_reserved(device: Any = None) -> int:
    return _memory("bytes_reserved", device)


def manual_seed(seed: int) -> None:
    """A no-op, as on a CPU-only torch: torchish draws every random number from torch's CPU generator."""


def manual_seed_all(seed: int) -> None:
    """See manual_seed."""


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return bool(_gpus())


@contextlib.contextmanager
def device(device: Any):
    """Make `device` the current one inside the block."""
    if not _gpus():
        raise RuntimeError("PyTorch was compiled without CUDA support")
    previous = _current[0]
    set_device(device)
    try:
        yield
    finally:
        _current[0] = previous
