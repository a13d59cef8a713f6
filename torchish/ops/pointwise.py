"""Elementwise ops. Each is a pure jax function; gradients come from JAX.

Where torch's derivative convention at a kink differs from JAX's default, the pure function is
written so that JAX's derivative lands on torch's subgradient (relu'(0) = 0, clamp at the bounds).
"""

from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp

from . import _formulas as F
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
    # (torch's Python binding wraps a Number divisor into a Tensor: DivBackward3 is only reached from C++)
    return "DivBackward2" if params.get("rounding_mode") is not None else "DivBackward0"


def _div_promote(compute, params):
    return compute


_true_divide = F.torch_div


@op(n_tensors=2, promote=FLOAT, grad_name=_div_name, inplace=True, saves=((1,), (0, 1)), check=_broadcast_check)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _true_divide(input, other)
    if rounding_mode == "trunc":
        return jnp.trunc(_true_divide(input, other))
    return jnp.floor_divide(input, other)


def _rounded_remainder(rem, rounding):
    """fmod (trunc) / remainder (floor) with torch's formulas: grad for self, -grad * self.div(other,
    rounding_mode=...) for other, the division exact (XLA would multiply by a broadcast divisor's reciprocal,
    and floor(0.999...) is not floor(1))."""

    @jax.custom_jvp
    def f(a, b):
        return rem(a, b)

    @f.defjvp
    def f_jvp(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        out = f(a, b)
        t = jnp.broadcast_to(ta, out.shape) if jnp.issubdtype(a.dtype, jnp.inexact) else jnp.zeros_like(out)
        if jnp.issubdtype(b.dtype, jnp.inexact):
            t = t - tb * rounding(a, b)
        return out, t

    return f


# (torch's floor division is its div_floor, as JAX's: from fmod, so 1.0 // 0.1 is 9, where floor(1.0 / 0.1) is 10)
_fmod = _rounded_remainder(jnp.fmod, lambda a, b: jnp.trunc(_true_divide(a, b)))
_remainder = _rounded_remainder(jnp.remainder, jnp.floor_divide)


@op(
    n_tensors=2, promote=BINARY, grad_name="PowBackward1", saves=((0, 1), (0, -1)), method=False, check=_broadcast_check
)
def _pow_tensor(input, exponent):
    return jnp.power(input, exponent)


def _pow_tensor_backward(grad, result, params, inputs):
    # torch's pow_backward_self (0 where the exponent is 0) and pow_backward_exponent (grad * result * log(self),
    # 0 where self is 0 and the exponent >= 0), each summed to its input's shape by the engine
    base, exponent = inputs
    zero = jnp.zeros((), grad.dtype)
    g_base = jnp.where(exponent == 0, zero, grad * (exponent * base ** (exponent - 1)))
    g_exponent = grad * jnp.where((base == 0) & (exponent >= 0), zero, result * jnp.log(base.astype(result.dtype)))
    return F.sum_to(g_base, jnp.shape(base)), F.sum_to(g_exponent, jnp.shape(exponent))


R.OPS["_pow_tensor"].result_grad = _pow_tensor_backward


@op(n_tensors=1, promote=SAME, grad_name="PowBackward0", saves=((0,),), method=False)
def _pow_scalar(input, exponent):
    return F.torch_pow(input, exponent)


def _pow_scalar_backward(grad, result, params, inputs):
    # torch's pow_backward, self.pow(exponent - 1) included (JAX's rule skips it for a square)
    e = params["exponent"]
    if e == 0:
        return jnp.zeros_like(grad)
    return grad * (e * F.power(inputs[0], e - 1))


R.OPS["_pow_scalar"].result_grad = _pow_scalar_backward


@op(n_tensors=2, promote=BINARY, grad_name="PowBackward2", saves=((), (1, -1)), method=False)
def _pow_base_scalar(self, exponent, zero_base=False):
    return jnp.power(self, exponent)


def _pow_backward_exponent(grad, result, params, inputs):
    # torch's formula: grad * (result * log(base)), the log taken in double; for a zero base (a branch in torch's
    # C++, so a param here) 0 where exponent >= 0
    base, exponent = inputs
    scaled = result * jnp.log(jnp.asarray(base, jnp.float64)).astype(result.dtype)
    if params["zero_base"]:
        scaled = jnp.where(exponent >= 0, jnp.zeros((), scaled.dtype), scaled)
    return grad * scaled


R.OPS["_pow_base_scalar"].result_grad = _pow_backward_exponent


_NUMBER = (bool, int, float, complex)  # (what torch's parser takes as a Number)


def pow(input, exponent, *, out=None, _target=None):
    """torch.pow: Tensor ** Tensor, Tensor ** Scalar, Scalar ** Tensor."""
    if isinstance(exponent, R._Tensor):
        if not isinstance(input, R._Tensor):
            return _pow_base_scalar(input, exponent, zero_base=input == 0, out=out)
        return _pow_tensor(input, exponent, out=out, _target=_target)
    if isinstance(input, R._Tensor) and isinstance(exponent, _NUMBER):
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


def _neg_check(args, params):
    if args[0].dtype is R.D.bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use "
            "the `~` or `logical_not()` operator instead."
        )


