"""Elementwise ops. Each is a pure jax function; gradients come from JAX.

Where torch's derivative convention at a kink differs from JAX's default, the pure function is
written so that JAX's derivative lands on torch's subgradient (relu'(0) = 0, clamp at the bounds).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _registry as R
from ._registry import BINARY, COMPARE, FLOAT, SAME, op


def _broadcast_check(args, params):
    shapes = [a._value.shape for a in args if isinstance(a, R._Tensor)]
    if len(shapes) < 2 or all(s == shapes[0] for s in shapes):
        return
    _broadcast_shapes(shapes)


def _broadcast_shapes(shapes):
    """Fold shapes left to right like TensorIterator; each step scans from the last dim, as torch's
    infer_size does, so the error names the rightmost mismatch (by its index in the broadcast shape)."""
    a = tuple(shapes[0])
    for b in shapes[1:]:
        n = max(len(a), len(b))
        pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + tuple(b)
        for i in range(n - 1, -1, -1):
            x, y = pa[i], pb[i]
            if x != y and x != 1 and y != 1:
                raise RuntimeError(
                    f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
                )
        a = tuple([y if x == 1 else x for x, y in zip(pa, pb)])
    return a


def _tensors_only(*names):
    """torch's Tensor-only overloads reject Python numbers in these argument positions."""

    def check(args, params):
        for pos, (a, name) in enumerate(zip(args, names)):
            if name and not isinstance(a, R._Tensor):
                op = check.op_name
                raise TypeError(
                    f"{op}(): argument '{name}' (position {pos + 1}) must be Tensor, not {type(a).__name__}"
                )
        _broadcast_check(args, params)

    return check


