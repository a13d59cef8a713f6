"""torch dtypes, their JAX/numpy counterparts, and torch's type promotion."""

from __future__ import annotations

import builtins

import jax.numpy as jnp
import ml_dtypes
import numpy as np


class dtype:
    """A torch dtype: ``torch.float32`` and friends. Instances are singletons."""

    __slots__ = ("_name", "_np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_rank")

    def __init__(self, name: str, np_dtype, kind: str, rank: int):
        self._name = name
        self._np = np.dtype(np_dtype)
        self.is_floating_point = kind == "f"
        self.is_complex = kind == "c"
        self.is_signed = kind in "fci" or name == "int8"
        self.itemsize = self._np.itemsize
        self._rank = rank

    def __repr__(self) -> str:
        return "torch." + self._name

    def __reduce__(self):
        return (_by_name.__getitem__, (self._name,))

    def to_real(self) -> dtype:
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self) -> dtype:
        return {float64: complex128, complex128: complex128}.get(self, complex64)


# rank orders dtypes inside one category for promotion
bool = dtype("bool", np.bool_, "b", 0)  # noqa: A001 - torch.bool
uint8 = dtype("uint8", np.uint8, "u", 1)
int8 = dtype("int8", np.int8, "i", 1)
int16 = dtype("int16", np.int16, "i", 2)
int32 = dtype("int32", np.int32, "i", 3)
int64 = dtype("int64", np.int64, "i", 4)
float16 = dtype("float16", np.float16, "f", 1)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, "f", 1)
float32 = dtype("float32", np.float32, "f", 2)
float64 = dtype("float64", np.float64, "f", 3)
complex64 = dtype("complex64", np.complex64, "c", 2)
complex128 = dtype("complex128", np.complex128, "c", 3)

_ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
_by_name = {d._name: d for d in _ALL}
_by_np = {d._np: d for d in _ALL}
_ALIASES = {
    "half": float16,
    "float": float32,
    "double": float64,
    "short": int16,
    "int": int32,
    "long": int64,
    "cfloat": complex64,
    "cdouble": complex128,
}

_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def _to_np(d: dtype) -> np.dtype:
    return d._np


def _from_np(np_dtype) -> dtype:
    return _by_np[np.dtype(np_dtype)]


def _category(d: dtype) -> int:
    return 0 if d is bool else 1 if not (d.is_floating_point or d.is_complex) else 2 if d.is_floating_point else 3


def promote_types(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    ca, cb = _category(a), _category(b)
    if ca != cb:
        hi, lo = (a, b) if ca > cb else (b, a)
        if hi.is_complex and lo.is_floating_point and lo is float64:
            return complex128
        return hi
    if ca == 1:  # integers: uint8 mixes with signed types by widening
        if a is uint8 or b is uint8:
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a._rank > b._rank else b
    if {a, b} == {float16, bfloat16}:
        return float32
    return a if a._rank > b._rank else b


def _default_for_scalar(x) -> dtype:
    if isinstance(x, (builtins.bool, np.bool_)):
        return bool
    if isinstance(x, int):
        return int64
    if isinstance(x, complex):
        return _default_float.to_complex()
    return _default_float


def _combine(higher, lower):
    """torch's combine_categories: a higher-priority operand wins unless the lower one is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.is_complex:
        return higher
    if lower.is_complex:
        return higher.to_complex() if higher.is_floating_point else lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def _result_type(tensor_dtypes_dim, tensor_dtypes_zero, scalars) -> dtype:
    """torch.result_type: dimensioned tensors > 0-dim tensors > Python scalars, category permitting."""
    dim = zero = wrapped = None
    for d in tensor_dtypes_dim:
        dim = d if dim is None else promote_types(dim, d)
    for d in tensor_dtypes_zero:
        zero = d if zero is None else promote_types(zero, d)
    for s in scalars:
        d = _default_for_scalar(s)
        wrapped = d if wrapped is None else promote_types(wrapped, d)
    return _combine(dim, _combine(zero, wrapped))


def _jnp_dtype(d: dtype):
    return jnp.dtype(d._np)
