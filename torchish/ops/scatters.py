"""Gathers and scatters along a dim, and the out-of-place writes of one tensor into another: gather, scatter
(with its legacy `reduce`), scatter_add, scatter_reduce, masked_scatter, slice/select/diagonal_scatter,
index_put; and fill_diagonal_, which torch writes through a strided view.

torch checks an index's dtype, its shape against self's and src's and, as its CPU kernels run, every index's
bounds: the bounds need the index's values on the host, as torch's kernel reads them."""

from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import _wrap_dim
from . import _formulas as F
from . import _out
from . import _registry as R
from . import views as _views
from ._argparse import parsed
from ._out import check_out_grad, exact_out
from ._registry import SAME, op
from .pointwise import _broadcast_shapes, _true_divide


def _sizes(t) -> str:
    return "[" + ", ".join(map(str, t.shape)) + "]"


def _nonempty_dim(t) -> int:
    return max(t.dim(), 1)


def _nonempty_size(t, d) -> int:
    if t.dim() == 0:
        return 1
    if d >= t.dim():  # (torch asks src.size(d) of a src with fewer dims)
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-t.dim()}, {t.dim() - 1}], but got {d})"
        )
    return t.shape[d]


def _dtype_check(name, self, index, src=None) -> None:
    if index.numel() and index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if src is not None and src.dtype is not self.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")


def _gather_shape_check(self, dim, index) -> None:
    if _nonempty_dim(self) != _nonempty_dim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for i in range(_nonempty_dim(self)):
        if i != dim and _nonempty_size(index, i) > _nonempty_size(self, i):
            raise RuntimeError(
                f"Size does not match at dimension {i} expected index {_sizes(index)} to be no larger than self "
                f"{_sizes(self)} apart from dimension {dim}"
            )


def _scatter_shape_check(self, dim, index, src=None) -> None:
    if index.numel() == 0:
        return
    if _nonempty_dim(self) != _nonempty_dim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    n = _nonempty_dim(self)
    wrong = any(d != dim and _nonempty_size(index, d) > _nonempty_size(self, d) for d in range(n))
    if not wrong and src is not None:
        wrong = any(_nonempty_size(index, d) > _nonempty_size(src, d) for d in range(n))
    if src is not None and _nonempty_dim(src) != _nonempty_dim(index):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    if wrong:
        tail = f" and to be no larger size than src {_sizes(src)}" if src is not None else ""
        raise RuntimeError(
            f"Expected index {_sizes(index)} to be no larger than self {_sizes(self)} apart from dimension {dim}{tail}"
        )


def _bounds_check(index, dim, size) -> None:
    """torch's kernel meets the indices with `dim` inner to the dims before the last (row-major where dim is
    the last) and raises at the first one outside [0, size)."""
    a = np.asarray(index._value).reshape(index.shape or (1,))
    bad = (a < 0) | (a >= size)
    if not bad.any():
        return
    if dim != a.ndim - 1:
        order = [d for d in range(a.ndim - 1) if d != dim] + [dim, a.ndim - 1]
        a, bad = a.transpose(order), bad.transpose(order)
    raise RuntimeError(f"index {a[bad][0]} is out of bounds for dimension {dim} with size {size}")


def _checked(name, self, dim, index, src=None, gather=False) -> int:
    """torch's checks, in its order; the wrapped dim."""
    d = _wrap_dim(dim, _nonempty_dim(self))
    _dtype_check(name, self, index, src)
    if gather and index.numel() == 0:  # (gather of nothing: an empty result of the index's shape)
        return d
    if gather:
        _gather_shape_check(self, d, index)
    else:
        _scatter_shape_check(self, d, index, src)
    if index.numel():
        _bounds_check(index, d, _nonempty_size(self, d))
    return d


def _fit(src, index):
    return src[tuple(slice(0, s) for s in index.shape)]


# --------------------------------------------------------------------------------- gather, scatter


