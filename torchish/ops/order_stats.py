"""Order statistics: median, nanmedian, kthvalue, mode.

median over a dim orders equal values by index (its comparator is (value, index)), so its pick is a stable
sort's and stays in JAX; kthvalue's and mode's picks among ties are whatever torch's CPU kernels leave, replayed
on the host (_tie_order.py), and the values are then gathered by an op whose backward scatters into them."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import _wrap_dim
from .._tie_order import all_nan_median_index, kthvalue_index, mode_of
from . import _formulas as F
from . import _out
from . import _registry as R
from ._argparse import parsed
from ._out import check_out_grad, write_outs
from ._registry import SAME, op
from .reduction import _named

__all__ = ["median", "nanmedian", "kthvalue", "mode"]


def _no_bool(kernel):
    def check(args, params):
        if args[0].dtype is D.bool:
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")

    return check


def _reduced_dim_check(fname):
    def check(args, params):
        x = args[0]
        d = _wrap_dim(params["dim"], x.dim())
        if x.dim() and x.shape[d] == 0:
            raise IndexError(f"{fname}(): Expected reduction dim {d} to have non-zero size.")

    return check


def _checks(*checks):
    def check(args, params):
        for c in checks:
            c(args, params)

    return check


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _median_value(x, ignore_nan):
    flat = x.reshape(-1)
    n = flat.size
    if n == 0:  # (torch reads an uninitialised element: NaN for floats)
        return jnp.asarray(jnp.nan if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.iinfo(x.dtype).min, x.dtype)
    ordered = jnp.sort(flat)  # (NaN last)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return ordered[(n - 1) // 2]
    nan = jnp.isnan(flat)
    if not ignore_nan:
        return jnp.where(nan.any(), jnp.asarray(jnp.nan, x.dtype), ordered[(n - 1) // 2])
    return ordered[jnp.maximum((n - nan.sum() - 1) // 2, 0)]


@_median_value.defjvp
def _median_value_jvp(ignore_nan, primals, tangents):
    # torch's evenly_distribute_backward: the gradient is shared by every element equal to the median (its NaNs
    # where the median is NaN)
    (x,), (t,) = primals, tangents
    value = _median_value(x, ignore_nan)
    hit = (x == value) | (jnp.isnan(value) & jnp.isnan(x))
    return value, jnp.sum(jnp.where(hit, t, 0)) / jnp.sum(hit).astype(t.dtype)


def _median_name(kind):
    def name(params, args):
        return ("Nanmedian" if params.get("ignore_nan") else "Median") + kind

    return name


@op(
    "_median_all",
    promote=SAME,
    method=False,
    grad_name=_median_name("Backward0"),
    saves=((0, -1),),
    check=_no_bool("median_cpu"),
)
def _median_all(input, ignore_nan=False):
    return _median_value(input, ignore_nan)


def _median_index(x, ignore_nan):
    """The index torch's median picks along the last axis of x."""
    n = x.shape[-1]
    order = jnp.argsort(x, axis=-1, stable=True)  # (value, index) order, NaN last
    nan = jnp.isnan(x) if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.zeros(x.shape, bool)
    if not ignore_nan:  # the first NaN, if any
        return jnp.where(nan.any(-1), jnp.argmax(nan, -1), order[..., (n - 1) // 2])
    num_nan = nan.sum(-1)
    pos = jnp.maximum((n - num_nan - 1) // 2, 0)
    picked = jnp.take_along_axis(order, pos[..., None], -1)[..., 0]
    return jnp.where(num_nan == n, all_nan_median_index(n), picked)


@op(
    "_median_dim",
    promote=SAME,
    method=False,
    grad_name=_median_name("Backward1"),
    n_out=2,
    saves=((-2,),),
    check=_checks(_reduced_dim_check("median"), _no_bool("median_out")),
)
def _median_dim(input, dim, keepdim=False, ignore_nan=False):
    if input.ndim == 0:
        return input, jnp.zeros((), jnp.int64)
    d = _wrap_dim(dim, input.ndim)
    idx = jnp.expand_dims(_median_index(jnp.moveaxis(input, d, -1), ignore_nan), d).astype(jnp.int64)
    values = jnp.take_along_axis(input, idx, axis=d)
    return (values, idx) if keepdim else (jnp.squeeze(values, d), jnp.squeeze(idx, d))


_NO_DIM = object()


def _median(fname, ignore_nan):
    def reduce(input, dim=_NO_DIM, keepdim=False, *, out=None):
        if dim is _NO_DIM:
            if keepdim:
                raise TypeError(f'{fname}() missing 1 required positional arguments: "dim"')
            return _median_all(input, ignore_nan=ignore_nan)
        if out is None:
            return _named(fname)(*_median_dim(input, dim=dim, keepdim=keepdim, ignore_nan=ignore_nan))
        check_out_grad(fname, (input,), out)
        return write_outs(fname, out, _median_dim(input, dim=dim, keepdim=keepdim, ignore_nan=ignore_nan), "median")

    reduce.__name__ = fname
    return parsed("Tensor input", "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None")(reduce)


median = _median("median", False)
nanmedian = _median("nanmedian", True)


def _selected_name(params, args):
    return {"kthvalue": "KthvalueBackward0", "mode": "ModeBackward0"}[params["kind"]]


@op("_selected", n_tensors=2, promote=SAME, method=False, grad_name=_selected_name, promoted=(0,), saves=((1,), ()))
def _selected(input, indices, dim, keepdim, kind):
    if input.ndim == 0:
        return input
    values = jnp.take_along_axis(input, jnp.expand_dims(indices, dim) if not keepdim else indices, axis=dim)
    return values if keepdim else jnp.squeeze(values, dim)


def _selected_backward(grad, result, params, inputs):
    # torch's value_selecting_reduction_backward: the gradient (unsqueezed where keepdim dropped the dim) scattered
    # into zeros at the indices
    input, indices = inputs
    if not input.ndim:
        return grad, None
    d = params["dim"]
    if not params["keepdim"]:
        grad, indices = F.unsqueeze_multiple(grad, (d,)), jnp.expand_dims(indices, d)
    return F.scatter(jnp.zeros(input.shape, grad.dtype), indices, grad, d), None


R.OPS["_selected"].result_grad = _selected_backward


def _rows(input, d, pick):
    """pick(row) for every row along dim d (host-side): the indices, shaped as the reduction's (dim dropped)."""
    a = np.moveaxis(np.asarray(input._value), d, -1)
    flat = a.reshape(-1, a.shape[-1])
    out = np.array([pick(row) for row in flat], np.int64) if flat.shape[0] else np.zeros(0, np.int64)
    return out.reshape(a.shape[:-1])


def _select(fname, input, d, keepdim, pick):
    from .. import _tensor

    if input.dim() == 0:
        idx = np.zeros((), np.int64)
    else:
        idx = _rows(input, d, pick)
        if keepdim:
            idx = np.expand_dims(idx, d)
    index = _tensor.Tensor._make(jnp.asarray(idx))
    return _named(fname)(_selected(input, index, dim=d, keepdim=keepdim, kind=fname), index)


@parsed("Tensor input, int k, int dim = -1, bool keepdim = False, *, tuple of Tensors out = None")
def kthvalue(input, k, dim=-1, keepdim=False, *, out=None):
    """The k-th smallest along dim (NaN largest), ties resolved as torch's quickselect leaves them."""
    if out is not None:
        check_out_grad("kthvalue", (input,), out)
    d = _wrap_dim(dim, input.dim())
    if input.dtype is D.bool:
        raise NotImplementedError("\"kthvalue_cpu\" not implemented for 'Bool'")
    size = input.shape[d] if input.dim() else 1
    if size == 0:
        raise IndexError(f"kthvalue(): Expected reduction dim {d} to have non-zero size.")
    if not 0 < k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    result = _select("kthvalue", input, d, keepdim, lambda row: kthvalue_index(row, k))
    if out is None:
        return result
    return write_outs("kthvalue", out, result, "kthvalue", dim=d, ndim=input.dim(), keepdim=keepdim)


@parsed("Tensor input, int dim = -1, bool keepdim = False, *, tuple of Tensors out = None")
def mode(input, dim=-1, keepdim=False, *, out=None):
    """The most frequent value along dim (the smallest among equally frequent ones), its index as torch's
    std::sort leaves it."""
    if out is not None:
        check_out_grad("mode", (input,), out)
    d = _wrap_dim(dim, input.dim())
    if input.dim() and input.shape[d] == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    result = _select("mode", input, d, keepdim, lambda row: mode_of(row)[1])
    if out is None:
        return result
    return write_outs("mode", out, result, "mode", dim=d, ndim=input.dim(), keepdim=keepdim)


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan, out=None):
    """ATen's quantile, op by op (so its graph is torch's): sort, ranks from q, gather below and above, lerp. An
    out tensor of the input's dtype (checked once the arguments are) takes a copy of the result."""
    from .. import _dtype
    from .creation import full_like, scalar_tensor
    from .pointwise import logical_not
    from .scatters import gather
    from .selection import isnan, masked_fill
    from .shape import transpose, unsqueeze, view

    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but got "
            f"{interpolation}"
        )
    if not isinstance(q, R._Tensor):
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")
        q = scalar_tensor(q, dtype=input.dtype)
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if q.dim() > 1:
        raise RuntimeError("quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if q.dtype is not input.dtype:
        raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    wrapped = _wrap_dim(0 if dim is None else dim, input.dim())
    out_shape = []
    if dim is not None and input.dim() > 0:
        out_shape = list(input.shape)
        if keepdim:
            out_shape[wrapped] = 1
        else:
            del out_shape[wrapped]
    elif keepdim:
        out_shape = [1] * input.dim()
    if not bool((q >= 0).logical_and_(q <= 1).all()):
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if out is not None and out.dtype is not input.dtype:
        raise RuntimeError("quantile() out tensor must be same dtype as the input tensor")
    if dim is None:
        ordered = input.flatten().sort()[0]
    elif wrapped == input.dim() - 1:
        ordered = input.sort()[0]
    else:
        ordered = transpose(unsqueeze(input, -1), wrapped, -1).sort()[0]
    ordered = view(ordered, tuple(out_shape) + (ordered.shape[-1],))  # (the reduced shape, then the sorted dim)
    if ordered.shape[-1] > 2**24:
        raise RuntimeError("quantile() input tensor is too large")
    if ignore_nan:
        ranks = q * (logical_not(isnan(ordered)).sum(-1, True) - 1)
        ranks.masked_fill_(ranks < 0, 0)
    else:
        last = ordered.shape[-1] - 1
        from .aliases import broadcast_tensors

        spread, any_nan = broadcast_tensors(q * last, isnan(ordered).any(-1, True))
        ranks = masked_fill(spread, any_nan, last)
    if interpolation == "lower":
        ranks.floor_()
    elif interpolation == "higher":
        ranks.ceil_()
    elif interpolation == "nearest":
        ranks.round_()
    below = ranks.long()
    values = gather(ordered, -1, below)
    if interpolation in ("linear", "midpoint"):
        weights = full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
        above = ranks.ceil_().long()
        values.lerp_(gather(ordered, -1, above), weights)
    if q.dim() == 0:
        values.squeeze_(-1)
    else:
        values.unsqueeze_(0).transpose_(0, -1).squeeze_(-1)
    return values if out is None else _out.copy_out(out, values)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, False, out)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear", out=None):
    return _quantile(input, q, dim, keepdim, interpolation, True, out)


__all__ += ["quantile", "nanquantile"]
