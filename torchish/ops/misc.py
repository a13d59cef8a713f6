"""Ops of many kinds that real programs reach for: comparisons of whole tensors, tiling and moving dims,
counting and searching, index_add/index_copy/index_fill, trapezoid rules, cov / corrcoef."""

from __future__ import annotations

import operator
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, _wrap_dim
from . import _formulas, _out
from . import _registry as R
from ._argparse import _is_index, inplace_parsed, parsed
from ._registry import COMPARE, FLOAT, SAME, op
from .pointwise import _broadcast_check

__all__ = [
    "isclose", "allclose", "equal", "movedim", "moveaxis", "tile", "repeat_interleave", "meshgrid", "rot90",
    "take", "take_along_dim", "index_add", "index_copy", "index_fill", "tensor_split", "searchsorted", "bucketize",
    "bincount", "unique", "histc",
    "narrow_copy", "count_nonzero", "diff", "fliplr", "flipud", "trapezoid", "trapz", "cumulative_trapezoid",
    "cov", "corrcoef",
]  # fmt: skip


def _np(t):
    return np.asarray(t._value)


def _wrap(a):
    return R._Tensor._make(jnp.asarray(a))


# ------------------------------------------------------------------------- comparisons of whole tensors


def _isclose_check(args, params):
    a, b = args
    if not isinstance(b, R._Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(b).__name__}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{R._type_word(a.dtype)} did not match {R._type_word(b.dtype)}")
    _broadcast_check(args, params)


@op(n_tensors=2, promote=COMPARE, differentiable=False, check=_isclose_check)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    close = input == other
    if equal_nan:
        close = close | (jnp.isnan(input) & jnp.isnan(other))
    if jnp.issubdtype(input.dtype, jnp.floating):
        diff = jnp.abs(input - other)
        close = close | (jnp.isfinite(diff) & (diff <= atol + rtol * jnp.abs(other)))
    else:  # torch measures integer distances in the default float dtype
        a, b = input.astype(jnp.float32), other.astype(jnp.float32)
        close = close | (jnp.abs(a - b) <= atol + rtol * jnp.abs(b))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.all(_np(isclose(input, other, rtol, atol, equal_nan))))


def equal(input, other):
    """True when both have the same shape and elements (dtypes may differ, as in torch)."""
    return tuple(input.shape) == tuple(other.shape) and bool(np.array_equal(_np(input), _np(other)))


# ------------------------------------------------------------------------- moving, tiling, splitting


@parsed("Tensor input, int source, int destination", "Tensor input, tuple of ints source, tuple of ints destination")
def movedim(input, source, destination):
    from .shape import permute

    src = [operator.index(source)] if _is_index(source) else [operator.index(d) for d in source]
    dst = [operator.index(destination)] if _is_index(destination) else [operator.index(d) for d in destination]
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain the same number "
            f"of dims as destination ({dst} dims)"
        )
    n = input.dim()
    src = [_wrap_dim(d, n) for d in src]
    dst = [_wrap_dim(d, n) for d in dst]
    order = [None] * n
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(n) if d not in src)
    return permute(input, *[o if o is not None else next(rest) for o in order])


moveaxis = movedim


def tile(input, *args, dims=None):
    """torch.tile(input, dims): dims a tuple (a lone int is the method's varargs form only)."""
    from ._argparse import MISSING, int_list_param
    from .shape import repeat

    dims = int_list_param("tile", "dims", args, MISSING if dims is None else dims, taken=2, varargs=False)
    return repeat(input, *((1,) * (input.dim() - len(dims)) + dims))


def _tile_method(self, *dims, **kwargs):
    from ._argparse import int_list_param

    return tile(self, *dims, **kwargs) if not dims else tile(self, int_list_param("tile", "dims", dims))