@op("_gather", n_tensors=2, promote=SAME, grad_name="GatherBackward0", promoted=(0,), saves=((0, 1), ()), method=False)
def _gather(input, index, dim):
    if index.size == 0:
        return jnp.zeros(index.shape, input.dtype)
    if input.ndim == 0:
        return jnp.broadcast_to(input, index.shape)
    # (an index smaller than input in the other dims reads their first elements)
    corner = tuple(slice(None) if k == dim else slice(0, n) for k, n in enumerate(index.shape))
    return jnp.take_along_axis(input[corner], index, axis=dim)


def _gather_backward(grad, result, params, inputs):
    input, index = inputs
    zeros = jnp.zeros(input.shape, grad.dtype)
    return (zeros if index.size == 0 else F.scatter_add(zeros, index, grad, params["dim"] if input.ndim else 0)), None


R.OPS["_gather"].result_grad = _gather_backward


@parsed("Tensor input, int dim, Tensor index, *, bool sparse_grad = False, Tensor out = None")
def gather(input, dim, index, *, sparse_grad=False, out=None):
    if out is not None:
        check_out_grad("gather", (input, index), (out,))
    d = _checked("gather", input, dim, index, gather=True)
    result = _gather(input, index, dim=d)
    return result if out is None else exact_out("gather", out, result)


def _scatter_pure(how):
    def pure(input, index, src, dim):
        if index.size == 0:
            return input
        if input.ndim == 0:  # (a 0-dim self is one element along a dim of size 1)
            return _scatter_pure(how)(input.reshape(1), index.reshape(-1), src.reshape(-1), 0).reshape(())
        at = input.at[F.positions(index, dim)]
        values = _fit(src, index)
        return at.add(values) if how == "add" else at.multiply(values) if how == "multiply" else at.set(values)

    return pure


_scatter = op(
    "_scatter", n_tensors=3, promote=SAME, grad_name="ScatterBackward0", promoted=(0, 2), method=False,
    saves=((1,), (), (1,)),
)(_scatter_pure("set"))  # fmt: skip
_scatter_value = op(
    "_scatter_value", n_tensors=3, promote=SAME, grad_name="ScatterBackward1", promoted=(0,), method=False,
    saves=((1,), (), ()),
)(_scatter_pure("set"))  # fmt: skip
_scatter_add = op(
    "_scatter_add", n_tensors=3, promote=SAME, grad_name="ScatterAddBackward0", promoted=(0, 2), method=False,
    saves=((), (), (1,)),
)(_scatter_pure("add"))  # fmt: skip
# torch has no derivative for scatter's legacy reduce: its node is NotImplemented, which raises when reached
_scatter_legacy = op(
    "_scatter_legacy", n_tensors=3, promote=SAME, grad_name="torch::autograd::NotImplemented", promoted=(0, 2),
    method=False, saves=((1,), (), (1,)),
)(lambda input, index, src, dim, reduce: _scatter_pure(reduce)(input, index, src, dim))  # fmt: skip


def _scatter_backward(grad, result, params, inputs):
    # torch's: self's gradient is grad with the written elements zeroed; src's is grad gathered at every index,
    # so two src elements written to one place both get its gradient (JAX's would give it to the last one)
    self, index, src = inputs
    if self.ndim == 0:
        return grad, None, grad.reshape(index.shape)
    pos = F.positions(index, params["dim"])
    return grad.at[pos].set(0), None, grad[pos]


def _not_implemented(grad, result, params, inputs):
    raise RuntimeError("derivative for aten::scatter is not implemented")


R.OPS["_scatter"].result_grad = _scatter_backward
R.OPS["_scatter_value"].result_grad = _scatter_backward
R.OPS["_scatter_legacy"].result_grad = _not_implemented
for _name in ("_scatter", "_scatter_add", "_scatter_legacy"):
    R.OPS[_name].edges = lambda sig: (0, 2)
R.OPS["_scatter_value"].edges = lambda sig: (0,)


