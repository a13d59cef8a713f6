"""Gathers, scatters, masks and sorting."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import _wrap_dim
from . import _formulas as F
from . import _registry as R
from ._argparse import parsed
from ._out import check_out_grad, exact_out, write_outs
from ._registry import SAME, op
from .pointwise import _broadcast_check, _broadcast_shapes, _true_divide


def _index_check(name):
    def check(args, params):
        x, idx = args[0], args[1]
        if idx.dtype is not D.int64:
            raise RuntimeError(f"{name}(): Expected dtype int64 for index")
        _wrap_dim(params["dim"], x.dim())

    return check


@op(
    "_index_select",
    n_tensors=2,
    promote=SAME,
    grad_name="IndexSelectBackward0",
    promoted=(0,),
    saves=((1,), ()),
    method=False,
)
def _index_select(input, index, dim):
    return jnp.take(input, index, axis=_wrap_dim(dim, input.ndim)) if input.ndim else input[index]


def _selected_into_zeros(formula, dim_of=lambda p, x: _wrap_dim(p["dim"], x.ndim) if x.ndim else 0):
    """torch's gradient of an op that selects input's elements by an index tensor (its second input): the gradient
    written into zeros by formula (index_add, scatter), a node of torch's name in a create_graph history."""

    def backward(grad, result, params, inputs):
        input, index = inputs
        return formula(jnp.zeros(input.shape, grad.dtype), index, grad, dim_of(params, input)), None

    return backward


R.OPS["_index_select"].result_grad = _selected_into_zeros(F.index_add)


@parsed("Tensor input, int dim, Tensor index, *, Tensor out = None")
def index_select(input, dim, index, *, out=None):
    if out is None:
        return _index_select(input, index, dim=dim)
    check_out_grad("index_select", (input, index), (out,))
    words = "index_select(): self and result must have the same scalar type"
    return exact_out("index_select", out, _index_select(input, index, dim=dim), words)


@op(n_tensors=3, promote=SAME, grad_name="MaskedFillBackward0", promoted=(0,), inplace=True, saves=((1,), (), ()))
def masked_fill(input, mask, value):
    return jnp.where(mask, jnp.asarray(value).astype(input.dtype), input)


def _sort_pure(input, dim=-1, descending=False, stable=False):
    # a stable sort, NaN last ascending and first descending as torch's; what torch's std::sort leaves among ties
    # differs only in rows longer than its insertion sort's 16 (see sort)
    d = _wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    idx = jnp.argsort(input, axis=d, stable=True, descending=descending)
    return jnp.take_along_axis(input, idx, axis=d), idx.astype(jnp.int64)


_sort = op("_sort", promote=SAME, grad_name="SortBackward0", n_out=2, method=False, saves=((-2,),))(_sort_pure)


def _sort_backward(grad, values, params, inputs):
    # (the formula sees the values alone: the indices, which torch's reads, are the stable sort's again)
    (input,) = inputs
    if not input.ndim:
        return grad
    indices = _sort_pure(input, **params)[1]
    return F.scatter(jnp.zeros(input.shape, grad.dtype), indices, grad, _wrap_dim(params.get("dim", -1), input.ndim))


R.OPS["_sort"].result_grad = _sort_backward


@op("_sorted_by", n_tensors=2, promote=SAME, grad_name="SortBackward0", method=False, promoted=(0,), saves=((1,), ()))
def _sorted_by(input, indices, dim):
    return jnp.take_along_axis(input, indices, axis=dim)


_REPLAYED = 1 << 16  # the most elements whose unstable sort is replayed on the host (beyond: a stable sort)