@parsed(
    "Tensor input, Tensor repeats, int dim = None, *, int output_size = None",
    "Tensor repeats, *, int output_size = None",
    "Tensor input, int repeats, int dim = None, *, int output_size = None",
    method=(
        "Tensor repeats, int dim = None, *, int output_size = None",
        "int repeats, int dim = None, *, int output_size = None",
    ),
)
def repeat_interleave(input=None, repeats=None, dim=None, *, output_size=None):
    from .selection import index_select
    from .shape import flatten, reshape

    if input is None:  # (repeat_interleave(repeats=t))
        input, repeats = repeats, None
    if repeats is None:
        return _wrap(_repeated_indices(input, output_size))
    if dim is None:
        input, dim = flatten(input), 0
    d = _wrap_dim(dim, input.dim())
    if isinstance(repeats, R._Tensor):  # (the positions, each repeated, read by index_select)
        size = input.shape[d]
        if repeats.dim() == 0 or repeats.dim() == 1 and repeats.shape[0] == 1:
            repeats = _wrap(np.broadcast_to(_np(repeats).reshape(1), (size,)))
        elif repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        elif repeats.shape[0] != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{repeats.shape[0]} and input.size({d}) = {size}"
            )
        return index_select(input, d, _wrap(_repeated_indices(repeats, output_size)))
    k = int(repeats)
    if k < 0:
        raise RuntimeError("Repeats must be non-negative")
    if output_size is not None and output_size != input.shape[d] * k:
        raise RuntimeError(
            f"repeat_interleave: Invalid output_size, expected {input.shape[d] * k} but got {output_size}"
        )
    # torch: unsqueeze, expand, clone, then flatten the pair of dims (a view of the contiguous copy)
    x = input.unsqueeze(d + 1).expand(*input.shape[: d + 1], k, *input.shape[d + 1 :]).clone()
    shape = list(input.shape)
    shape[d] *= k
    return reshape(x, tuple(shape))


def _repeated_indices(repeats, output_size) -> np.ndarray:
    """repeat_interleave(repeats): each position repeated by its count, with the checks of torch's kernel."""
    if repeats.dim() != 1:
        raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
    if repeats.dtype not in (D.int64, D.int32):
        raise NotImplementedError(f"\"repeat_interleave_cpu\" not implemented for '{R._type_word(repeats.dtype)}'")
    r = _np(repeats).astype(np.int64)
    if (r < 0).any():
        raise RuntimeError("repeats can not be negative")
    if output_size is not None and output_size != r.sum():
        raise RuntimeError("allocated size does not match required size")
    return np.repeat(np.arange(len(r), dtype=np.int64), r)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    ts = list(tensors)
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.numel() for t in ts)
    out = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = -1
        out.append(t.view(*view).expand(*shape))
    if swap:  # torch swaps the first two inputs, then the first two grids
        out[0], out[1] = out[1], out[0]
    return tuple(out)


@parsed(
    "Tensor input, tuple of ints indices, int dim = 0",
    "Tensor input, Tensor tensor_indices_or_sections, int dim = 0",
    "Tensor input, int sections, int dim = 0",
)
def tensor_split(
    input, indices_or_sections=None, dim=0, *, indices=None, tensor_indices_or_sections=None, sections=None
):
    ios = next(v for v in (indices_or_sections, indices, tensor_indices_or_sections, sections) if v is not None)
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if isinstance(ios, R._Tensor):
        if ios.dtype is not D.int64:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                + R._type_word(ios.dtype)
            )
        if ios.dim() > 1:
            raise RuntimeError(
                "tensor_split expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, "
                f"but got a tensor with {ios.dim()} dims"
            )
        ios = ios.tolist()
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    if isinstance(ios, int):
        if ios <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {ios}")
        q, r = divmod(n, ios)
        bounds = [i * q + min(i, r) for i in range(ios + 1)]
    else:
        bounds = [0, *[min(max(int(i), 0), n) if int(i) >= 0 else max(n + int(i), 0) for i in ios], n]
    from .shape import _slice

    # always a SliceBackward0 view, even of the whole dim (indexing would give an alias)
    return tuple(_slice(input, d, a, max(a, b), 1) for a, b in zip(bounds[:-1], bounds[1:]))


def fliplr(input):
    from .shape import flip

    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):
    from .shape import flip

    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@parsed("Tensor input, int n = 1, int dim = -1, Tensor prepend = None, Tensor append = None, *, Tensor out = None")
