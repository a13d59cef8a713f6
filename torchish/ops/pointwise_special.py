"""Pointwise functions of the special kind: hypot, logaddexp / logaddexp2, xlogy, copysign, heaviside, signbit,
sinc, erfinv, lgamma, digamma, logit, each with torch's derivative formula in terms of its result where torch
has one; and _unfused, the guard that keeps XLA from contracting a product and a sum into one FMA."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .. import _dtype as D
from . import _formulas
from . import _registry as R
from . import special_ops as _special_ops
from ._registry import FLOAT, SAME, op
from .pointwise import _broadcast_check, _true_divide

__all__ = [
    "hypot", "logaddexp", "logaddexp2", "xlogy", "copysign", "heaviside", "signbit", "sinc", "erfinv", "lgamma",
    "digamma", "logit",
]  # fmt: skip


# ------------------------------------------------------------------------- special functions

_FLOAT_KW = dict(promote=FLOAT, check=_broadcast_check, inplace=True, saves=((0, 1), (0, 1)), n_tensors=2)


@op(grad_name="HypotBackward0", **{**_FLOAT_KW, "saves": ((0, -1), (1, -1))})
def hypot(input, other):
    return _hypot(input, other)


@jax.custom_jvp
def _hypot(a, b):
    return jnp.hypot(a, b)


@_hypot.defjvp
def _hypot_jvp(primals, tangents):
    # torch's formulas, grad * self / result and grad * other / result; JAX's hypot orders its operands with
    # max/min, whose split subgradient at |a| == |b| zeroes the second derivative there
    (a, b), (ta, tb) = primals, tangents
    out = _hypot(a, b)
    return out, ta * _true_divide(a, out) + tb * _true_divide(b, out)


@op(grad_name="LogaddexpBackward0", **{**_FLOAT_KW, "inplace": False})
def logaddexp(input, other):
    return jnp.logaddexp(input, other)


@op(grad_name="Logaddexp2Backward0", **{**_FLOAT_KW, "inplace": False})
def logaddexp2(input, other):
    return jnp.logaddexp2(input, other)


def _xlogy_name(params, args):
    return "XlogyBackward0" if isinstance(args[0], R._Tensor) and isinstance(args[1], R._Tensor) else (
        "XlogyBackward1" if isinstance(args[1], R._Tensor) else "XlogyBackward2")  # fmt: skip


@op(grad_name=_xlogy_name, **_FLOAT_KW)
def xlogy(input, other):
    return _formulas.torch_xlogy(input, other)


@jax.custom_jvp
def _copysign(x, y):
    return jnp.copysign(x, y)


@_copysign.defjvp
def _copysign_jvp(primals, tangents):
    # torch's copysign_tensor_self_backward: grad * result / self, 0 where self == 0; nothing flows to other.
    # Written through result so the first derivative stays a function of x, as torch's graph is.
    x, y = primals
    r = jnp.copysign(x, y)
    safe = jnp.where(x == 0, jnp.ones_like(x), x)
    return r, jnp.where(x == 0, jnp.zeros_like(x), tangents[0] * (r / safe))


@op(grad_name="CopysignBackward0", **{**_FLOAT_KW, "saves": ((0, -1), ())})
def copysign(input, other):
    return _copysign(input, other)


def _float_pair(result, inputs):
    return tuple(jnp.asarray(x, result.dtype) for x in inputs)


def _hypot_backward(grad, result, params, inputs):
    x, y = _float_pair(result, inputs)
    return tuple(_formulas.sum_to(grad * v / result, jnp.shape(v)) for v in (x, y))


def _logaddexp_backward(grad, result, params, inputs):
    x, y = _float_pair(result, inputs)
    return _formulas.sum_to(grad / (jnp.exp(y - x) + 1), x.shape), _formulas.sum_to(
        grad / (jnp.exp(x - y) + 1), y.shape
    )


def _copysign_backward(grad, result, params, inputs):
    x, y = _float_pair(result, inputs)
    ratio = _formulas.masked_fill(_formulas.div(result, x), x == 0, 0)  # (torch's copysign_tensor_self_backward)
    return _formulas.sum_to(grad * ratio, x.shape), jnp.zeros(jnp.shape(inputs[1]), result.dtype)


def _xlogy_backward(grad, result, params, inputs):
    x, y = _float_pair(result, inputs)
    g_self = _formulas.masked_fill(_formulas.xlogy(grad, y), (x == 0) & (y <= 0), 0)
    return _formulas.sum_to(g_self, x.shape), _formulas.sum_to(grad * x / y, y.shape)


def _atan2_backward(grad, result, params, inputs):
    x, y = _float_pair(result, inputs)
    denom = x * x + y * y
    recip = _formulas.masked_fill(_formulas.reciprocal(denom), denom == 0, 0)
    return _formulas.sum_to(grad * y * recip, x.shape), _formulas.sum_to(grad * -x * recip, y.shape)


# torch's formulas in its terms: a create_graph history has their nodes, a first derivative their rounding
R.OPS["hypot"].result_grad = _hypot_backward
R.OPS["logaddexp"].result_grad = _logaddexp_backward
R.OPS["copysign"].result_grad = _copysign_backward
R.OPS["xlogy"].result_grad = _xlogy_backward
R.OPS["atan2"].result_grad = _atan2_backward


def _heaviside_check(args, params):
    if not isinstance(args[1], R._Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(args[1]).__name__}")
    if args[0].dtype is not args[1].dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    _broadcast_check(args, params)


@op(n_tensors=2, promote=R.BINARY, differentiable=False, inplace=True, check=_heaviside_check)
def heaviside(input, values):
    return jnp.where(input == 0, values, (input > 0).astype(input.dtype)).astype(input.dtype)


@op(promote=SAME, differentiable=False, out_dtype=lambda c, p: D.bool)
def signbit(input):
    return jnp.signbit(input) if jnp.issubdtype(input.dtype, jnp.floating) else input < 0


def _special(name, fn, grad, saves=((0,),)):
    def pure(input):
        return fn(input)

    pure.__name__ = name
    return op(name, promote=FLOAT, grad_name=grad, saves=saves, inplace=True)(pure)


@jax.custom_jvp
def _sinc(x):
    return _sinc_value(x)


def _rounded(fn, x):
    # XLA's float32 sin/cos can be an ulp off the correctly rounded value torch's kernels return, and sinc
    # and its derivative cancel catastrophically near zeros and near 0, so the ulp shows: take them in float64
    return fn(x.astype(jnp.float64)).astype(x.dtype) if x.dtype == jnp.float32 else fn(x)


@jax.custom_jvp
def _unfused(product):
    """product, kept from being contracted into an FMA with what it feeds; its derivative is the identity's."""
    return _unfused_bits(product)