def _as_src(input, index, value):
    return R._Tensor._make(jnp.full(tuple(index.shape), value, input._value.dtype))


_warned_reduce = False


@parsed(
    "Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None",
    "Tensor input, int dim, Tensor index, Tensor src, *, str reduce, Tensor out = None",
    "Tensor input, int dim, Tensor index, Number value, *, Tensor out = None",
    "Tensor input, int dim, Tensor index, Number value, *, str reduce, Tensor out = None",
)
def scatter(input, dim, index, src=None, *, value=None, reduce=None, out=None, _target=None):
    """scatter(input, dim, index, src) / scatter(input, dim, index, value), with the legacy reduce."""
    tensor_src = isinstance(src, R._Tensor)
    if out is not None:
        check_out_grad("scatter", (input, index, src), (out,))
    d = _checked("scatter", input, dim, index, src if tensor_src else None)
    if _target is not None:  # (scatter_'s assert_no_overlap, after its shape checks)
        _views._check_overlap(_target, (index, src) if tensor_src else (index,), full=True)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        global _warned_reduce
        if tensor_src and not _warned_reduce:  # (a TORCH_WARN_ONCE: once per process)
            _warned_reduce = True
            warnings.warn(
                "The reduce argument of torch.scatter with Tensor src is deprecated and will be removed in a future "
                "PyTorch release. Use torch.scatter_reduce instead for more reduction options. (Triggered internally "
                "at /__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:225.)",
                UserWarning,
                stacklevel=2,
            )
    if not tensor_src:
        src = _as_src(input, index, value if src is None else src)
    if reduce is not None:
        result = _scatter_legacy(input, index, src, dim=d, reduce=reduce, _target=_target)
    elif not tensor_src:
        result = _scatter_value(input, index, src, dim=d, _target=_target)
    else:
        result = _scatter(input, index, src, dim=d, _target=_target)
    return result if out is None else exact_out("scatter", out, result)


@parsed("Tensor input, int dim, Tensor index, Tensor src, *, Tensor out = None")
def scatter_add(input, dim, index, src, *, out=None, _target=None):
    if not isinstance(src, R._Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 4) must be Tensor, not {type(src).__name__}")
    if out is not None:
        check_out_grad("scatter_add", (input, index, src), (out,))
    d = _checked("scatter", input, dim, index, src)
    if _target is not None:
        _views._check_overlap(_target, (index, src), full=True)
    result = _scatter_add(input, index, src, dim=d, _target=_target)
    return result if out is None else exact_out("scatter_add", out, result)


# --------------------------------------------------------------------------------- scatter_reduce

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    low = reduce == "amax"
    if jnp.issubdtype(dtype, jnp.floating):
        return -jnp.inf if low else jnp.inf
    info = jnp.iinfo(dtype) if dtype != jnp.bool_ else None
    return (False if low else True) if info is None else (info.min if low else info.max)


@functools.partial(jax.custom_jvp, nondiff_argnums=(3,))
def _multiply_into(start, index, values, dim):
    return start.at[F.positions(index, dim)].multiply(values)


@_multiply_into.defjvp
def _multiply_into_jvp(dim, primals, tangents):
    # JAX differentiates a multiplying scatter only without collisions: each factor's derivative is the product
    # of the others, found as torch's formula finds it (by division, or where a factor is the one zero there, by
    # the product with it set to 1)
    start, index, values = primals
    t_start, _, t_values = tangents
    out = _multiply_into(start, index, values, dim)
    pos = F.positions(index, dim)
    one = jnp.ones((), values.dtype)
    zero = values == 0
    single_zero = zero & (jnp.zeros_like(start).at[pos].add(zero.astype(start.dtype))[pos] == 1)
    others = jnp.where(
        single_zero,
        _multiply_into(start, index, jnp.where(single_zero, one, values), dim)[pos],
        _true_divide(out[pos], jnp.where(zero, one, values)),
    )
    t_out = t_start * _multiply_into(jnp.ones_like(start), index, values, dim)
    return out, t_out.at[pos].add(others * t_values)


