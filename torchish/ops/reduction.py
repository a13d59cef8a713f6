"""Reductions and scans."""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._return_types import return_type
from .._tensor import _wrap_dim
from . import _formulas as F
from . import _out
from . import _registry as R
from ._argparse import invalid_combination, parsed
from ._out import check_out_grad, write_outs
from ._registry import FLOAT, SAME, SUM, op
from .pointwise import _true_divide


def _dims(dim, ndim):
    """torch dim argument -> sorted tuple of axes, validated with torch's error."""
    if dim is None:
        return None
    if isinstance(dim, int):
        dim = (dim,)
    if len(dim) == 0:
        return None
    axes = tuple(_wrap_dim(d, ndim) for d in dim)
    if ndim == 0:
        return None  # torch accepts dim 0 / -1 on a 0-dim tensor and reduces nothing
    if len(set(axes)) != len(axes):
        dup = next(a for a in axes if axes.count(a) > 1)
        raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
    return axes


def _check_dims(args, params):
    _dims(params.get("dim"), args[0]._value.ndim)


def _reduce_name(all_name, dim_name):
    def name(params, args):
        return all_name if params.get("dim") in (None, ()) else dim_name

    return name


def _sum_dtype(compute, params):
    return compute


@op(promote=SUM, grad_name=_reduce_name("SumBackward0", "SumBackward1"), check=_check_dims)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.sum(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


def _bool_kernel_check(kernel):
    def check(args, params):
        if params.get("dtype") is D.bool:  # (there is no bool kernel to compute in)
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")

    return check


@op(promote=SUM, grad_name=_reduce_name("NansumBackward0", "NansumBackward0"), saves=((0,),), check=_check_dims)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nansum(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


def _mean_check(args, params):
    d = args[0].dtype
    want = params.get("dtype")
    if want is None and not (d.is_floating_point or d.is_complex):
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. "
            f"Got: {R._type_word(d)}"
        )
    _check_dims(args, params)


@op(promote=SUM, grad_name=_reduce_name("MeanBackward0", "MeanBackward1"), check=_mean_check)
def mean(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.mean(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op(promote=SUM, grad_name=_reduce_name("ProdBackward0", "ProdBackward1"), saves=((0, -1),), check=_check_dims)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    axes = _dims(dim, input.ndim)
    return _prod(input, None if axes is None else axes[0], keepdim)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2))
def _prod(x, axis, keepdim):
    if x.dtype not in (jnp.float32, jnp.float64) or x.size == 0:  # (integer products come out the same in any order)
        return jnp.prod(x, axis=axis, keepdims=keepdim)
    if axis is None:
        return _prod_in_lanes(x.reshape(-1)).reshape((1,) * x.ndim if keepdim else ())
    if math.prod(x.shape[axis + 1 :]) == 1:  # (the reduced elements lie next to each other in memory)
        out = _prod_in_lanes(jnp.moveaxis(x, axis, -1))
    else:
        out = jax.lax.scan(lambda p, v: (p * v, None), *_first_and_rest(jnp.moveaxis(x, axis, 0)))[0]
    return jnp.expand_dims(out, axis) if keepdim else out


def _first_and_rest(lines):
    return lines[0], lines[1:]


def _prod_in_lanes(x):
    """The product along the last axis in torch's CPU order for contiguous elements: under 4 SIMD vectors, one
    by one; else four vector accumulators over whole blocks of 4 vectors, combined pairwise, their lanes in
    order, then the rest one by one. (A vector holds 32 bytes: 8 floats, 4 doubles.)"""
    lanes = 32 // x.dtype.itemsize
    n, block = x.shape[-1], 4 * lanes
    count = n // block
    out = None
    if count:
        blocks = jnp.moveaxis(x[..., : count * block].reshape(x.shape[:-1] + (count, 4, lanes)), -3, 0)
        acc = jax.lax.scan(lambda p, v: (p * v, None), *_first_and_rest(blocks))[0]
        vec = (acc[..., 0, :] * acc[..., 1, :]) * (acc[..., 2, :] * acc[..., 3, :])
        out = vec[..., 0]
        for j in range(1, lanes):
            out = out * vec[..., j]
    for i in range(count * block, n):
        out = x[..., i] if out is None else out * x[..., i]
    return out


@_prod.defjvp
def _prod_jvp(axis, keepdim, primals, tangents):
    # torch's prod_backward without create_graph: result / input while the tensor has no zero, else the products
    # of the elements on either side (exclusive cumprods). (With create_graph, _prod_backward)
    (x,), (t,) = primals, tangents
    result = _prod(x, axis, True)
    if x.ndim == 0:
        return _prod(x, axis, keepdim), t
    flat = x.reshape(-1) if axis is None else x
    before_after = _exclusive_products(flat, 0 if axis is None else axis).reshape(x.shape)
    quotient = _true_divide(result, jnp.where(x == 0, jnp.ones_like(x), x))
    coef = jnp.where(jnp.any(x == 0), before_after, quotient)
    return _prod(x, axis, keepdim), jnp.sum(coef * t, axis=axis, keepdims=keepdim)


def _exclusive_products(x, axis):
    """Each element's product of the others along axis (torch's prod_safe_zeros_backward, without the grad):
    the cumprod of those before it times the reversed cumprod of those after it."""
    n = x.shape[axis]
    if n <= 1:
        return jnp.ones_like(x)
    ones = jnp.ones_like(jax.lax.slice_in_dim(x, 0, 1, axis=axis))
    before = F.cumprod(jnp.concatenate([ones, jax.lax.slice_in_dim(x, 0, n - 1, axis=axis)], axis), axis)
    after = jnp.flip(jax.lax.slice_in_dim(x, 1, n, axis=axis), axis)
    after = jnp.flip(F.cumprod(jnp.concatenate([ones, after], axis), axis), axis)
    return before * after


def _prod_backward(g, y, p, inputs):
    """torch's prod_backward with create_graph, whose history depends on the values: grad * (result / input)
    for an input without zeros, else grad * the exclusive products (each a node of its own)."""
    x, dim = inputs[0], p.get("dim")
    if x.ndim == 0:
        return g
    if dim is not None:
        dim = _wrap_dim(dim if isinstance(dim, int) else dim[0], x.ndim)
        if not p.get("keepdim"):
            g, y = F.unsqueeze(g, dim), F.unsqueeze(y, dim)
    if p["case"] == "quotient":
        return g * F.div(y, x)
    if x.size == 0:
        return jnp.broadcast_to(g, x.shape)
    if dim is None:
        return F.view(g * _exclusive_products(F.view(x, (-1,)), 0), x.shape)
    return g if x.shape[dim] == 1 else g * _exclusive_products(x, dim)


def _holds_zero(node) -> bool:
    """Whether a prod / cumprod node's saved input holds a zero (torch's formulas divide by it when not)."""
    return bool((node.saved[0] == 0).any())


def _prod_case(node, create_graph):
    return ("zeros" if _holds_zero(node) else "quotient") if create_graph else None


R.OPS["prod"].result_grad = _prod_backward
R.OPS["prod"].formula_case = _prod_case


@op(promote=SAME, grad_name="AmaxBackward0", saves=((0, -1),), check=_check_dims)
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op(promote=SAME, grad_name="AminBackward0", saves=((0, -1),), check=_check_dims)
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


def _empty_check(fn_name):
    def check(args, params):
        if args[0].numel() == 0:
            dim = params.get("dim")
            if dim is None:
                raise RuntimeError(
                    f"{fn_name}(): Expected reduction dim to be specified for input.numel() == 0. "
                    "Specify the reduction dim with the 'dim' argument."
                )
        _check_dims(args, params)

    return check


@op("_max_all", promote=SAME, grad_name="MaxBackward1", saves=((0, -1),), method=False, check=_empty_check("max"))
def _max_all(input):
    return jnp.max(input)


@op("_min_all", promote=SAME, grad_name="MinBackward1", saves=((0, -1),), method=False, check=_empty_check("min"))
def _min_all(input):
    return jnp.min(input)


def _index_reduce(fn, arg):
    def pure(input, dim, keepdim=False):
        ax = _wrap_dim(dim, input.ndim)
        idx = arg(input, axis=ax, keepdims=True) if input.ndim else jnp.zeros((), jnp.int64)
        vals = jnp.take_along_axis(input, idx, axis=ax) if input.ndim else input
        if not keepdim and input.ndim:
            vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
        return vals, idx.astype(jnp.int64)

    return pure


def _argmax_nan(x, axis, keepdims):
    # torch treats NaN as the maximum; jnp.argmax already does
    return jnp.argmax(x, axis=axis, keepdims=keepdims)


def _argmin_nan(x, axis, keepdims):
    return jnp.argmin(x, axis=axis, keepdims=keepdims)


_max_dim = op(
    "_max_dim", promote=SAME, grad_name="MaxBackward0", n_out=2, method=False, saves=((-2,),), check=_check_dims
)(_index_reduce(jnp.max, _argmax_nan))
_min_dim = op(
    "_min_dim", promote=SAME, grad_name="MinBackward0", n_out=2, method=False, saves=((-2,),), check=_check_dims
)(_index_reduce(jnp.min, _argmin_nan))


def _named(name):
    return return_type(name)


_MAX_T, _MIN_T = _named("max"), _named("min")
_MinMax = return_type("aminmax", ("min", "max"))


def _check_aminmax(args, params):
    x, dim = args[0], params.get("dim")
    if dim is None:
        if x.numel() == 0:
            raise RuntimeError(
                "aminmax(): cannot compute aminmax over an empty dimension as the operation has no identity."
            )
        return
    d = _wrap_dim(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")


@op(
    "_aminmax",
    promote=SAME,
    grad_name="AminmaxBackward0",
    n_out=2,
    method=False,
    saves=((0, -1, -2),),
    check=_check_aminmax,
)
def _aminmax(input, dim=None, keepdim=False):
    # (a 0-dim input reduced over dim 0 stays 0-dim, keepdim or not)
    axis = None if dim is None or input.ndim == 0 else _wrap_dim(dim, input.ndim)
    keep = keepdim and input.ndim > 0
    return jnp.min(input, axis=axis, keepdims=keep), jnp.max(input, axis=axis, keepdims=keep)


@parsed("Tensor input, *, int? dim = None, bool keepdim = False, tuple of Tensors out = None")
def aminmax(input, *, dim=None, keepdim=False, out=None):
    """torch.aminmax: (min, max) in one op; the gradient of each is shared among its ties, as amin/amax's."""
    if out is not None:
        check_out_grad("aminmax", (input,), out)
        return write_outs("aminmax", out, _MinMax(*_aminmax(input, dim=dim, keepdim=keepdim)))
    return _MinMax(*_aminmax(input, dim=dim, keepdim=keepdim))


def _aminmax_method(self, *args, dim=None, keepdim=False):
    if args:  # (torch's parser counts the arguments after self)
        raise TypeError(
            f"aminmax() takes 0 positional arguments but {len(args)} {'was' if len(args) == 1 else 'were'} given"
        )
    return aminmax(self, dim=dim, keepdim=keepdim)


_MAX_MIN = (
    "Tensor input, *, Tensor out = None",
    "Tensor input, Tensor other, *, Tensor out = None",
    "Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None",
)
_MAX_MIN_METHOD = ("", "Tensor other", "int dim, bool keepdim = False")


def _max_min_overload(args, kwargs):
    """(other, dim, keepdim) of a call the parser took: a Tensor given by position is `other` (that overload comes
    first), one given as dim= a dim."""
    if args and isinstance(args[0], R._Tensor) or "other" in kwargs:
        return (args[0] if args else kwargs["other"]), None, False
    dim = args[0] if args else kwargs.get("dim")
    return None, dim, args[1] if len(args) > 1 else kwargs.get("keepdim", False)


@parsed(*_MAX_MIN, method=_MAX_MIN_METHOD)
def max(input, *args, out=None, **kwargs):
    other, dim, keepdim = _max_min_overload(args, kwargs)
    if other is not None:
        from .pointwise import maximum

        return maximum(input, other, out=out)
    if dim is None:
        return _max_all(input)
    if out is not None:
        check_out_grad("max", (input,), out)
        return write_outs("max", out, _MAX_T(*_max_dim(input, dim, keepdim)))
    return _MAX_T(*_max_dim(input, dim, keepdim))


@parsed(*_MAX_MIN, method=_MAX_MIN_METHOD)
def min(input, *args, out=None, **kwargs):
    other, dim, keepdim = _max_min_overload(args, kwargs)
    if other is not None:
        from .pointwise import minimum

        return minimum(input, other, out=out)
    if dim is None:
        return _min_all(input)
    if out is not None:
        check_out_grad("min", (input,), out)
        return write_outs("min", out, _MIN_T(*_min_dim(input, dim, keepdim)))
    return _MIN_T(*_min_dim(input, dim, keepdim))


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.int64)
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmax(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmax(input, axis=_wrap_dim(dim, input.ndim), keepdims=keepdim)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.int64)
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmin(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmin(input, axis=_wrap_dim(dim, input.ndim), keepdims=keepdim)


def _var_correction(params):
    c = params.get("correction")
    if c is None:
        u = params.get("unbiased")
        return 1 if u is None or u else 0
    return c


@functools.partial(jax.custom_jvp, nondiff_argnums=(1, 2, 3, 4))
def _var(x, axes, correction, keepdims, dim_given):
    # torch's CPU kernels: a reduction to one element subtracts the mean taken in x's dtype and sums squares in
    # double (std_var_all_cpu); any other runs Welford in double. The difference shows where the variance is ~0:
    # a constant float32 input has a small nonzero full-reduction variance in torch, so its std has a gradient
    n = _reduced_size(x.shape, axes)
    if x.dtype in (jnp.float32, jnp.float64) and _kept_size(x.shape, axes) == 1:
        dev = x.astype(jnp.float64) - _divided_mean(x, None, False).astype(jnp.float64)
    else:
        x64 = x.astype(jnp.float64)
        dev = x64 - jnp.mean(x64, axis=axes, keepdims=True)
    var = jnp.sum(dev * dev, axis=axes, keepdims=keepdims) / (n - correction if n > correction else 0)
    return var.astype(x.dtype)


def _var_backward(grad, x, axes, correction, dim_given):
    # torch's var_backward: 2/(n - correction) * grad * (x - mean) with the mean in x's dtype (grad unsqueezed to
    # x's rank); with no dof left, a call without dim gives NaN where x equals its mean and inf elsewhere
    dof = _reduced_size(x.shape, axes) - correction
    centred = x - _mean_formula(x, axes)
    if dof > 0:
        return (2.0 / dof) * grad * centred
    if not dim_given:
        return grad * jnp.where(centred == 0, jnp.nan, jnp.inf).astype(x.dtype)
    return jnp.asarray(jnp.inf if dof == 0 else 2.0 / dof, x.dtype) * grad * centred


@_var.defjvp
def _var_jvp(axes, correction, keepdims, dim_given, primals, tangents):
    (x,), (t,) = primals, tangents
    coef = _var_backward(jnp.ones((), x.dtype), x, axes, correction, dim_given)
    return _var(x, axes, correction, keepdims, dim_given), jnp.sum(coef * t, axis=axes, keepdims=keepdims)


def _divided_mean(x, axes, keepdims):
    # torch's mean is sum / n; XLA turns a division by a constant into a product with a rounded 1/n, which
    # can differ in the last bit, so the division is done in double and rounded once. A full mean sums flat,
    # and below one SIMD vector (8 lanes at the narrowest) torch adds in order, so that order is spelled out
    if axes is None:
        flat = x.reshape(-1)
        total = functools.reduce(jnp.add, list(flat), jnp.zeros((), x.dtype)) if flat.size < 8 else jnp.sum(flat)
        total = total.reshape((1,) * x.ndim if keepdims else ())
    else:
        total = jnp.sum(x, axis=axes, keepdims=keepdims)
    return (total.astype(jnp.float64) / _reduced_size(x.shape, axes)).astype(x.dtype)


def _mean_kept(x, axes):
    return _divided_mean(x, axes, True)


# torch's self.mean() / self.mean(dim, true) in a formula
_MEAN_FORMULAS = {name: F.named_call(name, _mean_kept, static_argnums=1) for name in ("mean", "mean_dim")}


def _mean_backward(grad, result, params, inputs):
    # torch's mean_backward: sum_backward (unsqueeze the reduced dims, expand) / numel
    shape = inputs[0].shape
    axes = _dims(params.get("dim"), len(shape))
    if axes is not None and not params.get("keepdim"):
        grad = F.unsqueeze_multiple(grad, axes)
    return jnp.broadcast_to(grad, shape) / _reduced_size(shape, axes)


R.OPS["mean"].result_grad = _mean_backward


def _mean_formula(x, axes):
    return _MEAN_FORMULAS["mean" if axes is None else "mean_dim"](x, axes)


def _reduced_size(shape, axes):
    return math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)


def _kept_size(shape, axes):
    """How many outputs a reduction over axes makes."""
    return 1 if axes is None else math.prod(d for a, d in enumerate(shape) if a not in axes)


def _dof_check(fname):
    def check(args, params):
        if not (args[0].dtype.is_floating_point or args[0].dtype.is_complex):
            kind = "std and var" if fname in ("std", "var") else fname
            raise RuntimeError(f"{kind} only support floating point and complex dtypes")
        _check_dims(args, params)
        shape = args[0].shape
        axes = _dims(params.get("dim"), len(shape))
        reduced = _reduced_size(shape, axes) if _kept_size(shape, axes) else 0  # torch: numel / outputs
        if reduced - _var_correction(params) <= 0:
            warnings.warn(
                f"{fname}(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                "factor (input numel divided by output numel). (Triggered internally at "
                "/__w/pytorch/pytorch/aten/src/ATen/native/ReduceOps.cpp:1861.)",
                UserWarning,
                stacklevel=R._user_stacklevel(),
            )

    return check


@op(promote=FLOAT, grad_name="VarBackward0", saves=((0,),), check=_dof_check("var"))
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _variance(input, dim, unbiased, keepdim, correction)


def _variance(input, dim, unbiased, keepdim, correction):
    """var() of the op's arguments; var_mean, std and std_mean build on it."""
    c = _var_correction({"correction": correction, "unbiased": unbiased})
    return _var(input, _dims(dim, input.ndim), c, keepdim, dim is not None)


@op(promote=FLOAT, grad_name="VarMeanBackward0", saves=((0,),), check=_dof_check("var_mean"), n_out=2, method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    variance = _variance(input, dim, unbiased, keepdim, correction)
    return variance, jnp.mean(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@jax.custom_jvp
def _std_sqrt(v):
    return jnp.sqrt(v)


@_std_sqrt.defjvp
def _std_sqrt_jvp(primals, tangents):
    # torch's std backward masks the gradient to 0 where the std is 0 (sqrt' would be inf there)
    y = _std_sqrt(primals[0])  # recursive, so higher orders also mask the kink
    safe = jnp.where(y == 0, jnp.ones_like(y), y)
    return y, jnp.where(y == 0, jnp.zeros_like(y), tangents[0] / (2 * safe))


@op(promote=FLOAT, grad_name="StdBackward0", saves=((0, -1),), check=_dof_check("std"))
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _std_sqrt(_variance(input, dim, unbiased, keepdim, correction))


def _std_backward(grad, result, params, inputs):
    # torch's std_backward in terms of the saved std: var_backward of grad / (2 * std), 0 where the std is 0
    (x,) = inputs
    axes = _dims(params.get("dim"), x.ndim)
    grad = F.masked_fill(_true_divide(grad, result * 2), result == 0, 0)
    if axes is not None and not params.get("keepdim", False):
        grad = F.unsqueeze_multiple(grad, axes)
    return _var_backward(grad, x, axes, _var_correction(params), params.get("dim") is not None)


R.OPS["std"].result_grad = _std_backward


def _var_result_grad(grad, result, params, inputs):
    # torch's var_backward, in its terms (a create_graph history has its nodes)
    (x,) = inputs
    axes = _dims(params.get("dim"), x.ndim)
    if axes is not None and not params.get("keepdim", False):
        grad = F.unsqueeze_multiple(grad, axes)
    return _var_backward(grad, x, axes, _var_correction(params), params.get("dim") is not None)


R.OPS["var"].result_grad = _var_result_grad


@op(promote=FLOAT, grad_name="StdMeanBackward0", saves=((0, -1),), check=_dof_check("std_mean"), n_out=2, method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    deviation = _std_sqrt(_variance(input, dim, unbiased, keepdim, correction))
    return deviation, jnp.mean(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


_MOMENTS_OVERLOADS = (
    "Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False",
    "Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False",
    "Tensor input, bool unbiased = True",
)


def _without_out(public):
    """std_mean and var_mean: none of torch's overloads takes out= (its parser's error names them all)."""

    @functools.wraps(public)
    def call(*args, **kwargs):
        if "out" in kwargs:
            raise TypeError(invalid_combination(public.__name__, args, kwargs, _MOMENTS_OVERLOADS))
        return public(*args, **kwargs)

    return call


var_mean, std_mean = _without_out(var_mean), _without_out(std_mean)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def all(input, dim=None, keepdim=False):
    if dim == ():  # (torch reduces over no dims: each element as a bool)
        return input.astype(jnp.bool_)
    return jnp.all(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def any(input, dim=None, keepdim=False):
    if dim == ():  # (torch reduces over no dims: each element as a bool)
        return input.astype(jnp.bool_)
    return jnp.any(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


@op(promote=FLOAT, grad_name="LogsumexpBackward0", saves=((0, -1),), check=_check_dims)
def logsumexp(input, dim, keepdim=False):
    import jax.scipy.special as jss

    return jss.logsumexp(input, axis=_dims(dim, input.ndim), keepdims=keepdim)


def _logsumexp_backward(grad, result, params, inputs):
    # torch's logsumexp_backward: grad * exp(self - result), both unsqueezed to self's rank
    (x,) = inputs
    axes = _dims(params["dim"], x.ndim)
    if axes is not None and not params.get("keepdim", False):
        grad, result = F.unsqueeze_multiple(grad, axes), F.unsqueeze_multiple(result, axes)
    return grad * jnp.exp(x - result)


R.OPS["logsumexp"].result_grad = _logsumexp_backward


def _softmax_check(name):
    """torch's CPU softmax kernels take floating inputs only: the last-dim kernel (a 0-d or 1-d input too) and the
    general one name themselves in the error; an empty input runs no kernel."""

    def check(args, params):
        x, d = args[0], params.get("dtype") or args[0].dtype
        if isinstance(d, str):
            d = getattr(D, d)
        if not (d.is_floating_point or d.is_complex) and x.numel():
            last = x.dim() <= 1 or _wrap_dim(params["dim"], x.dim()) == x.dim() - 1
            kernel = f"{name}_lastdim_kernel_impl" if last else f"{name}_kernel_impl"
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{R._type_word(d)}'")

    return check


@op(promote=FLOAT, grad_name="SoftmaxBackward0", saves=((-1,),), check=_softmax_check("softmax"))
def softmax(input, dim, dtype=None):
    if input.ndim == 0:
        return jax.nn.softmax(input.reshape(1)).reshape(())
    return jax.nn.softmax(input, axis=_wrap_dim(dim, input.ndim))


def _softmax_axis(y, p):
    return _wrap_dim(p["dim"], y.ndim) if y.ndim else None


# torch's formulas in terms of the saved result, each one named call (see autograd/lowering.py's _name_of)
@functools.partial(jax.jit, static_argnums=2)
def _softmax_backward_data(grad, result, axis):
    return (grad - (grad * result).sum(axis, keepdims=True)) * result


@functools.partial(jax.jit, static_argnums=2)
def _log_softmax_backward_data(grad, result, axis):
    return grad - jnp.exp(result) * grad.sum(axis, keepdims=True)


R.OPS["softmax"].result_grad = lambda g, y, p, x: _softmax_backward_data(g, y, _softmax_axis(y, p))


@op(promote=FLOAT, grad_name="LogSoftmaxBackward0", saves=((-1,),), check=_softmax_check("log_softmax"))
def log_softmax(input, dim, dtype=None):
    if input.ndim == 0:
        return jax.nn.log_softmax(input.reshape(1)).reshape(())
    return jax.nn.log_softmax(input, axis=_wrap_dim(dim, input.ndim))


R.OPS["log_softmax"].result_grad = lambda g, y, p, x: _log_softmax_backward_data(g, y, _softmax_axis(y, p))


def nonzero(input, *, out=None, as_tuple=False):
    if out is not None:
        if out.dtype is not D.int64:
            raise RuntimeError(
                f"nonzero: Expected out tensor to have scalar type Long but got scalar type{R._type_word(out.dtype)}"
            )
        return _out.write_out(out, nonzero(input))
    import numpy as np

    idx = np.nonzero(np.asarray(input._value).reshape(input.shape if input.dim() else (1,)))
    tensors = tuple(R._Tensor._make(jnp.asarray(i, jnp.int64)) for i in idx)
    if as_tuple:  # (a 0-dim input reads as one element here, as torch's nonzero_numpy)
        return tensors
    if input.dim() == 0:  # one row per nonzero element, of no coordinates
        return R._Tensor._make(jnp.zeros((idx[0].size, 0), jnp.int64))
    return R._Tensor._make(jnp.stack([t._value for t in tensors], axis=1) if tensors else jnp.zeros((0, 0), jnp.int64))