@op(grad_name="NegBackward0", inplace=True, check=_neg_check)
def neg(input):
    return -input


# ------------------------------------------------------------------------- unary math


_LN2 = math.log(2.0)  # (torch's M_LN2, cast to the gradient's dtype as its Scalar operand is)
_LN10 = math.log(10.0)
_M_2_SQRTPI = 2.0 / math.sqrt(math.pi)


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
rsqrt = _unary("rsqrt", F.torch_rsqrt, "RsqrtBackward0", saves=((-1,),))


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
exp2 = _unary("exp2", jnp.exp2, "Exp2Backward0", saves=((-1,),))
asin = _unary("asin", jnp.arcsin, "AsinBackward0")
acos = _unary("acos", jnp.arccos, "AcosBackward0")
atan = _unary("atan", jnp.arctan, "AtanBackward0")
sinh = _unary("sinh", jnp.sinh, "SinhBackward0")
cosh = _unary("cosh", jnp.cosh, "CoshBackward0")
reciprocal = _unary("reciprocal", lambda x: 1 / x, "ReciprocalBackward0", saves=((-1,),))
# torch's formulas of the ops that save their result, in its terms (their backward reads the saved result)
R.OPS["exp"].result_grad = lambda g, y, p, x: g * y


@jax.jit
def _tanh_backward(grad, result):  # (one named call: a create_graph result is named TanhBackwardBackward0)
    return grad * (1 - result * result)


@jax.jit
def _sigmoid_backward(grad, result):
    return grad * (1 - result) * result


@jax.jit
def _threshold_backward(grad, result):
    return jnp.where(result <= 0, jnp.zeros((), grad.dtype), grad)