@jax.jit
def _unfused_bits(product):  # (named: a create_graph history sees through it, lowering._is_transparent)
    # XLA's CPU backend lets LLVM contract a*b - c into one FMA (and sees through barriers, converts and
    # bitcasts), which skips the product's rounding that torch's separate kernels do; near sinc's zeros that
    # rounding is the whole answer. A select on the bits that LLVM cannot prove dead keeps the product apart
    # (the selected pattern is a NaN, so even when taken it changes nothing)
    bits = jax.lax.bitcast_convert_type(product, {2: jnp.int16, 4: jnp.int32, 8: jnp.int64}[product.dtype.itemsize])
    bits = jnp.where(bits == -7, bits + 1, bits)
    return jax.lax.bitcast_convert_type(bits, product.dtype)


# (a derivative through the bitcasts would be zero: the second derivative of what it guards would lose the product)
_unfused.defjvp(lambda primals, tangents: (_unfused(primals[0]), tangents[0]))


def _sinc_value(x):
    # torch: sin(pi*x) / (pi*x) in x's dtype
    xp = x * jnp.asarray(jnp.pi, x.dtype)
    s = _rounded(jnp.sin, xp)
    return jnp.where(x == 0, jnp.ones_like(x), s / jnp.where(x == 0, jnp.ones_like(xp), xp))