def _scatter_reduce_value(input, index, src, dim, reduce, include_self):
    pos = F.positions(index, dim)
    values = _fit(src, index)
    start = input if include_self else input.at[pos].set(_identity(reduce, input.dtype))
    at = start.at[pos]
    if reduce in ("sum", "mean"):
        out = at.add(values)
    elif reduce == "prod":
        out = _multiply_into(start, index, values, dim)
    else:
        out = at.max(values) if reduce == "amax" else at.min(values)
    if reduce == "mean":
        count = (jnp.ones_like(input) if include_self else jnp.zeros_like(input)).at[pos].add(1)
        count = jnp.where(count == 0, jnp.ones((), count.dtype), count)
        out = _true_divide(out, count) if jnp.issubdtype(out.dtype, jnp.inexact) else jnp.floor_divide(out, count)
    return out


def _scatter_reduce_value_any(input, index, src, dim, reduce, include_self):
    if input.ndim == 0:  # (one element along a dim of size 1)
        flat = _scatter_reduce_value(input.reshape(1), index.reshape(-1), src.reshape(-1), 0, reduce, include_self)
        return flat.reshape(())
    return _scatter_reduce_value(input, index, src, dim, reduce, include_self)


@op(
    "_scatter_reduce", n_tensors=3, promote=SAME, grad_name="ScatterReduceBackward0", promoted=(0, 2), method=False,
    saves=((0, 1, 2, -1), (), (0, 1, 2, -1)),
)  # fmt: skip
def _scatter_reduce(input, index, src, dim, reduce, include_self=True):
    return _scatter_reduce_value_any(input, index, src, dim, reduce, include_self)


def _scatter_reduce_backward(grad, result, params, inputs):
    """torch's scatter_reduce_backward, branch for branch."""
    self, index, src = inputs
    dim, reduce, include_self = params["dim"], params["reduce"], params.get("include_self", True)
    if self.ndim == 0:
        grad, result, self, index, src = (a.reshape(-1) for a in (grad, result, self, index, src))
        dim = 0
    pos = F.positions(index, dim)

    def gather(t):
        return t[pos]

    def same_shape(a, b):  # (torch's elementwise ops broadcast the gathered tensors against src)
        _broadcast_shapes([a.shape, b.shape])

    if reduce == "sum":
        g_self, g_src = grad, gather(grad)
    elif reduce == "prod":
        masked_self = jnp.where(self == 0, jnp.ones((), self.dtype), self)
        masked_self_result = _scatter_reduce_value(masked_self, index, src, dim, reduce, include_self)
        g_self = _true_divide(grad * masked_self_result, masked_self)
        same_shape(src, index)
        src_zero = src == 0
        zeros_at = jnp.zeros_like(self).at[pos].add(src_zero.astype(self.dtype))
        single_zero = src_zero & (gather(zeros_at) == 1)
        masked_src = jnp.where(single_zero, jnp.ones((), src.dtype), src)
        masked_src_result = _scatter_reduce_value(self, index, masked_src, dim, reduce, include_self)
        g_src = jnp.where(
            single_zero,
            gather(grad * masked_src_result),
            _true_divide(gather(grad * result), jnp.where(src_zero, jnp.ones((), src.dtype), src)),
        )
    elif reduce == "mean":
        n = (jnp.ones_like(grad) if include_self else jnp.zeros_like(grad)).at[pos].add(1)
        n = jnp.where(n == 0, jnp.ones((), n.dtype), n)
        g_self = _true_divide(grad, n)
        g_src = _true_divide(gather(grad), gather(n))
    else:
        value = gather(result)
        same_shape(src, value)
        self_is_result = (self == result).astype(self.dtype)
        src_is_result = (src == value).astype(self.dtype)
        n = self_is_result.at[pos].add(src_is_result)
        distributed = _true_divide(grad, n)
        g_self = self_is_result * distributed
        g_src = src_is_result * gather(distributed)
    if not include_self:
        g_self = g_self.at[pos].set(0)
    if inputs[0].ndim == 0:
        g_self = g_self.reshape(())
        g_src = g_src.reshape(inputs[2].shape) if g_src.size == inputs[2].size else g_src
    return g_self, None, g_src


