"""torch.device on JAX devices: 'cpu', 'cuda' (JAX gpu), 'tpu'."""

from __future__ import annotations

import jax

_PLATFORM_OF = {"cpu": "cpu", "cuda": "gpu", "gpu": "gpu", "tpu": "tpu"}
_TYPE_OF = {"cpu": "cpu", "gpu": "cuda", "cuda": "cuda", "rocm": "cuda", "tpu": "tpu"}


class device:
    __slots__ = ("type", "index")

    def __init__(self, type: str | device | int, index: int | None = None) -> None:  # noqa: A002
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            type, _, idx = type.partition(":")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'")
            index = int(idx)
        if type not in _PLATFORM_OF and type not in ("meta", "mps", "xla"):
            raise RuntimeError(
                "Expected one of cpu, cuda, ipu, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, "
                f"lazy, vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}"
            )
        self.type = type
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_CPU = device("cpu")


def _of_array(value) -> device:
    try:
        (dev,) = value.devices()
    except (AttributeError, ValueError):
        return _CPU
    if dev.platform == "cpu":
        return _CPU
    return device(_TYPE_OF.get(dev.platform, dev.platform), dev.id)


def _jax_device(d) -> jax.Device | None:
    """The JAX device for a torch device spec, or None for the default placement."""
    if d is None:
        return None
    d = device(d) if not isinstance(d, device) else d
    platform = _PLATFORM_OF.get(d.type)
    try:
        devs = jax.devices(platform)
    except RuntimeError:
        if d.type == "cuda":
            raise AssertionError("Torch not compiled with CUDA enabled") from None
        raise RuntimeError(f"no JAX device for {d}") from None
    return devs[d.index or 0]