def _sinc_slope(x):
    """torch's sinc_backward's factor (pi*x*cos(pi*x) - sin(pi*x)) / (pi*x*x), and its mask (where pi*x*x is 0)."""
    pi = jnp.asarray(jnp.pi, x.dtype)
    xp, sq = x * pi, x * x * pi
    return _formulas.div(_unfused(xp * _rounded(jnp.cos, xp)) - _rounded(jnp.sin, xp), sq), sq == 0


@_sinc.defjvp
def _sinc_jvp(primals, tangents):
    # torch's sinc_backward, so that its second derivative is NaN at 0 as torch's is
    slope, zero = _sinc_slope(primals[0])
    return _sinc_value(primals[0]), jnp.where(zero, jnp.zeros_like(slope), tangents[0] * slope)


sinc = _special("sinc", _sinc, "SincBackward0")


def _sinc_backward(grad, result, params, inputs):
    # torch's sinc_backward in its own terms (a create_graph history has its nodes: the mask outside the product)
    slope, zero = _sinc_slope(jnp.asarray(inputs[0], result.dtype))
    out = grad * slope
    return jnp.where(zero, jnp.zeros_like(out), out)


R.OPS["sinc"].result_grad = _sinc_backward
erfinv = _special("erfinv", jss.erfinv, "ErfinvBackward0")
# torch's special cases (lgamma(1) = 0 in float32, digamma(0) = -inf): special_ops' definitions
lgamma = _special("lgamma", _special_ops._lgamma_formula, "LgammaBackward0")
digamma = _special("digamma", _special_ops._digamma_formula, "DigammaBackward0")
# torch's formulas in its terms (self.erfinv() recomputed is the result): a create_graph history has its nodes
R.OPS["erfinv"].result_grad = lambda g, y, p, x: 0.5 * math.sqrt(math.pi) * jnp.exp(y**2) * g
R.OPS["lgamma"].result_grad = lambda g, y, p, x: g * _special_ops.digamma_call(x[0])
R.OPS["digamma"].result_grad = lambda g, y, p, x: g * _special_ops.trigamma_call(x[0])


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _logit(x, eps):
    if eps is not None:
        x = jnp.clip(x, jnp.asarray(eps, x.dtype), jnp.asarray(1 - eps, x.dtype))
    return jnp.log(x / (1 - x))


@_logit.defjvp
def _logit_jvp(eps, primals, tangents):
    # torch's infinitely_differentiable_logit_backward, grad / (x * (1 - x)), so second derivatives round as
    # torch's do. Outside the domain the gradient is NaN (0 with eps); the mask sits in the divisor, where the
    # where-transpose keeps it from leaking into the gradient inside the domain.
    (x,), (t,) = primals, tangents
    lo, hi, off = (0, 1, jnp.nan) if eps is None else (eps, 1 - eps, jnp.inf)
    inside = (x >= jnp.asarray(lo, x.dtype)) & (x <= jnp.asarray(hi, x.dtype))
    return _logit(x, eps), _true_divide(t, jnp.where(inside, x * (1 - x), jnp.asarray(off, x.dtype)))


@op(promote=FLOAT, grad_name="LogitBackward0", saves=((0,),), inplace=True)
def logit(input, eps=None):
    return _logit(input, eps)


def _logit_backward(grad, result, params, inputs):
    # torch's infinitely_differentiable_logit_backward in its own terms: a create_graph history has its nodes
    (x,), eps = inputs, params.get("eps")
    lo, hi, off = (0, 1, jnp.nan) if eps is None else (eps, 1 - eps, 0)
    inside = (x >= jnp.asarray(lo, x.dtype)) & (x <= jnp.asarray(hi, x.dtype))
    return jnp.where(inside, _true_divide(grad, x * (1 - x)), jnp.asarray(off, x.dtype))


R.OPS["logit"].result_grad = _logit_backward