def diff(input, n=1, dim=-1, prepend=None, append=None, *, out=None):
    from .shape import cat, narrow

    if input.dim() == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    d = _wrap_dim(dim, input.dim())
    if prepend is not None or append is not None:
        input = cat([t for t in (prepend, input, append) if t is not None], d)
    for step in range(n):
        m = input.shape[d]
        if m == 0:
            break
        # (torch's last step is sub_out / logical_xor_out into out=, with their checks)
        last = {"out": out} if out is not None and (step == n - 1 or m == 1) else {}
        difference = R.OPS["logical_xor" if input.dtype is D.bool else "sub"].public
        input = difference(narrow(input, d, 1, m - 1), narrow(input, d, 0, m - 1), **last)
        if last:
            return input
    return input if out is None else _out.write_out(out, input)


def _rot90_check(args, params):
    dims = list(params["dims"])
    x = args[0]
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.dim()}")
    a, b = (_wrap_dim(d, x.dim()) for d in dims)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {a} and dim1 = {b}")
    return {"dims": (a, b)}


@op(promote=SAME, grad_name="Rot90Backward0", check=_rot90_check)
def rot90(input, k=1, dims=(0, 1)):
    return jnp.rot90(input, k, axes=tuple(dims))


def _narrow_copy_check(args, params):
    x = args[0]
    d = _wrap_dim(params["dim"], x.dim())
    start, length = params["start"], params["length"]
    start = start + x.shape[d] if start < 0 else start
    if not 0 <= start <= x.shape[d] or length < 0 or start + length > x.shape[d]:
        raise RuntimeError(f"start ({params['start']}) + length ({length}) exceeds dimension size ({x.shape[d]}).")
    return {"dim": d, "start": start}


@op(promote=SAME, grad_name="NarrowCopyBackward0", check=_narrow_copy_check)
def narrow_copy(input, dim, start, length):
    return jax.lax.slice_in_dim(input, start, start + length, axis=dim)


# ------------------------------------------------------------------------- take, index_add / copy / fill