def _replayed_order(input, d, descending):
    """torch's std::sort order along dim d where a row longer than 16 has ties (None where no row does)."""
    from .._tie_order import sort_indices

    n = input.shape[d]
    if n <= 16 or input.numel() > _REPLAYED or isinstance(input._value, jax.core.Tracer):
        return None
    rows = np.moveaxis(np.asarray(input._value), d, -1)
    flat = rows.reshape(-1, n)
    ordered = np.sort(flat, axis=-1)  # (NaNs last: two of them tie under torch's comparator, though unequal)
    tied = (ordered[:, 1:] == ordered[:, :-1]).any() or (flat.dtype.kind == "f" and (np.isnan(flat).sum(-1) > 1).any())
    if not tied:
        return None
    order = np.stack([np.asarray(sort_indices(r, descending)) for r in flat])
    return np.moveaxis(order.reshape(rows.shape), -1, d).astype(np.int64)


@parsed(
    "Tensor input, *, bool stable, int dim = -1, bool descending = False, tuple of Tensors out = None",
    "Tensor input, int dim = -1, bool descending = False, *, tuple of Tensors out = None",
)
def sort(input, dim=-1, descending=False, stable=False, *, out=None):
    from .. import _tensor
    from .reduction import _named

    if out is not None:
        check_out_grad("sort", (input,), out)
    result = None
    if not stable and input.dim():
        d = _wrap_dim(dim, input.dim())
        order = _replayed_order(input, d, descending)
        if order is not None:
            index = _tensor.Tensor._make(jnp.asarray(order))
            result = _named("sort")(_sorted_by(input, index, dim=d), index)
    if result is None:
        result = _named("sort")(*_sort(input, dim=dim, descending=descending, stable=stable))
    return result if out is None else write_outs("sort", out, result)


@parsed(
    "Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None",
    "Tensor input, int dim = -1, bool descending = False",
)
def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim=dim, descending=descending, stable=stable)[1]


@op("_topk", n_tensors=2, promote=SAME, grad_name="TopkBackward0", method=False, promoted=(0,), saves=((1,), ()))
def _topk(input, indices, dim):
    return jnp.take_along_axis(input, indices, axis=dim) if input.ndim else input


R.OPS["_topk"].result_grad = R.OPS["_sorted_by"].result_grad = _selected_into_zeros(F.scatter)


@parsed("Tensor input, int k, int dim = -1, bool largest = True, bool sorted = True, *, tuple of Tensors out = None")
def topk(input, k, dim=-1, largest=True, sorted=True, *, out=None):
    """Indices are chosen eagerly the way torch's CPU kernel orders ties (see _tie_order.py)."""
    from .._tie_order import topk_indices
    from .reduction import _named

    if out is not None:
        check_out_grad("topk", (input,), out)
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d] if input.dim() else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.dim() == 0:
        idx = np.zeros((), np.int64)
    else:
        a = np.moveaxis(np.asarray(input._value), d, -1)
        a = a if largest else -a
        flat = a.reshape(-1, a.shape[-1])
        idx = np.stack([topk_indices(row, k) for row in flat]) if flat.shape[0] else np.zeros((0, k), np.int64)
        idx = np.moveaxis(idx.reshape(a.shape[:-1] + (k,)).astype(np.int64), -1, d)
    index = R._Tensor._make(jnp.asarray(idx))
    result = _named("topk")(_topk(input, index, dim=d), index)
    return result if out is None else write_outs("topk", out, result)


@op(
    "_masked_select",
    n_tensors=2,
    promote=SAME,
    grad_name="MaskedSelectBackward0",
    method=False,
    promoted=(0,),
    saves=((0, 1), ()),
)
def _masked_select(input, mask, shape, count):
    """The elements of input (broadcast with mask) where mask is set, in C order; count: how many (a static size)."""
    (at,) = jnp.nonzero(jnp.broadcast_to(mask, shape).reshape(-1), size=count)
    return jnp.broadcast_to(input, shape).reshape(-1)[at]


def _masked_select_backward(grad, result, params, inputs):
    # torch's: zeros of the broadcast shape, masked_scatter of the gradient, summed to the input's shape
    input, mask = inputs
    zeros = jnp.zeros(params["shape"], grad.dtype)
    return F.sum_to(F.masked_scatter(zeros, mask, grad), input.shape), None