R.OPS["_scatter_reduce"].result_grad = _scatter_reduce_backward
R.OPS["_scatter_reduce"].edges = lambda sig: (0, 2)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True, out=None, _target=None):
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if out is not None:
        check_out_grad("scatter_reduce", (input, index, src), (out,))
    d = _checked("scatter", input, dim, index, src)
    result = _scatter_reduce(input, index, src, dim=d, reduce=reduce, include_self=include_self, _target=_target)
    return result if out is None else exact_out("scatter_reduce", out, result)


def _scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    return scatter_reduce(self, dim, index, src, reduce, include_self=include_self, _target=self)


# --------------------------------------------------------------------------------- masked_scatter


def _masked_scatter_check(args, params):
    self, mask, source = args
    if mask.dtype is not D.bool:
        raise RuntimeError(
            f"masked_scatter_ only supports boolean masks, but got mask with dtype {R._type_word(mask.dtype)}"
        )
    if self.dtype is not source.dtype:
        raise RuntimeError(
            "masked_scatter: expected self and source to have same dtypes but got"
            f"{R._type_word(self.dtype)} and {R._type_word(source.dtype)}"
        )
    shape = _broadcast_shapes([tuple(self.shape), tuple(mask.shape)])
    if int(np.asarray(jnp.sum(jnp.broadcast_to(mask._value, shape)))) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")


@op(
    n_tensors=3, promote=SAME, grad_name="MaskedScatterBackward0", promoted=(0, 2), inplace=True,
    saves=((1,), (), (1,)), check=_masked_scatter_check,
)  # fmt: skip
def masked_scatter(input, mask, source):
    shape = jnp.broadcast_shapes(input.shape, mask.shape)
    flat_mask = jnp.broadcast_to(mask, shape).reshape(-1)
    flat_source = source.reshape(-1)
    if flat_source.size == 0:  # (then the mask selects nothing)
        return jnp.broadcast_to(input, shape)
    taken = flat_source[jnp.clip(jnp.cumsum(flat_mask) - 1, 0, flat_source.size - 1)]
    return jnp.where(flat_mask, taken, jnp.broadcast_to(input, shape).reshape(-1)).reshape(shape)


R.OPS["masked_scatter"].edges = lambda sig: (0, 2)


# --------------------------------------------------------------------------------- slice / select / diagonal_scatter

_VIEW_SCATTER_NAMES = {
    "slice": "SliceScatterBackward0",
    "select": "SelectScatterBackward0",
    "diagonal": "DiagonalScatterBackward0",
}


def _view_positions(shape, kind, where):
    """The flat positions, in self, of the elements of the view the op writes src into (static per shape)."""
    grid = np.arange(int(np.prod(shape))).reshape(shape)
    if kind == "slice":
        dim, start, end, step = where
        key = [slice(None)] * len(shape)
        key[dim] = slice(start, end, step)
        return grid[tuple(key)]
    if kind == "select":
        dim, index = where
        return np.take(grid, index, axis=dim)
    offset, dim1, dim2 = where
    return np.diagonal(grid, offset, dim1, dim2)


@op(
    "_view_scatter", n_tensors=2, promote=SAME, promoted=(0,), method=False,
    grad_name=lambda params, args: _VIEW_SCATTER_NAMES[params["kind"]],
)  # fmt: skip
def _view_scatter(input, src, kind, where):
    pos = _view_positions(input.shape, kind, where).reshape(-1)
    flat = input.reshape(-1).at[pos].set(src.reshape(-1).astype(input.dtype))
    return flat.reshape(input.shape)