def _take_check(args, params):
    x, idx = args
    if idx.dtype is not D.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {R._type_word(idx.dtype)}")
    n = x.numel()
    i = _np(idx)
    bad = i[(i >= n) | (i < -n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {bad.flat[0]} on a tensor of {n} elements.")


@op(n_tensors=2, promote=SAME, grad_name="TakeBackward0", promoted=(0,), saves=((0, 1), ()), check=_take_check)
def take(input, index):
    return input.reshape(-1)[_formulas.flat_positions(index, input.size).reshape(index.shape)]


R.OPS["take"].result_grad = lambda g, y, p, x: (_formulas.put(jnp.zeros(x[0].shape, g.dtype), x[1], g), None)


@parsed("Tensor input, Tensor indices, int dim = None, *, Tensor out = None")
def take_along_dim(input, indices, dim=None, *, out=None):
    from .scatters import gather
    from .shape import broadcast_to

    if dim is None:  # (its out= is gather's)
        return gather(input.reshape(-1), 0, indices.reshape(-1), out=out)
    d = _wrap_dim(dim, input.dim())
    si, sx = list(input.shape), list(indices.shape)
    si[d] = sx[d] = 1
    b = list(np.broadcast_shapes(tuple(si), tuple(sx)))
    bx, bi = list(b), list(b)
    bx[d], bi[d] = input.shape[d], indices.shape[d]
    # torch broadcasts both even when the shapes already agree: its gather reads views (ExpandBackward0)
    return gather(broadcast_to(input, tuple(bx)), d, broadcast_to(indices, tuple(bi)), out=out)


def _index_op_check(name, with_source):
    """torch's three kernels word their index and dtype errors differently."""

    def check(args, params):
        x, idx = args[0], args[1]
        d = _wrap_dim(params["dim"], x.dim())
        w = R._type_word(idx.dtype)
        if name == "index_add":
            if idx.dtype not in (D.int64, D.int32):
                raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: {w}")
            if idx.dim() > 1:
                raise IndexError(
                    f"index_add_(): Index is supposed to be a vector, but got dim: {idx.dim()} with type: {w} and "
                    f"size: {list(idx.shape)}"
                )
        elif name == "index_copy":
            if idx.dtype is not D.int64:
                raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got {w}")
        else:
            if idx.dtype is not D.int64:
                raise IndexError("index_fill_(): Expected dtype int64 for index.")
            if idx.dim() > 1:
                raise RuntimeError("Index has to be a vector/scalar")
        if with_source and args[2].dtype is not x.dtype:
            a, b = R._type_word(x.dtype), R._type_word(args[2].dtype)
            raise RuntimeError(
                f"index_add_(): self ({a}) and source ({b}) must have the same scalar type"
                if name == "index_add"
                else f"index_copy_(): self and source expected to have the same dtype, but got (self) {a} and "
                f"(source) {b}"
            )
        return {"dim": d}

    return check


def _index_at(input, index, dim):
    idx = [slice(None)] * input.ndim
    idx[dim] = index
    return input.at[tuple(idx)] if input.ndim else input.at[index]


@op(
    "_index_add",
    n_tensors=3,
    promote=SAME,
    grad_name="IndexAddBackward0",
    promoted=(0, 2),
    method=False,
    saves=((), (), (1, 2)),
    check=_index_op_check("index_add", True),
)
def _index_add(input, index, source, dim, alpha=1):
    src = source if alpha == 1 else source * alpha
    if input.ndim:
        src = src.reshape(src.shape if src.ndim else (1,) * input.ndim)
    return _index_at(input, index, dim).add(src)


@op(
    "_index_copy",
    n_tensors=3,
    promote=SAME,
    grad_name="IndexCopyBackward0",
    promoted=(0, 2),
    method=False,
    saves=((1,), (), (1, 2)),
    check=_index_op_check("index_copy", True),
)
def _index_copy(input, index, source, dim):
    return _index_at(input, index, dim).set(source)


@op(
    "_index_fill",
    n_tensors=2,
    promote=SAME,
    grad_name="IndexFillBackward0",
    promoted=(0,),
    method=False,
    saves=((1,), ()),
    check=_index_op_check("index_fill", False),
)
def _index_fill(input, index, dim, value):
    return _index_at(input, index, dim).set(jnp.asarray(value, input.dtype))


@parsed("Tensor input, int dim, Tensor index, Tensor source, *, Number alpha = 1, Tensor out = None")
def index_add(input, dim, index, source, *, alpha=1, out=None, _target=None):
    if out is not None:
        _out.check_out_grad("index_add", (input, index, source), (out,))
    _index_count(input, dim, index, source, "index_add_(): Number of indices ({}) should be equal to "
                 "source.size(dim): ({}), for dim: {}", RuntimeError)  # fmt: skip
    result = _index_add(input, index, source, dim=dim, alpha=alpha, _target=_target)
    return result if out is None else _out.exact_out("index_add", out, result)


def _index_count(input, dim, index, source, words, error):
    """torch's meta check that index_add_ / index_copy_ make before their kernels' (and overlap) checks."""
    if not isinstance(index, R._Tensor) or not isinstance(source, R._Tensor) or index.dim() > 1:
        return
    d = _wrap_dim(dim, input.dim())
    size = source.shape[d] if source.dim() > d else 1
    if source.dim() and d < source.dim() and index.numel() != size:
        raise error(words.format(index.numel(), size, d))


@parsed("Tensor input, int dim, Tensor index, Tensor source, *, Tensor out = None")
def index_copy(input, dim, index, source, *, out=None, _target=None):
    if out is not None:
        _out.check_out_grad("index_copy", (input, index, source), (out,))
    _index_count(input, dim, index, source, "index_copy_(): Number of indices ({}) should be equal to "
                 "source.size(dim) ({})", IndexError)  # fmt: skip
    result = _index_copy(input, index, source, dim=dim, _target=_target)
    return result if out is None else _out.exact_out("index_copy", out, result)


@parsed("Tensor input, int dim, Tensor index, Tensor value", "Tensor input, int dim, Tensor index, Number value")
def index_fill(input, dim, index, value, *, _target=None):
    if isinstance(value, R._Tensor):
        if value.dim():  # (torch's out-of-place form runs the in-place kernel: its name either way)
            raise RuntimeError(
                f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with {value.dim()} "
                "dimension(s)."
            )
        value = value.item()
    return _index_fill(input, index, dim=dim, value=value, _target=_target)


# ------------------------------------------------------------------------- counting and searching (eager)


def _count_check(args, params):
    dim = params["dim"]
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        return {"dim": tuple(_wrap_dim(d, args[0].dim()) for d in dims)}


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.int64, check=_count_check)
def count_nonzero(input, dim=None):
    if isinstance(dim, (tuple, list)):  # (no dims: all of them, as torch)
        dim = tuple(d % input.ndim for d in dim) if dim and input.ndim else None
    return jnp.sum(input != 0, axis=dim, dtype=jnp.int64)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None, out=None):
    result = _searchsorted(sorted_sequence, input, out_int32, right, side, sorter)
    if out is None:
        return result
    if out.dtype is not result.dtype:
        raise RuntimeError(
            "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or Long(int64) depending "
            f"on whether out_int32 flag is True, but we got output tensor's dtype {R._type_word(out.dtype)} and "
            f"out_int32 flag is {out_int32}"
        )
    return _out.write_out(out, result)


