"""Padding modules (torch/nn/modules/padding.py)."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from .. import functional as F
from .module import Module
from .utils import _ntuple

__all__ = [
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
]


class _PadNd(Module):
    __constants__ = ["padding"]
    _n = 2
    _mode = "constant"

    def __init__(self, padding: Any) -> None:
        super().__init__()
        self.padding = _ntuple(self._n)(padding)

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    __constants__ = ["padding", "value"]

    def __init__(self, padding: Any, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


def _pad_class(name: str, base: type, n: int, mode: str = "constant") -> type:
    return type(name, (base,), {"_n": n, "_mode": mode, "__module__": __name__})


ConstantPad1d = _pad_class("ConstantPad1d", _ConstantPadNd, 2)
ConstantPad2d = _pad_class("ConstantPad2d", _ConstantPadNd, 4)
ConstantPad3d = _pad_class("ConstantPad3d", _ConstantPadNd, 6)
ZeroPad1d = _pad_class("ZeroPad1d", _ZeroPadNd, 2)
ZeroPad2d = _pad_class("ZeroPad2d", _ZeroPadNd, 4)
ZeroPad3d = _pad_class("ZeroPad3d", _ZeroPadNd, 6)
ReflectionPad1d = _pad_class("ReflectionPad1d", _PadNd, 2, "reflect")
ReflectionPad2d = _pad_class("ReflectionPad2d", _PadNd, 4, "reflect")
ReflectionPad3d = _pad_class("ReflectionPad3d", _PadNd, 6, "reflect")
ReplicationPad1d = _pad_class("ReplicationPad1d", _PadNd, 2, "replicate")
ReplicationPad2d = _pad_class("ReplicationPad2d", _PadNd, 4, "replicate")
ReplicationPad3d = _pad_class("ReplicationPad3d", _PadNd, 6, "replicate")
CircularPad1d = _pad_class("CircularPad1d", _PadNd, 2, "circular")
CircularPad2d = _pad_class("CircularPad2d", _PadNd, 4, "circular")
CircularPad3d = _pad_class("CircularPad3d", _PadNd, 6, "circular")