def _fits(src, view_shape) -> None:
    if tuple(src.shape) != tuple(view_shape):
        raise RuntimeError(
            f"expected src to have a size equal to the slice of self. src size = {_sizes(src)}, slice size = "
            f"[{', '.join(map(str, view_shape))}]"
        )


def slice_scatter(input, src, dim=0, start=None, end=None, step=1, *, out=None):
    """Into out: resized, then of the result's dtype only; no derivative (torch's out= has none)."""
    from .basic import write_underived

    if out is not None:  # (autograd's, before the kernel's checks)
        _out.refuse_grad_out("slice_scatter", out)
    d = _wrap_dim(dim, input.dim())
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    _fits(src, _view_positions(tuple(input.shape), "slice", (d, start, end, step)).shape)
    result = _view_scatter(input, src, kind="slice", where=(d, start, end, step))
    if out is None:
        return result
    _out.resize_out(out, result.shape)
    _out.check_exact(out, result.dtype)
    return write_underived("slice_scatter", out, result, input, src)


def select_scatter(input, src, dim, index):
    d = _wrap_dim(dim, input.dim())
    size = input.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {_sizes(input)} at dimension {d}")
    i = index + size if index < 0 else index
    _fits(src, tuple(s for k, s in enumerate(input.shape) if k != d))
    return _view_scatter(input, src, kind="select", where=(d, i))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    d1, d2 = _wrap_dim(dim1, input.dim()), _wrap_dim(dim2, input.dim())
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    _fits(src, _view_positions(tuple(input.shape), "diagonal", (offset, d1, d2)).shape)
    return _view_scatter(input, src, kind="diagonal", where=(offset, d1, d2))


# --------------------------------------------------------------------------------- index_put, fill_diagonal_