R.OPS["_masked_select"].result_grad = _masked_select_backward


@parsed("Tensor input, Tensor mask, *, Tensor out = None")
def masked_select(input, mask, *, out=None):
    if out is not None:
        check_out_grad("masked_select", (input, mask), (out,))
    if mask.dtype is not D.bool:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _broadcast_shapes([tuple(mask.shape), tuple(input.shape)])  # (torch expands the mask first)
    count = int(np.broadcast_to(np.asarray(mask._value), shape).sum())
    result = _masked_select(input, mask, shape=tuple(shape), count=count)
    if out is None:
        return result
    return exact_out("masked_select", out, result, "masked_select(): self and result must have the same scalar type")


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def isnan(input):
    return jnp.isnan(input)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def isinf(input):
    return jnp.isinf(input)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def isfinite(input):
    return jnp.isfinite(input)


@op(promote=SAME, grad_name="NanToNumBackward0", inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@op(n_tensors=3, promote=R.BINARY, grad_name="LerpBackward1", inplace=True, saves=((2,), (2,), (0, 1)))
def lerp(input, end, weight):
    return input + weight * (end - input)


@op(n_tensors=3, promote=R.BINARY, grad_name="AddcmulBackward0", inplace=True, saves=((), (2,), (1,)))
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@op(n_tensors=3, promote=R.BINARY, grad_name="AddcdivBackward0", inplace=True, saves=((), (2,), (1, 2)))
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


def _addc_backward(grad, result, params, inputs, divides):
    # torch's formulas in its terms: grad * (tensor2 * value), grad * (value / tensor2), and
    # -grad * (value * tensor1 / (tensor2 * tensor2)) for addcdiv's divisor
    input, t1, t2 = (x.astype(result.dtype) for x in inputs)
    v = params.get("value", 1)
    if divides:
        g1, g2 = grad * (v / t2), -grad * (v * t1 / (t2 * t2))
    else:
        g1, g2 = grad * (t2 * v), grad * (t1 * v)
    return tuple(F.sum_to(g, jnp.shape(x)) for g, x in zip((grad, g1, g2), inputs))


@op(
    n_tensors=2,
    promote=R.FLOAT,
    grad_name="Atan2Backward0",
    inplace=True,
    saves=((0, 1), (0, 1)),
    check=_broadcast_check,
)
def atan2(input, other):
    return jnp.arctan2(input, other)


R.OPS["addcmul"].result_grad = lambda g, y, p, x: _addc_backward(g, y, p, x, False)
R.OPS["addcdiv"].result_grad = lambda g, y, p, x: _addc_backward(g, y, p, x, True)


def check_norm_dtype(fname, input_dtype, dtype) -> None:
    """linalg's check of a norm's dtype= against its input's."""
    if dtype is None:
        return
    word = R._type_word(dtype)
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(f"{fname}: dtype should be floating point or complex, but got {word}")
    if input_dtype.is_complex != dtype.is_complex:
        kind = "complex" if input_dtype.is_complex else "real"
        raise RuntimeError(f"{fname}: dtype should be {kind} for {kind} inputs, but got {word}")
    if D.promote_types(input_dtype, dtype) is not dtype:
        raise RuntimeError(
            f"{fname}: the dtype of the input ({R._type_word(input_dtype)}) should be convertible without narrowing "
            f"to the specified dtype ({word})"
        )


def _vector_norm_check(args, params) -> None:
    x = args[0]
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {R._type_word(x.dtype)}"
        )
    check_norm_dtype("linalg.vector_norm", x.dtype, params.get("dtype"))


def _real_of(d):
    return {D.complex64: D.float32, D.complex128: D.float64}.get(d, d)


