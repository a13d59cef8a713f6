"""torch.autograd.Variable: the pre-0.4 wrapper, now a function returning a detached leaf (old scripts and
notebooks still call it); every tensor is an instance."""

from __future__ import annotations

import warnings
from typing import Any

from .graph import _Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other: Any) -> bool:
        return isinstance(other, _Tensor())


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Any:
        Tensor = _Tensor()
        if volatile:
            warnings.warn(
                "volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                UserWarning,
                stacklevel=2,
            )
        if data is None:
            from .. import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if not hasattr(requires_grad, "__index__"):  # (torch parses the flag as an integer)
            raise TypeError(f"'{type(requires_grad).__name__}' object cannot be interpreted as an integer")
        requires_grad = bool(requires_grad.__index__())
        if requires_grad and not (data.dtype.is_floating_point or data.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        return data.detach().requires_grad_(requires_grad)