def _index_put_args(name, indices, values, arg):
    """torch's parser: indices a tuple or list of tensors (argument `arg`: 0 for the methods), values a tensor."""
    if not isinstance(indices, (tuple, list)):
        raise TypeError(
            f"{name}(): argument 'indices' (position {arg + 1}) must be tuple of Tensors, not {type(indices).__name__}"
        )
    for k, i in enumerate(indices):
        if not isinstance(i, R._Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument {arg}, but got {type(i).__name__}")
    if not isinstance(values, R._Tensor):
        raise TypeError(f"{name}(): argument 'values' (position {arg + 2}) must be Tensor, not {type(values).__name__}")
    return tuple(indices)


def index_put_(self, indices, values, accumulate=False):
    from .indexing import setitem

    setitem(
        self, _index_put_args("index_put_", indices, values, 0), values, _index_put="inplace", _accumulate=accumulate
    )
    return self


def index_put(input, indices, values, accumulate=False, *, _method=False):
    from .indexing import setitem

    key = _index_put_args("index_put", indices, values, 0 if _method else 1)
    return setitem(input, key, values, _index_put="out", _accumulate=accumulate)


def _index_put_method(self, indices, values, accumulate=False):
    return index_put(self, indices, values, accumulate, _method=True)


def _masked_scatter_(self, mask, source):
    from .shape import _check_expand

    if isinstance(mask, R._Tensor) and tuple(mask.shape) != tuple(self.shape):
        _check_expand((mask,), {"size": tuple(self.shape)})  # (torch expands the mask to self: its error)
    return masked_scatter(self, mask, source, _target=self)


def fill_diagonal_(self, fill_value, wrap=False):
    """torch's: the main diagonal as a strided view of self, filled; with wrap, the diagonals below it of a tall
    matrix, as one more view."""
    n = self.dim()
    if n < 2:
        raise RuntimeError("dimensions must larger than 1")
    height, width = self.shape[0], self.shape[1]
    if n > 2 and any(s != height for s in self.shape[1:]):
        raise RuntimeError("all dimensions of input must be of equal length")
    stride, offset = sum(self.stride()), self.storage_offset()
    size = min(height, width)
    self.as_strided((size,), (stride,), offset).fill_(fill_value)
    if wrap and n == 2 and height > width + 1:
        step = width + 1
        wrap_size = (self.numel() + step - 1) // step - size
        self.as_strided((wrap_size,), (stride,), offset + self.stride(0) * (width + 1)).fill_(fill_value)
    return self


# ------------------------------------------------------------------------ put, index_reduce, as_strided_scatter


def _put_check(args, params):
    self, index, source = args
    if index.dtype is not D.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {R._type_word(index.dtype)}")
    if source.dtype is not self.dtype:
        raise RuntimeError(
            "put_(): self and source expected to have the same dtype, but got self.dtype = "
            f"{R._type_word(self.dtype)} and source.dtype = {R._type_word(source.dtype)}"
        )
    if source.numel() != index.numel():
        raise IndexError(
            "put_(): Expected source and index to have the same number of elements, but got source.numel() = "
            f"{source.numel()}, index.numel() = {index.numel()}"
        )
    n = self.numel()
    if index.numel():
        flat = np.asarray(index._value).reshape(-1)
        bad = flat[(flat < -n) | (flat >= n)]
        if bad.size:
            raise IndexError(f"out of range: tried to access index {bad[0]} on a tensor of {n} elements.")


@op(n_tensors=3, promote=SAME, grad_name="PutBackward0", promoted=(0, 2), inplace=True, saves=((1,), (), (1,)),
    check=_put_check)  # fmt: skip
def put(input, index, source, accumulate=False):
    at = input.reshape(-1).at[F.flat_positions(index, input.size)]
    values = source.reshape(-1)
    return (at.add(values) if accumulate else at.set(values)).reshape(input.shape)


def _put_backward(grad, result, params, inputs):
    # torch's: self's gradient is grad with the written elements zeroed (all of grad when accumulating), source's
    # grad taken at every index, duplicates included
    self, index, source = inputs
    pos = F.flat_positions(index, grad.size)
    flat = grad.reshape(-1)
    g_self = grad if params.get("accumulate", False) else flat.at[pos].set(0).reshape(grad.shape)
    return g_self, None, flat[pos].reshape(source.shape)


R.OPS["put"].result_grad = _put_backward
R.OPS["put"].edges = lambda sig: (0, 2)

_INDEX_REDUCES = ("prod", "mean", "amax", "amin")


def _index_reduce_check(self, dim, index, source, reduce):
    if reduce not in _INDEX_REDUCES:
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    d = _wrap_dim(dim, self.dim())
    w = R._type_word(index.dtype)
    if index.dim() > 1:
        raise IndexError(
            f"index_reduce_(): Index is supposed to be a vector, but got dim: {index.dim()} with type: {w} and size: "
            f"{list(index.shape)}"
        )
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError(f"index_reduce_(): Expected dtype int32/int64 for index but got: {w}")
    if self.dtype is not source.dtype:
        raise RuntimeError(
            f"index_reduce_(): self ({R._type_word(self.dtype)}) and source ({R._type_word(source.dtype)}) must have "
            "the same scalar type"
        )
    along = 1 if source.dim() == 0 else source.shape[d]
    if index.numel() != along:
        raise RuntimeError(
            f"index_reduce_(): Number of indices ({index.numel()}) should be equal to source.size(dim): ({along}), "
            f"for dim: {d}"
        )
    rest = [s for k, s in enumerate(self.shape) if k != d]
    if source.dim() != self.dim() or rest != [s for k, s in enumerate(source.shape) if k != d]:
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = "
            f"{_sizes(self)} source.shape = {_sizes(source)}"
        )
    size = _nonempty_size(self, d)
    flat = np.asarray(index._value).reshape(-1)
    if ((flat < 0) | (flat >= size)).any():
        raise IndexError("index out of range in self")
    return d


