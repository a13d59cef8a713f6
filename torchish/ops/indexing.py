"""Tensor.__getitem__ / __setitem__.

Basic indices (ints, slices, None, ...) become the view ops torch would record (select, slice,
unsqueeze); tensor and list indices become one gather (`IndexBackward0`). Boolean masks are turned
into integer indices eagerly, so every traced function has static shapes.
"""

from __future__ import annotations

import builtins

import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap_dim
from . import _registry as R
from ._registry import SAME, op
from .shape import _slice, select, unsqueeze


def _is_basic(i):
    return i is None or i is Ellipsis or isinstance(i, (builtins.bool, int, np.integer, slice)) or (
        isinstance(i, R._Tensor) and i.dim() == 0 and not i.dtype.is_floating_point and i.dtype._name != "bool"
    )


def _expand_ellipsis(idx, ndim):
    def width(i):
        if i is None or i is Ellipsis or isinstance(i, builtins.bool):
            return 0
        if isinstance(i, R._Tensor) and i.dtype._name in ("bool", "uint8"):
            return i.dim()  # a mask spans as many dims as it has
        return 1

    consumed = builtins.sum(width(i) for i in idx)
    if consumed > ndim:
        if ndim == 0:
            raise IndexError(
                "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to "
                "convert a 0-dim tensor to a number"
            )
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if builtins.sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in [i for i in idx if not isinstance(i, R._Tensor)]:
        k = next(j for j, i in enumerate(idx) if i is Ellipsis)
        return idx[:k] + (slice(None),) * (ndim - consumed) + idx[k + 1 :]
    return idx + (slice(None),) * (ndim - consumed)


def _normalize(self, index):
    idx = index if isinstance(index, tuple) else (index,)
    idx = tuple(R._Tensor._make(jnp.asarray(np.asarray(i))) if isinstance(i, (list, np.ndarray)) else i for i in idx)
    return _expand_ellipsis(idx, self.dim())


def getitem(self, index):
    idx = _normalize(self, index)
    if builtins.all(_is_basic(i) for i in idx):
        return _basic(self, idx, keep_full_slice=isinstance(index, slice))
    return _advanced(self, idx)


def _basic(self, idx, keep_full_slice=False):
    out, dim = self, 0
    for i in idx:
        if i is None:
            out = unsqueeze(out, dim)
            dim += 1
        elif isinstance(i, builtins.bool):
            out = unsqueeze(out, dim)
            if not i:
                out = _slice(out, dim, 0, 0, 1)
            dim += 1
        elif isinstance(i, slice):
            size = out.shape[dim]
            start, stop, step = i.indices(size)
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            if (start, stop, step) != (0, size, 1) or keep_full_slice:
                out = _slice(out, dim, start, builtins.max(stop, start), step)
            dim += 1
        else:
            n = int(i)
            size = out.shape[dim]
            if not -size <= n < size:
                raise IndexError(f"index {n} is out of bounds for dimension {dim} with size {size}")
            out = select(out, dim, n)
    if out is self:
        return _alias(self)
    return out


@op("_alias", promote=SAME, grad_name="AliasBackward0", method=False)
def _alias(input):
    return input


R.OPS["_alias"].is_view = True


