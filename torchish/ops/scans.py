"""Scans: cumsum and cumprod as torch's CPU kernels run them (one running value per line, in double), with
torch's value-dependent cumprod gradient; cummax / cummin (their indices) and logcumsumexp."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._tensor import Tensor, _wrap_dim
from . import _formulas as F
from . import _out
from . import _registry as R
from ._argparse import parsed
from ._registry import FLOAT, SAME, SUM, op
from .reduction import _bool_kernel_check, _holds_zero, _named

__all__ = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]


@op(promote=SUM, grad_name="CumsumBackward0", inplace=True, check=_bool_kernel_check("cumsum_out_cpu"))
def cumsum(input, dim, *, dtype=None):
    dim = _wrap_dim(dim, input.ndim)  # (a 0-dim tensor takes dim 0 or -1)
    return F.cumulative(input, dim, jnp.add) if input.ndim else input


R.OPS["cumsum"].result_grad = lambda g, y, p, x: F.cumsum_backward(g, _wrap_dim(p["dim"], g.ndim)) if g.ndim else g


@op(promote=SUM, grad_name="CumprodBackward0", saves=((0, -1),), check=_bool_kernel_check("cumprod_out_cpu"))
def cumprod(input, dim, *, dtype=None):
    dim = _wrap_dim(dim, input.ndim)  # (a 0-dim tensor takes dim 0 or -1)
    return F.cumulative(input, dim, jnp.multiply) if input.ndim else input


def _cumprod_backward(g, y, p, inputs):
    """torch's cumprod_backward: for an input without zeros the reversed cumsum of result * grad, divided by the
    input; else (without create_graph) the same up to the first zero of each line, and at that zero the products
    after it up to the second."""
    x = inputs[0]
    if x.size <= 1:
        return g
    dim = _wrap_dim(p["dim"], x.ndim)
    if x.shape[dim] == 1:
        return g
    w = y * g
    if p["case"] == "quotient":
        return F.div(F.cumsum_backward(w, dim), x)
    zeros_before = jnp.cumsum(x == 0, axis=dim)  # (0 before the first zero, 1 from it to the second)
    before_first = zeros_before == 0
    grad = jnp.where(before_first, F.cumsum_backward(jnp.where(before_first, w, 0), dim) / x, 0)
    at_first = zeros_before == 1
    first = jnp.argmax(at_first, axis=dim, keepdims=True)
    is_first = (jax.lax.broadcasted_iota(first.dtype, x.shape, dim) == first) & at_first
    between = at_first & ~is_first
    from .pointwise_special import _unfused  # (imported late: it registers formulas of selection's atan2)

    products = _unfused(  # (torch rounds the products before it sums them)
        F.cumprod(jnp.where(between, x, 1), dim) * jnp.where(at_first, g, 0)
    )
    after = jnp.sum(products, dim, keepdims=True)
    before = jnp.take_along_axis(y, jnp.maximum(first - 1, 0), dim)
    return jnp.where(is_first, after * jnp.where(first == 0, 1, before), grad)


def _cumprod_case(node, create_graph):
    # (torch's create_graph formula for a line with zeros is a loop of its own: JAX's derivative computes it)
    if not create_graph:
        return "masked"
    return None if _holds_zero(node) else "quotient"


R.OPS["cumprod"].result_grad = _cumprod_backward
R.OPS["cumprod"].formula_case = _cumprod_case


def _cumext(name, better):
    def pure(input, dim):
        if input.ndim == 0:
            if dim not in (0, -1):
                raise IndexError(f"{name}(): Expected reduction dim -1 or 0 for scalar but got {dim}")
            return input, jnp.zeros((), jnp.int64)
        d = _wrap_dim(dim, input.ndim)
        v = jax.lax.stop_gradient(input)
        pos = jax.lax.broadcasted_iota(jnp.int64, v.shape, d)

        def combine(a, b):
            av, ai = a
            bv, bi = b
            # a later element wins ties, and NaN wins over numbers (the latest NaN), as in torch's kernel
            if jnp.issubdtype(v.dtype, jnp.floating):
                take_b = jnp.isnan(bv) | (~jnp.isnan(av) & better(bv, av))
            else:
                take_b = better(bv, av)
            return jnp.where(take_b, bv, av), jnp.where(take_b, bi, ai)

        _, idx = jax.lax.associative_scan(combine, (v, pos), axis=d)
        return jnp.take_along_axis(input, idx, axis=d), idx

    pure.__name__ = name
    return op(
        "_" + name, promote=SAME, grad_name=name.capitalize() + "Backward0", n_out=2, method=False, saves=((0, -2),)
    )(pure)


_cummax = _cumext("cummax", jnp.greater_equal)
_cummin = _cumext("cummin", jnp.less_equal)


def _cumulative_extreme(name, pure):
    def public(input, dim, *, out=None):
        if out is None:
            return _named(name)(*pure(input, dim=dim))
        _out.check_out_grad(name, (input,), out)
        return _out.write_outs(name, out, pure(input, dim=dim), "cumulative")

    public.__name__ = public.__qualname__ = name
    return parsed("Tensor input, int dim, *, tuple of Tensors out = None")(public)


cummax = _cumulative_extreme("cummax", _cummax)
cummin = _cumulative_extreme("cummin", _cummin)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _logcumsumexp(x, axis):
    return jax.lax.cumlogsumexp(x, axis=axis)


@_logcumsumexp.defjvp
def _logcumsumexp_jvp(axis, primals, tangents):
    # d out_i = sum_{j<=i} exp(x_j - out_i) dx_j, shifted by the slice's max against overflow; a function of
    # x and out, so the first derivative is itself differentiable as torch's is (even along a dim of size 1)
    x, t = primals[0], tangents[0]
    out = jax.lax.cumlogsumexp(x, axis=axis)
    m = jax.lax.stop_gradient(jnp.max(x, axis=axis, keepdims=True))
    m = jnp.where(jnp.isfinite(m), m, jnp.zeros_like(m))
    return out, jnp.cumsum(jnp.exp(x - m) * t, axis=axis) * jnp.exp(m - out)


@op(promote=FLOAT, grad_name="LogcumsumexpBackward0", saves=((0, -1),))
def logcumsumexp(input, dim):
    dim = _wrap_dim(dim, input.ndim)  # (a 0-dim tensor takes dim 0 or -1)
    return _logcumsumexp(input, dim) if input.ndim else input


Tensor.cummax, Tensor.cummin = cummax.method, cummin.method