def _spread(index, source_shape, dim):
    """index_reduce's index, spread over source's shape: scatter_reduce's index along dim."""
    flat = index.reshape(-1)
    if not source_shape:
        return flat.reshape(())
    shape = [1] * len(source_shape)
    shape[dim] = -1
    return jnp.broadcast_to(flat.reshape(shape), source_shape)


@op(
    "_index_reduce", n_tensors=3, promote=SAME, grad_name="IndexReduceBackward0", promoted=(0, 2), method=False,
    saves=((0, 1, 2, -1), (), (0, 1, 2, -1)),
)  # fmt: skip
def _index_reduce(input, index, source, dim, reduce, include_self=True):
    return _scatter_reduce_value_any(input, _spread(index, source.shape, dim), source, dim, reduce, include_self)


def _index_reduce_backward(grad, result, params, inputs):
    self, index, source = inputs
    spread = (self, _spread(index, source.shape, params["dim"]), source)
    return _scatter_reduce_backward(grad, result, params, spread)


R.OPS["_index_reduce"].result_grad = _index_reduce_backward
R.OPS["_index_reduce"].edges = lambda sig: (0, 2)
_warned_index_reduce = False


def index_reduce(input, dim, index, source, reduce, *, include_self=True, out=None, _target=None):
    global _warned_index_reduce
    if not _warned_index_reduce:  # (a TORCH_WARN_ONCE)
        _warned_index_reduce = True
        warnings.warn(
            "index_reduce() is in beta and the API may change at any time. (Triggered internally at "
            "/__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:1523.)",
            UserWarning,
            stacklevel=2,
        )
    d = _index_reduce_check(input, dim, index, source, reduce)
    return _index_reduce(input, index, source, dim=d, reduce=reduce, include_self=include_self, out=out,
                         _target=_target)  # fmt: skip


def _index_reduce_(self, dim, index, source, reduce, *, include_self=True):
    return index_reduce(self, dim, index, source, reduce, include_self=include_self, _target=self)


def _strided_positions(shape, size, stride, offset):
    grid = np.full(tuple(size), offset, np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        grid = grid + (np.arange(n) * s).reshape((-1,) + (1,) * (len(size) - d - 1))
    return grid


@op("_as_strided_scatter", n_tensors=2, promote=SAME, promoted=(0,), grad_name="AsStridedScatterBackward0",
    method=False, saves=((), ()))  # fmt: skip
def _as_strided_scatter(input, src, size, stride, offset):
    pos = _strided_positions(input.shape, size, stride, offset).reshape(-1)
    flat = input.reshape(-1).at[pos].set(src.reshape(-1).astype(input.dtype))
    return flat.reshape(input.shape)


def _as_strided_scatter_backward(grad, result, params, inputs):
    # torch's as_strided_scatter_backward as it computes: self's gradient keeps grad at the written elements and
    # zeroes the rest (the reverse of the op's derivative); src's is grad there
    self, src = inputs
    pos = _strided_positions(self.shape, params["size"], params["stride"], params["offset"]).reshape(-1)
    flat = grad.reshape(-1)
    return jnp.zeros_like(flat).at[pos].set(flat[pos]).reshape(grad.shape), flat[pos].reshape(src.shape)


R.OPS["_as_strided_scatter"].result_grad = _as_strided_scatter_backward


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    offset = input.storage_offset() if storage_offset is None else storage_offset
    size, stride = tuple(size), tuple(stride)
    need = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    if need and offset + need > input.numel():
        item = input.element_size()
        raise RuntimeError(
            f"setStorage: sizes [{', '.join(map(str, size))}], strides [{', '.join(map(str, stride))}], storage offset "
            f"{offset}, and itemsize {item} requiring a storage size of {(offset + need) * item} are out of bounds for "
            f"storage of size {input.numel() * item}"
        )
    _fits(src, size)
    return _as_strided_scatter(input, src, size=size, stride=stride, offset=offset)