R.OPS["tanh"].result_grad = lambda g, y, p, x: _tanh_backward(g, y)
R.OPS["sigmoid"].result_grad = lambda g, y, p, x: _sigmoid_backward(g, y)
R.OPS["sqrt"].result_grad = lambda g, y, p, x: F.div(g, 2 * y)
R.OPS["relu"].result_grad = lambda g, y, p, x: _threshold_backward(g, y)
R.OPS["expm1"].result_grad = lambda g, y, p, x: g * (y + 1)
R.OPS["exp2"].result_grad = lambda g, y, p, x: g * y * _LN2
R.OPS["reciprocal"].result_grad = lambda g, y, p, x: -g * (y * y)
R.OPS["tan"].result_grad = lambda g, y, p, x: g * (1 + y**2)
R.OPS["rsqrt"].result_grad = lambda g, y, p, x: -0.5 * g * y**3
# (those of ops that save their input, where JAX's derivative rule is another composition: a create_graph history
# then has torch's nodes, and the first derivative torch's rounding)
R.OPS["cos"].result_grad = lambda g, y, p, x: g * -jnp.sin(x[0])
R.OPS["asin"].result_grad = lambda g, y, p, x: g * F.rsqrt(-x[0] * x[0] + 1)
R.OPS["acos"].result_grad = lambda g, y, p, x: g * -F.rsqrt(-x[0] * x[0] + 1)
R.OPS["atan"].result_grad = lambda g, y, p, x: F.div(g, x[0] * x[0] + 1)
R.OPS["log2"].result_grad = lambda g, y, p, x: F.div(g, x[0] * _LN2)
R.OPS["log10"].result_grad = lambda g, y, p, x: F.div(g, x[0] * _LN10)
# (torch divides: its second derivative -grad * ((self / other) / other) stays finite where other ** 2 underflows)
R.OPS["log"].result_grad = lambda g, y, p, x: F.div(g, x[0])
erf = _unary("erf", jax.scipy.special.erf, "ErfBackward0")
R.OPS["erf"].result_grad = lambda g, y, p, x: _M_2_SQRTPI * jnp.exp(-(x[0] ** 2)) * g
sign = _unary("sign", jnp.sign, "SignBackward0", saves=(), promote=SAME)
# (sgn_backward reads self and the result, though for real inputs its gradient is 0)
sgn = _unary(
    "sgn", lambda x: x if x.dtype == jnp.bool_ else jnp.sign(x), "SgnBackward0", saves=((0, -1),), promote=SAME
)
# torch multiplies by the constant rounded to the input's dtype (ints and bools become the default float)
deg2rad = _unary("deg2rad", lambda x: x * jnp.asarray(math.pi / 180, x.dtype), "Deg2RadBackward0", saves=())
rad2deg = _unary("rad2deg", lambda x: x * jnp.asarray(180 / math.pi, x.dtype), "Rad2DegBackward0", saves=())
floor = _unary("floor", jnp.floor, "FloorBackward0", saves=(), promote=SAME)
ceil = _unary("ceil", jnp.ceil, "CeilBackward0", saves=(), promote=SAME)
_round = _unary("round", jnp.round, "RoundBackward0", saves=(), promote=SAME)


def round(input, *, decimals=None, out=None, _target=None):
    """torch.round: to the nearest even integer, or with `decimals` (even 0) RoundBackward1's scaled form."""
    if decimals is None:
        return _round(input, out=out, _target=_target)
    from .special_ops import _round_decimals_op

    return _round_decimals_op(input, decimals, out=out, _target=_target)


trunc = _unary("trunc", jnp.trunc, "TruncBackward0", saves=(), promote=SAME)
frac = _unary("frac", lambda x: x - jnp.trunc(x), "FracBackward0", saves=(), promote=SAME)


_FLOAT_POWER_USAGE = (
    "float_power() received an invalid combination of arguments - got ({}), but expected one of:\n"
    " * (Tensor input, Tensor exponent, *, Tensor out = None)\n"
    " * (Number self, Tensor exponent, *, Tensor out = None)\n"
    " * (Tensor input, Number exponent, *, Tensor out = None)\n"
)


def _float_power_dtype(base, exponent):
    is_complex = any(
        a.dtype.is_complex if isinstance(a, R._Tensor) else isinstance(a, complex) for a in (base, exponent)
    )
    return R.D.complex128 if is_complex else R.D.float64


def _in_double(a, dtype):
    return a.to(dtype) if isinstance(a, R._Tensor) else complex(a) if isinstance(a, complex) else float(a)


def float_power(input, exponent, *, out=None):
    """torch.float_power: pow of the operands cast to double (complex double if either is complex), as ATen
    composes it (its graph: PowBackward* over ToCopyBackward0)."""
    operands = (input, exponent)
    if not any(isinstance(a, R._Tensor) for a in operands) or not all(
        isinstance(a, (R._Tensor, *_NUMBER)) for a in operands
    ):
        raise TypeError(
            _FLOAT_POWER_USAGE.format(
                ", ".join("Tensor" if isinstance(a, R._Tensor) else type(a).__name__ for a in operands)
            )
        )
    dtype = _float_power_dtype(input, exponent)
    if out is not None and out.dtype is not dtype:  # (checked first: the pow's out= would cast)
        raise RuntimeError(
            f"the output given to float_power has dtype {R._type_word(out.dtype)} but the operation's result requires "
            f"dtype {R._type_word(dtype)}"
        )
    return pow(_in_double(input, dtype), _in_double(exponent, dtype), out=out)