def _advanced_spec(self, idx):
    """Validate a tensor/list index like torch and turn it into a static spec plus index tensors."""
    spec, arrays, dim = [], [], 0
    for i in idx:
        if isinstance(i, R._Tensor) and i.dtype._name in ("bool", "uint8"):
            mask = np.asarray(i._value).astype(bool)
            for d, s in enumerate(mask.shape):
                if self.shape[dim + d] != s:
                    raise IndexError(
                        f"The shape of the mask [{', '.join(map(str, mask.shape))}] at index {d} does not match the "
                        f"shape of the indexed tensor [{', '.join(map(str, self.shape))}] at index {dim + d}"
                    )
            if mask.ndim == 0:
                spec.append(("b", bool(mask)))
                continue
            for nz in np.nonzero(mask):
                spec.append(("t", len(arrays)))
                arrays.append(R._Tensor._make(jnp.asarray(nz, jnp.int64)))
            dim += mask.ndim
        elif isinstance(i, R._Tensor):
            if i.dtype.is_floating_point or i.dtype.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            v = np.asarray(i._value)
            size = self.shape[dim]
            bad = v[(v >= size) | (v < -size)]
            if bad.size:
                first = int(bad.reshape(-1)[0])
                raise IndexError(f"index {first} is out of bounds for dimension {dim} with size {size}")
            spec.append(("t", len(arrays)))
            arrays.append(i)
            dim += 1
        elif i is None:
            spec.append(("n",))
        elif isinstance(i, slice):
            spec.append(("s", i.start, i.stop, i.step))
            dim += 1
        else:
            n = int(i)
            size = self.shape[dim]
            if not -size <= n < size:
                raise IndexError(f"index {n} is out of bounds for dimension {dim} with size {size}")
            spec.append(("i", n))
            dim += 1
    return tuple(spec), arrays


def _advanced(self, idx):
    """One gather: tensors/lists index, basic parts stay as static slices."""
    spec, arrays = _advanced_spec(self, idx)
    return _index((self, *arrays), spec)


def _jnp_index(arrays, spec):
    out = []
    for s in spec:
        if s[0] == "t":
            out.append(arrays[s[1]])
        elif s[0] == "n":
            out.append(None)
        elif s[0] == "s":
            out.append(slice(s[1], s[2], s[3]))
        elif s[0] == "b":
            out.append(s[1])
        else:
            out.append(s[1])
    return tuple(out)


@op("_index", promote=SAME, grad_name="IndexBackward0", varargs=True, method=False, promoted=(0,), saves=((1,),))
def _index(tensors, spec):
    x, *arrays = tensors
    return x[_jnp_index(arrays, spec)]


@op("_index_put", promote=SAME, grad_name="IndexPutBackward0", varargs=True, method=False, promoted=(0,))
def _index_put(tensors, spec):
    x, value, *arrays = tensors
    return x.at[_jnp_index(arrays, spec)].set(value.astype(x.dtype))


def setitem(self, index, value):
    idx = _normalize(self, index)
    if not isinstance(value, R._Tensor):
        value = R._Tensor._make(jnp.asarray(value, self._value.dtype))
    if builtins.all(_is_basic(i) for i in idx):
        view = _basic(self, idx)  # validates the index like torch
        del view
        spec = tuple(
            ("n",) if i is None else ("s", i.start, i.stop, i.step) if isinstance(i, slice) else ("i", int(i))
            for i in idx
            if not isinstance(i, builtins.bool)
        )
        spec = tuple(s for s in spec if s[0] != "n")
        name = "torch::autograd::CopySlices"
        arrays = []
    else:
        spec, arrays = _advanced_spec(self, idx)
        name = "IndexPutBackward0"
    _check_value_shape(self, spec, arrays, value)
    d = R.OPS["_index_put"]
    R.dispatch(d, (self, value, *arrays), (("spec", spec),), inplace_target=self)
    if self._grad_fn is not None and self._grad_fn._name != name and self._grad_fn.kernel.op is d:
        self._grad_fn._name = name


def _check_value_shape(self, spec, arrays, value):
    target = np.empty(tuple(self.shape), np.int8)[_jnp_index([np.asarray(a._value) for a in arrays], spec)]
    try:
        shape = np.broadcast_shapes(tuple(value.shape), target.shape)
    except ValueError:
        shape = None
    if shape != target.shape:
        raise RuntimeError(
            f"shape mismatch: value tensor of shape [{', '.join(map(str, value.shape))}] cannot be broadcast to "
            f"indexing result of shape [{', '.join(map(str, target.shape))}]"
        )


def _wrap_index_dim(d, n):
    return _wrap_dim(d, n)