@op(
    promote=R.FLOAT,
    grad_name="LinalgVectorNormBackward0",
    saves=((0, -1),),
    method=False,
    check=_vector_norm_check,
    out_dtype=lambda compute, p: _real_of(p.get("dtype") or compute),
)
def _vector_norm(input, ord=2, dim=None, keepdim=False, dtype=None):
    """dtype: the input is cast to it first (its gradient cast back), a complex one's norm of its real dtype."""
    from .pointwise import _abs

    if dtype is not None:
        input = input.astype(D._jnp_dtype(dtype))
    if jnp.iscomplexobj(input):  # (a complex vector's norm is its moduli's)
        input = jnp.abs(input)
    axes = _norm_axes(dim, input.ndim)
    reduced = math.prod(input.shape if axes is None else [input.shape[a] for a in axes])
    if reduced == 1 and ord != 0:  # (torch reduces nothing there: |x| itself, never underflowing through x ** ord)
        return jnp.sum(_abs(input), axis=axes, keepdims=keepdim)
    if ord == 2:
        # torch's norm backward is 0 at 0 (JAX's sqrt would give nan)
        return _norm_sqrt(jnp.sum(input * input, axis=axes, keepdims=keepdim))
    if ord == float("inf"):
        return jnp.max(jnp.abs(input), axis=axes, keepdims=keepdim)
    if ord == -float("inf"):
        return jnp.min(jnp.abs(input), axis=axes, keepdims=keepdim)
    if ord == 0:  # (how many elements are not zero)
        return jnp.sum(input != 0, axis=axes, keepdims=keepdim).astype(input.dtype)
    if ord == 1:
        return jnp.sum(_abs(input), axis=axes, keepdims=keepdim)
    return jnp.sum(jnp.abs(input) ** ord, axis=axes, keepdims=keepdim) ** (1.0 / ord)


def _vector_norm_backward(grad, norm, params, inputs):
    # torch's norm_backward, in terms of the saved norm, each branch masked where torch masks it: the 2-norm's
    # double backward then cancels exactly where |self| == norm (JAX's chain through sqrt(sum(x * x)) leaves
    # rounding there), and zeros get torch's 0 rather than JAX's inf or nan
    (x,) = inputs
    p, dim, keepdim = params.get("ord", 2), params.get("dim"), params.get("keepdim", False)
    if p == 0:
        return None  # (a count: torch's gradient is undefined, so the input gets none)
    if params.get("dtype") is not None:  # (computed in dtype, then cast back to the input's, as torch's .to())
        wide = _vector_norm_backward(grad, norm, {**params, "dtype": None}, (x.astype(D._jnp_dtype(params["dtype"])),))
        return wide.astype(x.dtype)
    axes = _norm_axes(dim, x.ndim)
    if not keepdim and axes is not None:  # (a norm over every dim is 0-dim: it broadcasts as it is)
        grad, norm = F.unsqueeze_multiple(grad, axes), F.unsqueeze_multiple(norm, axes)
    axes = tuple(range(x.ndim)) if axes is None else axes
    if p == 1:
        return jnp.sign(x) * grad
    if p == 2:
        return grad * F.masked_fill(_true_divide(x, norm), norm == 0, 0)
    magnitude = jnp.abs(x)
    if math.isinf(p):  # (the gradient is shared by the elements that reach the max / min, and by nans)
        hit = (magnitude == norm) | jnp.isnan(magnitude)
        return jnp.sign(x) * (_true_divide(grad, jnp.sum(hit, axis=axes, keepdims=True).astype(x.dtype)) * hit)
    if p < 1:
        scaled = jnp.sign(x) * F.masked_fill(F.power(magnitude, p - 1), x == 0, 0)
        return scaled * grad * F.power(norm, 1 - p)
    scaled = jnp.sign(x) * F.power(magnitude, p - 1) if p < 2 else x * F.power(magnitude, p - 2)
    return scaled * F.masked_fill(_true_divide(grad, F.power(norm, p - 1)), norm == 0, 0)


R.OPS["_vector_norm"].result_grad = _vector_norm_backward


