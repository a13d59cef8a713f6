"""torch.nn.Parameter and torch.nn.Buffer: Tensor handles that a Module registers by type."""

from __future__ import annotations

import jax.numpy as jnp

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "is_lazy"]


def _empty():
    from .. import _dtype as D

    return jnp.zeros((0,), D.get_default_dtype()._np)


class Parameter(Tensor):
    """A leaf Tensor that Modules register as a parameter; requires grad by default.

    torch's Parameter aliases `data`'s storage. Arrays here are immutable, so the Parameter holds the
    same array and later in-place writes to either side are not seen by the other.
    """

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True):
        value = _empty() if data is None else data._value
        t = Tensor._make.__func__(cls, value, False)
        t.requires_grad_(requires_grad)
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(jnp.array(self._value, copy=True)), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        import numpy as np

        return (_rebuild_parameter, (np.asarray(self._value), self.requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(jnp.asarray(array)), requires_grad)


class _BufferMeta(type):
    # torch's Buffer(...) returns a plain Tensor tagged `_is_buffer`; isinstance checks the tag
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)
        return super().__instancecheck__(instance)


class Buffer(metaclass=_BufferMeta):
    """torch.nn.Buffer: marks a tensor to be registered as a buffer on Module attribute assignment."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True):
        if data is None:
            data = Tensor._make(_empty())
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


class UninitializedParameter(Parameter):
    """Placeholder for lazy modules (not materialised here)."""

    cls_to_become = Parameter

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def is_lazy(param: object) -> bool:
    return isinstance(param, UninitializedParameter)