def _float_power_method(self, exponent):
    if not isinstance(exponent, (R._Tensor, *_NUMBER)):
        word = type(exponent).__name__
        raise TypeError(
            f"float_power() received an invalid combination of arguments - got ({word}), but expected one of:\n"
            f" * (Tensor exponent)\n      didn't match because some of the arguments have invalid types: (!{word}!)\n"
            f" * (Number exponent)\n      didn't match because some of the arguments have invalid types: (!{word}!)\n"
        )
    return float_power(self, exponent)


def _float_power_(self, exponent):
    """Tensor.float_power_: only a base already of the result's dtype (it is written in place)."""
    dtype = _float_power_dtype(self, exponent)
    if self.dtype != dtype:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {R._type_word(self.dtype)} but the operation's result "
            f"requires dtype {R._type_word(dtype)}"
        )
    return self.pow_(_in_double(exponent, dtype))


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


@jax.custom_jvp
def _clamped(input, min, max):
    """torch's clamp: min(max(x, min), max), NaN wherever an operand is NaN."""
    value = input
    if min is not None:
        value = jnp.maximum(value, min)
    if max is not None:
        value = jnp.minimum(value, max)
    return value


@_clamped.defjvp
def _clamped_jvp(primals, tangents):
    # torch's formulas: the gradient goes to x where min <= x <= max, to min where x < min < max, to max where
    # x > max or max < min (even where the value is a NaN that came from elsewhere)
    x, lo, hi = primals
    out = _clamped(x, lo, hi)
    if hi is None:
        masks = (x >= lo, x < lo, None)
    elif lo is None:
        masks = (x <= hi, None, x > hi)
    else:
        masks = ((x >= lo) & (x <= hi), (x < lo) & (lo < hi), (x > hi) | (hi < lo))
    t_out = jnp.zeros(out.shape, out.dtype)
    for mask, t in zip(masks, tangents):
        if mask is not None and t is not None and t.dtype != jax.dtypes.float0:
            t_out = t_out + jnp.where(mask, t, jnp.zeros((), t.dtype)).astype(out.dtype)
    return out, t_out


def _overload(tensor_name, scalar_name):
    """torch names the node of clamp's Tensor overload and of its Number overload apart."""

    def name(params, args):
        return tensor_name if any(isinstance(a, R._Tensor) for a in args[1:]) else scalar_name

    return name


_ALL3 = ((0, 1, 2),) * 3


@op(
    "clamp",
    n_tensors=3,
    promote=BINARY,
    grad_name=_overload("ClampBackward0", "ClampBackward1"),
    saves=_ALL3,
    method=False,
    check=_broadcast_check,
)
def _clamp(input, min, max):
    return _clamped(input, min, max)


def _one_bound(name, tensor_name, scalar_name, fn):
    kw = dict(promote=BINARY, saves=_ALL3[:2], method=False, check=_broadcast_check)
    return op(name, n_tensors=2, grad_name=_overload(tensor_name, scalar_name), **kw)(fn)


_clamp_min = _one_bound(
    "clamp_min", "ClampMinBackward1", "ClampMinBackward0", lambda input, min: _clamped(input, min, None)
)
_clamp_max = _one_bound(
    "clamp_max", "ClampMaxBackward1", "ClampMaxBackward0", lambda input, max: _clamped(input, None, max)
)


_BOUNDS = {"clamp": ("min", "max"), "clamp_min": ("min",), "clamp_max": ("max",)}


def _bound_kind(v):
    if isinstance(v, R._Tensor):
        return "Tensor"
    return "Number" if isinstance(v, (int, float, complex)) else None