def _norm_axes(dim, ndim):
    """The wrapped dims a norm reduces (None: all)."""
    if dim is None or not isinstance(dim, int) and len(dim) == 0:  # (an empty dim list reduces every dim)
        return None
    return tuple(_wrap_dim(d, ndim) for d in ((dim,) if isinstance(dim, int) else dim))


@jax.custom_jvp
def _norm_sqrt(v):
    return jnp.sqrt(v)


@_norm_sqrt.defjvp
def _norm_sqrt_jvp(primals, tangents):
    # first order masked to 0 at 0 like torch's norm backward; its own derivative there is nan, as in torch
    y = jnp.sqrt(primals[0])
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return y, jnp.where(y == 0, jnp.zeros_like(y), tangents[0] / (2 * safe))


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm, which is Python: an int dim becomes [dim]; a "fro" norm over at most two dims (it takes their
    len()) is a 2-norm, another str a matrix norm over the dims given (all by default), a number a vector norm;
    all given their arguments by position."""
    from ..linalg import matrix_norm

    listed = [dim] if isinstance(dim, int) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return vector_norm(input, 2, listed, keepdim, dtype=dtype, out=out)
        return matrix_norm(
            input, p, list(range(input.dim())) if listed is None else listed, keepdim, dtype=dtype, out=out
        )
    return vector_norm(input, 2.0 if p is None else p, listed, keepdim, dtype=dtype, out=out)


def _norm_method(self, p="fro", dim=None, keepdim=False, dtype=None):
    return norm(self, p, dim, keepdim, dtype=dtype)


@parsed(
    "Tensor input, Number ord = 2, tuple of ints[1] dim = None, bool keepdim = False, *, torch.dtype dtype = None, "
    "Tensor out = None",
    name="linalg_vector_norm",
)
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if out is None:
        return _vector_norm(x, ord=ord, dim=dim, keepdim=keepdim, dtype=dtype)
    check_out_grad("linalg_vector_norm", (x,), (out,))
    return exact_out("linalg_vector_norm", out, _vector_norm(x, ord=ord, dim=dim, keepdim=keepdim, dtype=dtype))


def _renorm_check(args, params):
    x, p, maxnorm = args[0], params["p"], params["maxnorm"]
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm:g}")
    if x.dim() < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {x.dim()} dimensions")
    _wrap_dim(params["dim"], x.dim())
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got {R._type_word(x.dtype)}"
        )


def _renorm_parts(x, p, dim, maxnorm):
    """torch's: each slice's p-norm over the other dims, in double (the CPU accumulate type)."""
    d = _wrap_dim(dim, x.ndim)
    axes = tuple(a for a in range(x.ndim) if a != d)
    wide = x.astype(jnp.float64) if x.dtype != jnp.float64 else x
    norm = R.OPS["_vector_norm"].fn(wide, ord=p, dim=axes, keepdim=True)
    return axes, norm


@op(promote=R.FLOAT, grad_name="RenormBackward0", inplace=True, saves=((0,),), check=_renorm_check)
def renorm(input, p, dim, maxnorm):
    _, norm = _renorm_parts(input, p, dim, maxnorm)
    factor = jnp.where(norm > maxnorm, maxnorm / (norm + 1e-7), 1.0)
    return (input * factor).astype(input.dtype)


def _renorm_backward(grad, result, params, inputs):
    # torch's renorm_backward: the norm's own backward where the slice was scaled, grad where it was not
    (x,) = inputs
    p, maxnorm = params["p"], params["maxnorm"]
    axes, norm = _renorm_parts(x, p, params["dim"], maxnorm)
    along = jnp.sum(x.astype(norm.dtype) * grad, axis=axes, keepdims=True)
    nb = _vector_norm_backward(along, norm, {"ord": p, "dim": axes, "keepdim": True}, (x.astype(norm.dtype),))
    invnorm = 1 / (norm + 1e-7)
    factor = invnorm * maxnorm
    return jnp.where(norm > maxnorm, factor * grad - (factor * invnorm) * nb, grad).astype(x.dtype)


R.OPS["renorm"].result_grad = _renorm_backward
