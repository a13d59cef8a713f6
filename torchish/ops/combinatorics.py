"""Index sets and membership: tril_indices / triu_indices, cartesian_prod and combinations (composed as ATen's
Itertools.cpp composes them, so their graphs are torch's: meshgrid, masked_select, stack), isin and
unique_consecutive (computed on the host, as torch's CPU kernels read every value)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import _wrap_dim
from . import _out
from . import _registry as R
from ._registry import SAME, op

__all__ = ["tril_indices", "triu_indices", "cartesian_prod", "combinations", "isin", "unique_consecutive"]


def _triangle(name, row, col, offset, dtype, lower):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dtype = D.int64 if dtype is None else dtype
    if dtype.is_floating_point or dtype.is_complex or dtype is D.bool:
        raise NotImplementedError(f"\"{name}\" not implemented for '{R._type_word(dtype)}'")
    rows, cols = np.tril_indices(row, offset, col) if lower else np.triu_indices(row, offset, col)
    out = np.stack([rows, cols]).astype(np.int64).reshape(2, -1)
    return R._Tensor._make(jnp.asarray(out, dtype._np))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    return _triangle("tril_indices", row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
    return _triangle("triu_indices", row, col, offset, dtype, False)


def _vector(t) -> None:
    if t.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape [{', '.join(map(str, t.shape))}]")


def cartesian_prod(*tensors):
    from .misc import meshgrid
    from .shape import flatten, stack

    for t in tensors:
        _vector(t)
    if len(tensors) == 1:
        return tensors[0]
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    return stack([flatten(g) for g in meshgrid(*tensors, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    from .misc import meshgrid
    from .selection import masked_select
    from .shape import stack

    _vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return R._Tensor._make(jnp.zeros((0,), input._value.dtype))
    n = input.numel()
    grids = np.meshgrid(*[np.arange(n)] * r, indexing="ij")
    keep = np.ones((n,) * r, bool)
    for a, b in zip(grids, grids[1:]):  # (torch's _triu_mask: each index after the one before it)
        keep &= a <= b if with_replacement else a < b
    mask = R._Tensor._make(jnp.asarray(keep))
    return stack([masked_select(g, mask) for g in meshgrid(*[input] * r, indexing="ij")], 1)


def isin(elements, test_elements, *, assume_unique=False, invert=False, out=None):
    tensors = [t for t in (elements, test_elements) if isinstance(t, R._Tensor)]
    if not tensors:
        raise TypeError(
            f"isin() received an invalid combination of arguments - got ({type(elements).__name__}, "
            f"{type(test_elements).__name__}), but expected one of:\n"
            " * (Tensor elements, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out "
            "= None)\n"
            " * (Number element, Tensor test_elements, *, bool assume_unique = False, bool invert = False, Tensor out "
            "= None)\n"
            " * (Tensor elements, Number test_element, *, bool assume_unique = False, bool invert = False, Tensor out "
            "= None)\n"
        )
    for t in tensors:
        if t.dtype is D.bool or t.dtype.is_complex:
            raise RuntimeError(f"Unsupported input type encountered for isin(): {R._type_word(t.dtype)}")
    a = np.asarray(elements._value) if isinstance(elements, R._Tensor) else np.asarray(elements)
    b = np.asarray(test_elements._value) if isinstance(test_elements, R._Tensor) else np.asarray(test_elements)
    hit = R._Tensor._make(jnp.asarray(np.isin(a, b, invert=invert), bool))  # (nan is in nothing, as in torch)
    return hit if out is None else _out.exact_out("isin", out, hit)


@op("_unique_consecutive", n_tensors=2, promote=SAME, grad_name="UniqueConsecutiveBackward0", promoted=(0,),
    method=False, saves=((1,), ()))  # fmt: skip
def _unique_consecutive(input, first, dim):
    return jnp.take(input.reshape(-1) if dim is None else input, first, axis=0 if dim is None else dim)


def _no_derivative(grad, result, params, inputs):
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


R.OPS["_unique_consecutive"].result_grad = _no_derivative
R.OPS["_unique_consecutive"].edges = lambda sig: (0,)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = np.asarray(input._value)
    if dim is None:
        flat = x.reshape(-1)
        starts = np.flatnonzero(np.concatenate([[True], flat[1:] != flat[:-1]])) if flat.size else np.zeros(0, int)
        length = flat.size
    else:
        d = _wrap_dim(dim, input.dim())
        moved = np.moveaxis(x, d, 0).reshape(x.shape[d], x.size // x.shape[d] if x.shape[d] else 0)
        changed = (moved[1:] != moved[:-1]).any(axis=1)
        starts = np.flatnonzero(np.concatenate([[True], changed])) if moved.shape[0] else np.zeros(0, int)
        length, dim = moved.shape[0], d
    first = R._Tensor._make(jnp.asarray(starts, jnp.int64))
    out = [_unique_consecutive(input, first, dim=dim)]
    if return_inverse:
        run = np.cumsum(np.isin(np.arange(length), starts)) - 1
        inverse = run.reshape(x.shape) if dim is None else run
        out.append(R._Tensor._make(jnp.asarray(inverse, jnp.int64)))
    if return_counts:
        counts = np.diff(np.append(starts, length))
        out.append(R._Tensor._make(jnp.asarray(counts, jnp.int64)))
    return out[0] if len(out) == 1 else tuple(out)