def _searchsorted(sorted_sequence, input, out_int32, right, side, sorter):
    if side is not None:
        right = side == "right"
    seq = _np(sorted_sequence)
    vals = _np(input) if isinstance(input, R._Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, _np(sorter), axis=-1)
    s = "right" if right else "left"
    if seq.ndim <= 1:
        out = np.searchsorted(seq, vals, side=s)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise RuntimeError(
                "torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions of "
                f"boundaries tensor and input value tensor must match, but we got boundaries tensor "
                f"{list(seq.shape)} and input value tensor {list(vals.shape)}"
            )
        rows_s, rows_v = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = np.stack([np.searchsorted(a, b, side=s) for a, b in zip(rows_s, rows_v)]).reshape(vals.shape)
    return _wrap(np.asarray(out, np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    if boundaries.dim() != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.dim()})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right, out=out)


def bincount(input, weights=None, minlength=0):
    if input.dim() != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input.dtype.is_floating_point or input.dtype.is_complex or input.dtype is D.bool:
        raise RuntimeError(f"\"bincount_cpu\" not implemented for '{R._type_word(input.dtype)}'")
    x = _np(input)
    if x.size and x.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if weights is None:
        return _wrap(np.bincount(x, minlength=minlength).astype(np.int64))
    w = _np(weights)
    # torch keeps float weights' dtype and counts other weights in double
    dt = w.dtype if weights.dtype.is_floating_point else np.float64
    return _wrap(np.bincount(x, weights=w.astype(np.float64), minlength=minlength).astype(dt))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = _np(input)
    if dim is None:
        vals, inv, cnt = np.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        d = _wrap_dim(dim, x.ndim)
        vals, inv, cnt = np.unique(x, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = [_wrap(vals)]
    if return_inverse:
        out.append(_wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(_wrap(cnt.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def histc(input, bins=100, min=0, max=0, *, out=None):
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError(
            "torch.histogram: input tensor and hist tensor should have the same dtype, but got input "
            f"{R._C_NAMES[input.dtype._name]} and hist {R._C_NAMES[out.dtype._name]}"
        )
    result = _histc(input, bins, min, max)
    return result if out is None else _out.write_out(out, result)


def _histc(input, bins, min, max):
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{R._type_word(input.dtype)}'")
    if bins <= 0:
        raise RuntimeError("torch.histc(): bins must be > 0, but got " + str(bins) + " for dimension 0")
    x = _np(input).reshape(-1)
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    keep = x[(x >= lo) & (x <= hi)].astype(x.dtype)
    pos = ((keep - x.dtype.type(lo)) * bins / (x.dtype.type(hi) - x.dtype.type(lo))).astype(np.int64)
    pos = np.minimum(pos, bins - 1)  # the upper edge goes into the last bin
    return _wrap(np.bincount(pos, minlength=bins).astype(x.dtype))


# ------------------------------------------------------------------------- trapezoid rules


# torch's own formulas multiply and divide by Python numbers: those nodes are MulBackward1 / DivBackward1
@op("_mul_scalar", n_tensors=2, promote=R.BINARY, grad_name="MulBackward1", method=False)
def _mul_scalar(input, other):
    return input * other


@op("_div_scalar", n_tensors=2, promote=FLOAT, grad_name="DivBackward1", method=False)
def _div_scalar(input, other):
    return input / other


def _trapz_parts(y, x, dim):
    from .shape import narrow

    d = _wrap_dim(dim, y.dim())
    n = y.shape[d]
    pair = narrow(y, d, 1, n - 1) + narrow(y, d, 0, n - 1)
    if x is None:
        return d, pair, None
    dx = diff(x, dim=-1 if x.dim() == 1 else d)
    if x.dim() == 1:  # a 1-d x spans dim d of y
        dx = dx.view(*([-1] + [1] * (y.dim() - 1 - d)))
    return d, pair, dx


def trapezoid(y, x=None, *, dx=None, dim=-1):
    from .reduction import sum as _sum

    if x is not None and not isinstance(x, R._Tensor):
        dx, x = x, None
    d = _wrap_dim(dim, y.dim())
    if x is None:
        ends = _mul_scalar(y.select(d, 0) + y.select(d, -1), 0.5)
        return _mul_scalar(_sum(y, d) - ends, 1 if dx is None else dx)
    _, pair, step = _trapz_parts(y, x, d)
    return _div_scalar(_sum(step * pair, d), 2)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    from .scans import cumsum

    if x is not None and not isinstance(x, R._Tensor):
        dx, x = x, None
    d, pair, step = _trapz_parts(y, x, dim)
    if x is None:
        return cumsum(_mul_scalar(pair, (1 if dx is None else dx) / 2), d)
    return _div_scalar(cumsum(step * pair, d), 2)


# ------------------------------------------------------------------------- cov / corrcoef (ATen's Correlation.cpp)


def cov(input, *, correction=1, fweights=None, aweights=None, _name="cov"):
    from .linalg import mm

    if input.dim() > 2:
        raise RuntimeError(
            f"{_name}(): expected input to have two or fewer dimensions but got an input with {input.dim()} dimensions"
        )
    if fweights is not None or aweights is not None:
        raise NotImplementedError("torchish: cov() with fweights/aweights")
    x = input.view(1, -1) if input.dim() < 2 else input
    n = x.shape[1]
    w_sum = _wrap(np.asarray(n, np.int64))  # a 0-dim long tensor, so the divisions are DivBackward0
    avg = x.sum(1) / w_sum
    norm = n - correction
    if norm <= 0:
        warnings.warn(
            "cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of observations. "
            "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/Correlation.cpp:129.)",
            UserWarning,
            stacklevel=2,
        )
        norm = 0
    x = x - avg.unsqueeze(1)
    return (mm(x, x.t()) / _wrap(np.asarray(norm, np.int64))).squeeze()


def corrcoef(input):
    from .pointwise import clamp, sqrt

    c = cov(input, _name="corrcoef")
    if c.dim() == 0:
        return c / c
    std = sqrt(c.diagonal())
    c = c / std.view(-1, 1)
    c = c / std.view(1, -1)
    return clamp(c, -1, 1)


# ------------------------------------------------------------------------- Tensor methods

for _name in ("movedim", "moveaxis", "repeat_interleave", "take_along_dim", "tensor_split", "fliplr",
              "flipud", "diff", "bincount", "unique", "histc", "index_add", "index_copy",
              "index_fill", "allclose", "equal", "cov", "corrcoef"):  # fmt: skip
    setattr(Tensor, _name, getattr(globals()[_name], "method", globals()[_name]))
Tensor.histc = _out.method_without_out("histc", histc)
for _name, _fn in (("index_add", index_add), ("index_copy", index_copy), ("index_fill", index_fill)):
    setattr(Tensor, _name + "_", inplace_parsed(_fn, _name + "_"))