def _no_bool(args):
    flags = [isinstance(a, bool) or isinstance(a, R._Tensor) and a.dtype._name == "bool" for a in args[:2]]
    if all(flags):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` "
            "operator instead."
        )
    if any(flags):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to invert a mask, "
            "use the `~` or `logical_not()` operator instead."
        )


def _no_bool_sub(args, params):
    _no_bool(args)
    _broadcast_check(args, params)


def _rsub_check(args, params):
    _no_bool(args)
    shapes = [a._value.shape for a in args if isinstance(a, R._Tensor)]
    if len(shapes) == 2 and shapes[0] != shapes[1]:
        _broadcast_shapes(shapes[::-1])


def _mixed_name(tensor_name, scalar_name):
    """torch names a few backward nodes by whether the second operand was a Python scalar."""

    def name(params, args):
        return tensor_name if isinstance(args[1], R._Tensor) else scalar_name

    return name


# ------------------------------------------------------------------------- arithmetic


@op(n_tensors=2, promote=BINARY, grad_name="AddBackward0", inplace=True, check=_broadcast_check)
def add(input, other, *, alpha=1):
    return input + other * alpha if alpha != 1 else input + other


@op(n_tensors=2, promote=BINARY, grad_name="SubBackward0", inplace=True, check=_no_bool_sub)
def sub(input, other, *, alpha=1):
    return input - other * alpha if alpha != 1 else input - other


@op(n_tensors=2, promote=BINARY, grad_name=_mixed_name("RsubBackward0", "RsubBackward1"), check=_rsub_check)
def rsub(input, other, *, alpha=1):
    return other - input * alpha if alpha != 1 else other - input


@op(n_tensors=2, promote=BINARY, grad_name="MulBackward0", inplace=True, saves=((1,), (0,)), check=_broadcast_check)
def mul(input, other):
    return input * other


def _div_name(params, args):
    if params.get("rounding_mode") is not None:
        return "DivBackward3" if not isinstance(args[1], R._Tensor) else "DivBackward2"
    return "DivBackward0"


def _div_promote(compute, params):
    return compute


@jax.custom_jvp
def _true_divide(a, b):
    # the barrier stops XLA from turning `x / s` into `x * (1 / s)`, which rounds differently from torch
    return a / jax.lax.optimization_barrier(b)


@_true_divide.defjvp
def _true_divide_jvp(primals, tangents):
    # torch's formulas: grad / other, and -grad * ((self / other) / other), which stays finite where
    # other**2 would underflow (JAX's quotient rule divides by other**2)
    (a, b), (ta, tb) = primals, tangents
    out = _true_divide(a, b)
    # (an integer operand's tangent is float0: it has no term)
    t_self = _true_divide(ta, b) if jnp.issubdtype(a.dtype, jnp.inexact) else None
    t_other = None
    if jnp.issubdtype(b.dtype, jnp.inexact):
        # (a barrier, or XLA folds (self / other) / other back into self / (other * other))
        t_other = tb * _true_divide(jax.lax.optimization_barrier(out), b)
    if t_other is None:
        return out, jnp.broadcast_to(t_self, out.shape)
    return out, jnp.broadcast_to(-t_other if t_self is None else t_self - t_other, out.shape)


@op(n_tensors=2, promote=FLOAT, grad_name=_div_name, inplace=True, saves=((1,), (0, 1)), check=_broadcast_check)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _true_divide(input, other)
    if rounding_mode == "trunc":
        return jnp.trunc(input / other)
    return jnp.floor_divide(input, other)


@op(
    n_tensors=2, promote=BINARY, grad_name="PowBackward1", saves=((0, 1), (0, -1)), method=False, check=_broadcast_check
)
def _pow_tensor(input, exponent):
    return jnp.power(input, exponent)


@op(n_tensors=1, promote=SAME, grad_name="PowBackward0", saves=((0,),), method=False)
def _pow_scalar(input, exponent):
    return jnp.power(input, exponent)


@op(n_tensors=2, promote=BINARY, grad_name="PowBackward2", saves=((), (1, -1)), method=False)
def _pow_base_scalar(self, exponent):
    return jnp.power(self, exponent)


def pow(input, exponent, *, out=None, _target=None):
    """torch.pow: Tensor ** Tensor, Tensor ** Scalar, Scalar ** Tensor."""
    if isinstance(exponent, R._Tensor):
        if not isinstance(input, R._Tensor):
            return _pow_base_scalar(input, exponent, out=out)
        return _pow_tensor(input, exponent, out=out, _target=_target)
    if isinstance(input, R._Tensor) and isinstance(exponent, (int, float, bool, complex)):
        # an integer tensor to a float power promotes like a binary op
        d = input.dtype
        if not (d.is_floating_point or d.is_complex) and isinstance(exponent, float):
            from .basic import _to_dtype

            input = _to_dtype(input, R.D.get_default_dtype())
        if (
            isinstance(exponent, int)
            and not isinstance(exponent, bool)
            and exponent < 0
            and not (d.is_floating_point or d.is_complex)
        ):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return _pow_scalar(input, exponent, out=out, _target=_target)
    raise TypeError(
        f"pow() received an invalid combination of arguments - got ({type(input).__name__}, {type(exponent).__name__})"
    )


@op(grad_name="NegBackward0", inplace=True)
def neg(input):
    return -input


# ------------------------------------------------------------------------- unary math


def _unary(name, fn, grad, saves=((0,),), promote=FLOAT):
    def pure(input):
        return fn(input)

    pure.__name__ = name
    return op(name, promote=promote, grad_name=grad, saves=saves, inplace=True)(pure)


exp = _unary("exp", jnp.exp, "ExpBackward0", saves=((-1,),))
log = _unary("log", jnp.log, "LogBackward0")
sin = _unary("sin", jnp.sin, "SinBackward0")
cos = _unary("cos", jnp.cos, "CosBackward0")
tan = _unary("tan", jnp.tan, "TanBackward0", saves=((-1,),))


@jax.custom_jvp
def _tanh(x):
    return jnp.tanh(x)


@jax.custom_jvp
def _sigmoid(x):
    return jax.nn.sigmoid(x)


# torch's tanh_backward / sigmoid_backward formulas, rounding included: near saturation 1 - y*y cancels, and
# JAX's factored (1 - y)(1 + y) drifts from torch by many ulps there
@_tanh.defjvp
def _tanh_jvp(primals, tangents):
    y = jnp.tanh(primals[0])
    return y, tangents[0] * (1 - y * y)


@_sigmoid.defjvp
def _sigmoid_jvp(primals, tangents):
    y = jax.nn.sigmoid(primals[0])
    return y, tangents[0] * y * (1 - y)  # transposed: (grad * (1 - y)) * y, torch's order


tanh = _unary("tanh", _tanh, "TanhBackward0", saves=((-1,),))
sigmoid = _unary("sigmoid", _sigmoid, "SigmoidBackward0", saves=((-1,),))
sqrt = _unary("sqrt", jnp.sqrt, "SqrtBackward0", saves=((-1,),))
rsqrt = _unary("rsqrt", jax.lax.rsqrt, "RsqrtBackward0", saves=((-1,),))


@jax.custom_jvp
def _abs(x):
    return jnp.abs(x)


# torch's subgradient of |x| at 0 is sgn(0) = 0; JAX's is 1
_abs.defjvp(lambda primals, tangents: (jnp.abs(primals[0]), jnp.sign(primals[0]) * tangents[0]))
abs = _unary("abs", _abs, "AbsBackward0", promote=SAME)
# written as "0 where x <= 0" so NaN passes through as in torch, and the derivative at 0 is torch's 0
relu = _unary(
    "relu", lambda x: jnp.where(x <= 0, jnp.zeros((), x.dtype), x), "ReluBackward0", saves=((-1,),), promote=SAME
)
R.OPS["relu"].grad_keeps_input = True
log2 = _unary("log2", jnp.log2, "Log2Backward0")
log10 = _unary("log10", jnp.log10, "Log10Backward0")
log1p = _unary("log1p", jnp.log1p, "Log1PBackward0")
expm1 = _unary("expm1", jnp.expm1, "Expm1Backward0", saves=((-1,),))
asin = _unary("asin", jnp.arcsin, "AsinBackward0")
acos = _unary("acos", jnp.arccos, "AcosBackward0")
atan = _unary("atan", jnp.arctan, "AtanBackward0")
sinh = _unary("sinh", jnp.sinh, "SinhBackward0")
cosh = _unary("cosh", jnp.cosh, "CoshBackward0")
reciprocal = _unary("reciprocal", lambda x: 1 / x, "ReciprocalBackward0", saves=((-1,),))
erf = _unary("erf", jax.scipy.special.erf, "ErfBackward0")
sign = _unary("sign", jnp.sign, "SignBackward0", saves=(), promote=SAME)
floor = _unary("floor", jnp.floor, "FloorBackward0", saves=(), promote=SAME)
ceil = _unary("ceil", jnp.ceil, "CeilBackward0", saves=(), promote=SAME)
round = _unary("round", jnp.round, "RoundBackward0", saves=(), promote=SAME)
trunc = _unary("trunc", jnp.trunc, "TruncBackward0", saves=(), promote=SAME)
frac = _unary("frac", lambda x: x - jnp.trunc(x), "FracBackward0", saves=(), promote=SAME)


def square(input, *, out=None):
    return pow(input, 2, out=out)


# ------------------------------------------------------------------------- comparisons and selection


def _compare(name, fn):
    def pure(input, other):
        return fn(input, other)

    pure.__name__ = name
    return op(name, n_tensors=2, promote=COMPARE, differentiable=False, inplace=False, check=_broadcast_check)(pure)


eq = _compare("eq", jnp.equal)
ne = _compare("ne", jnp.not_equal)
lt = _compare("lt", jnp.less)
le = _compare("le", jnp.less_equal)
gt = _compare("gt", jnp.greater)
ge = _compare("ge", jnp.greater_equal)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


@op(n_tensors=1, promote=SAME, differentiable=False)
def logical_not(input):
    return jnp.logical_not(input)


@op(
    n_tensors=2,
    promote=BINARY,
    grad_name="MaximumBackward0",
    saves=((0, 1), (0, 1)),
    check=_tensors_only(None, "other"),
)
def maximum(input, other):
    # torch splits the gradient evenly on ties, as JAX's max does
    return jnp.maximum(input, other)


@op(
    n_tensors=2,
    promote=BINARY,
    grad_name="MinimumBackward0",
    saves=((0, 1), (0, 1)),
    check=_tensors_only(None, "other"),
)
def minimum(input, other):
    return jnp.minimum(input, other)


@op(n_tensors=1, promote=SAME, grad_name="ClampBackward1", saves=((0,),), inplace=True)
def clamp(input, min=None, max=None):
    # torch passes the gradient only where min <= x <= max (bounds included: not at NaN), and NaN stays NaN
    inside = jnp.ones(input.shape, bool)
    out = input
    if min is not None:
        inside = inside & (input >= min)
        out = jnp.where(input < min, jnp.asarray(min, input.dtype), out)
    if max is not None:
        inside = inside & (input <= max)
        out = jnp.where(input > max, jnp.asarray(max, input.dtype), out)
    return jnp.where(inside, input, jax.lax.stop_gradient(out))


clip = clamp


@op(
    n_tensors=3,
    promote=BINARY,
    grad_name="WhereBackward0",
    saves=((0,), (0,), ()),
    method=False,
    promoted=(1, 2),
    check=_broadcast_check,
)
def _where(condition, input, other):
    return jnp.where(condition, input, other)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        from .reduction import nonzero

        return nonzero(condition, as_tuple=True)
    return _where(condition, input, other, out=out)


for _d in R.OPS.values():
    if _d.fn.__module__ == __name__:
        _d.pointwise = True
R.OPS["_pow_base_scalar"].pointwise = False  # (torch's pow(Scalar, Tensor) result is contiguous)