def _clamp_signature_error(name, args, kwargs, method):
    """The TypeError of torch's Python argument parser when the bounds fit neither overload."""
    params = _BOUNDS[name.rstrip("_")]
    optional = len(params) == 2  # (its describer matches no argument against clamp's optional bounds)
    word = lambda v: "Tensor" if isinstance(v, R._Tensor) else type(v).__name__  # noqa: E731
    given = [word(a) for a in args]
    named = [f"{k}={word(v)}" for k, v in reversed(kwargs.items())]
    got = ", ".join(given + named) if given else "".join(k + ", " for k in named)
    lines = [f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:"]
    for kind in ("Tensor", "Number"):
        bounds = ", ".join(f"{kind} {p}" + (" = None" if optional else "") for p in params)
        lines.append(f" * ({bounds})" if method else f" * (Tensor input, {bounds}, *, Tensor out = None)")
        if method and len(args) + len(kwargs) == len(params):
            if optional and kwargs:
                lines.append(
                    f"      didn't match because some of the keywords were incorrect: {', '.join(reversed(kwargs))}"
                )
            else:
                bad = [f"!{g}!" for g in given] + [f"!{k}!, " for k in named]
                lines.append(f"      didn't match because some of the arguments have invalid types: ({', '.join(bad)})")
    return TypeError("\n".join(lines) + "\n")


def _clamp_call(name, input, args, kwargs, *, method, out=None, target=None):
    """clamp, clamp_min and clamp_max: torch's Tensor-bounds and Number-bounds overloads, one op each."""
    shown = name + ("_" if target is not None else "")
    params = _BOUNDS[name]
    bounds = dict(zip(params, args))
    fits = len(args) <= len(params) and set(kwargs) <= set(params) - set(bounds)
    bounds.update(kwargs)
    values = [bounds.get(p) for p in params]
    kinds = {_bound_kind(v) for v in values if v is not None or name != "clamp"}
    if kinds == {"Tensor", "Number"}:  # the parser takes a 0-dim tensor that needs no grad for a Number
        values = [v.item() if isinstance(v, R._Tensor) and not v.dim() and not v.requires_grad else v for v in values]
        kinds = {_bound_kind(v) for v in values if v is not None}
    if not fits or None in kinds or len(kinds) > 1:
        if not method:  # (the function form's parser sees the input, the bounds given and out)
            args = (input, *args[: max(i for i, v in enumerate((1, *args)) if v is not None)])
            kwargs = {} if out is None else {"out": out}
        raise _clamp_signature_error(shown, args, kwargs, method)
    if not kinds:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype.is_complex:
        raise NotImplementedError("clamp is not supported for complex types")
    if kinds == {"Number"}:
        _check_number_bounds(name, input, values, target)
    elif any(v is not None and v.dtype.is_complex for v in values):
        result = functools.reduce(R.D.promote_types, [v.dtype for v in (input, *values) if v is not None])
        kernel = {"clamp": "clamp", "clamp_min": "maximum", "clamp_max": "minimum"}[_bounds_kernel(name, values)]
        raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{R._type_word(result)}'")
    fn = {"clamp": _clamp, "clamp_min": _clamp_min, "clamp_max": _clamp_max}[name]
    return fn(input, *values, out=out, _target=target)


def _bounds_kernel(name, values) -> str:
    """The kernel torch runs for the bounds given: clamp (both), clamp_min or clamp_max (one)."""
    if name == "clamp" and all(v is not None for v in values):
        return "clamp"
    return "clamp_max" if name == "clamp_max" or values[0] is None else "clamp_min"


def _check_number_bounds(name, input, values, target):
    """What torch's Number-bounds kernels check: the bounds fit the result dtype, an integer tensor written in
    place takes no float bound (worded with C++'s type names), and no kernel exists for bool."""
    from .linalg import _C_NAMES

    given = [v for v in values if v is not None]
    d = input.dtype
    result = R.D._result_type([d], [], given)
    if target is not None and R.D._category(result) > R.D._category(d):
        raise RuntimeError(
            f"result type {R._type_word(result)} can't be cast to the desired output type {_C_NAMES[d._name]}"
        )
    if result._name == "bool":
        raise NotImplementedError(f"\"{_bounds_kernel(name, values)}_scalar_cpu\" not implemented for 'Bool'")
    for v in given:
        if isinstance(v, int) and not -(2**63) <= v < 2**63:
            raise OverflowError("int too big to convert")
        if not _fits(v, result):
            c = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int64": "int64_t"}.get(result._name)
            raise RuntimeError(f"value cannot be converted to type {c or _C_NAMES[result._name]} without overflow")


def _fits(v, dtype) -> bool:
    """c10's overflow check of a Scalar converted to dtype (unsigned types take negatives, which wrap)."""
    if dtype.is_floating_point:
        return not (math.isfinite(v) and math.fabs(v) > float(jnp.finfo(R.D._jnp_dtype(dtype)).max))
    info = jnp.iinfo(R.D._jnp_dtype(dtype))
    low = -int(info.max) if info.min == 0 else int(info.min)
    return low <= v <= int(info.max)


def clamp(input, min=None, max=None, *, out=None):
    return _clamp_call("clamp", input, (min, max), {}, method=False, out=out)


def clamp_min(input, min, *, out=None):
    return _clamp_call("clamp_min", input, (min,), {}, method=False, out=out)


def clamp_max(input, max, *, out=None):
    return _clamp_call("clamp_max", input, (max,), {}, method=False, out=out)


clip = clamp


def _clamp_method(name, inplace):
    def method(self, *args, **kwargs):
        return _clamp_call(name, self, args, kwargs, method=True, target=self if inplace else None)

    method.__name__ = name + "_" * inplace
    return method


_warned_uint8_condition = []


def _where_check(args, params) -> None:
    """torch checks where's condition dtype before the broadcast."""
    _where_condition_check(args[0])
    _broadcast_check(args, params)


def _where_condition_check(condition) -> None:
    if not isinstance(condition, R._Tensor) or condition.dtype is R.D.bool:
        return
    if condition.dtype is R.D.uint8:
        if not _warned_uint8_condition:  # a TORCH_WARN_ONCE
            _warned_uint8_condition.append(True)
            warnings.warn(
                "where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
                "version of PyTorch. Use a boolean condition instead. (Triggered internally at "
                "/__w/pytorch/pytorch/aten/src/ATen/native/TensorCompare.cpp:621.)",
                UserWarning,
                stacklevel=R._user_stacklevel(),
            )
        return
    raise RuntimeError(
        f"where expected condition to be a boolean tensor, but got a tensor with dtype {R._type_word(condition.dtype)}"
    )


@op(
    n_tensors=3,
    promote=BINARY,
    grad_name="WhereBackward0",
    saves=((0,), (0,), ()),
    method=False,
    promoted=(1, 2),
    check=_where_check,
)
def _where(condition, input, other):
    return jnp.where(condition, input, other)


_WHERE_OVERLOADS = (
    "Tensor condition", "Tensor condition, Tensor input, Tensor other, *, Tensor out = None",
    "Tensor condition, Number self, Tensor other", "Tensor condition, Tensor input, Number other",
    "Tensor condition, Number self, Number other",
)  # fmt: skip


def where(condition, input=None, other=None, *, out=None):
    if out is not None:  # (only the overload of two tensors takes out=)
        from ._argparse import check_overloads

        given = (condition, input, other)[: 3 if other is not None else 2 if input is not None else 1]
        check_overloads("where", _WHERE_OVERLOADS, given, {"out": out})
    if input is None and other is None:
        from .reduction import nonzero

        return nonzero(condition, as_tuple=True)
    return _where(condition, input, other, out=out)


for _d in R.OPS.values():
    if _d.fn.__module__ == __name__:
        _d.pointwise = True
R.OPS["_pow_base_scalar"].pointwise = False  # (torch's pow(Scalar, Tensor) result is contiguous)
