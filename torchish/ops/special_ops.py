"""Elementwise ops of torch's special functions and the remaining pointwise ops: inverse hyperbolics, erfc and
erfcx, Bessel functions, gamma-family functions, fmax/fmin, nextafter, ldexp/frexp, gcd/lcm, shifts, floor_divide,
in-place comparisons. Each derivative is torch's formula (derivatives.yaml), written as a custom JVP; where torch
has none, the op either records no node (its result does not require grad) or raises torch's error when its
backward reaches that input."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .. import _dtype as D
from . import _formulas as F
from . import _out
from . import _registry as R
from ._registry import BINARY, FLOAT, SAME, op
from .pointwise import _broadcast_check, _mixed_name
from .reduction import return_type

__all__ = [
    "acosh", "asinh", "atanh", "erfc", "i0", "polygamma", "mvlgamma", "fmax", "fmin", "nextafter", "ldexp", "frexp",
    "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "floor_divide", "igamma", "igammac", "angle",
]  # fmt: skip

_SymbolicZero = jax.custom_derivatives.SymbolicZero


def _c(v, like):
    """A Python number as torch's formula uses it: a Scalar cast to the tensor's dtype."""
    return jnp.asarray(v, like.dtype)


def _zero(t) -> bool:
    return type(t) is _SymbolicZero


def _tangent(t, like):
    return jnp.zeros(like.shape, like.dtype) if _zero(t) else t


def _unary_formula(fn, factor):
    """fn with torch's derivative: grad * factor(x, result)."""
    f = jax.custom_jvp(fn)

    @f.defjvp
    def jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        y = f(x)
        return y, t * factor(x, y)

    return f


def _not_implemented(message, exc=NotImplementedError):
    def fail(*_):
        raise exc(message)

    return fail


def _binary_formula(fn, factor_self, factor_other):
    """fn(a, b) with torch's derivatives grad * factor(a, b, result) per operand (a function that raises where torch
    has none: raised only when that operand's gradient is asked for)."""
    f = jax.custom_jvp(fn)

    def jvp(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        y = f(a, b)
        out = jnp.zeros(y.shape, y.dtype)
        if not _zero(ta):
            out = out + ta * factor_self(a, b, y)
        if not _zero(tb):
            out = out + tb * factor_other(a, b, y)
        return y, out

    f.defjvp(jvp, symbolic_zeros=True)
    return f


def _unary(name, fn, grad, *, saves=((0,),), method=True, inplace=True, promote=FLOAT, differentiable=True):
    def pure(input):
        return fn(input)

    pure.__name__ = name
    return op(
        name,
        promote=promote,
        grad_name=grad,
        saves=saves,
        method=method,
        inplace=inplace,
        differentiable=differentiable,
    )(pure)


def _type_check(kernel, names=(None, "other"), *, integral=False, floating=False):
    """torch's checks, in its order: the parser's Tensor-only arguments, the broadcast, the kernel's dtypes."""

    def check(args, params):
        op_name = check.op_name
        for pos, (a, name) in enumerate(zip(args, names)):
            if name and not isinstance(a, R._Tensor):
                raise TypeError(
                    f"{op_name}(): argument '{name}' (position {pos + 1}) must be Tensor, not {type(a).__name__}"
                )
        _broadcast_check(args, params)
        d = _result(args)
        if (integral and (d.is_floating_point or d.is_complex or integral == "no bool" and d is D.bool)) or (
            floating and not d.is_floating_point
        ):
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{R._type_word(d)}'")

    return check


def _result(args):
    ts = [a for a in args if isinstance(a, R._Tensor)]
    return D._result_type(
        [t.dtype for t in ts if t.dim()],
        [t.dtype for t in ts if not t.dim()],
        [a for a in args if not isinstance(a, R._Tensor)],
    )


def _pointwise(*names):
    for n in names:
        R.OPS[n].pointwise = True


# ------------------------------------------------------------------------- inverse hyperbolics, erfc, Bessel


def _with_inplace(name, fn, grad):
    """An op whose in-place form torch defines apart (its node is ...Backward1, which raises): two table entries."""
    public = _unary(name, fn, grad + "0", inplace=False)
    # (whose backward torch has not implemented)
    no_grad = jax.custom_jvp(fn)
    no_grad.defjvp(_not_implemented(f"the derivative for 'inplace version of {name}' is not implemented."))
    inplace = _unary("_" + name + "_", no_grad, grad + "1", method=False, inplace=False)

    def method(self):
        return inplace(self, _target=self)

    method.__name__ = name + "_"
    setattr(R._Tensor, name + "_", method)
    return public


acosh = _with_inplace("acosh", _unary_formula(jnp.arccosh, lambda x, y: F.rsqrt(x * x - 1)), "AcoshBackward")
asinh = _with_inplace("asinh", _unary_formula(jnp.arcsinh, lambda x, y: F.rsqrt(x**2 + 1)), "AsinhBackward")
atanh = _with_inplace("atanh", _unary_formula(jnp.arctanh, lambda x, y: 1 / (1 - x * x)), "AtanhBackward")
_M_2_SQRTPI = 2.0 / math.sqrt(math.pi)
erfc = _unary("erfc", _unary_formula(jss.erfc, lambda x, y: _c(-_M_2_SQRTPI, x) * jnp.exp(-(x * x))), "ErfcBackward0")
_erfcx = _unary_formula(jss.erfcx, lambda x, y: 2.0 * x * y - _c(_M_2_SQRTPI, x))
# (torch's formulas in its own terms where its order differs from grad * factor: a create_graph history has
# torch's nodes)
R.OPS["atanh"].result_grad = lambda g, y, p, x: g * 1 / (1 - x[0] ** 2)
R.OPS["erfc"].result_grad = lambda g, y, p, x: -_M_2_SQRTPI * jnp.exp(-(x[0] ** 2)) * g
special_erfcx = _unary("special_erfcx", _erfcx, "SpecialErfcxBackward0", saves=((0, -1),), method=False, inplace=False)


def _not_tiny(fn):
    """torch's i1_backward / i1e_backward: fn of x (and the result) where |x| > eps, else 0.5; tiny x is replaced by
    eps before fn sees it, so its derivative stays finite there."""

    def factor(x, y):
        eps = _c(jnp.finfo(x.dtype).eps, x)
        big = jnp.abs(x) > eps
        return jnp.where(big, fn(jnp.where(big, x, eps), y), _c(0.5, x))

    return factor


# torch: i0(x) - result / x
_i1 = _unary_formula(jss.i1, _not_tiny(lambda x, y: jss.i0(x) - y * (1 / x)))
_i0 = _unary_formula(jss.i0, lambda x, y: jss.i1(x))
i0 = _unary("i0", _i0, "I0Backward0")
_i1_call = F.named_call("special_i1", _i1)
R.OPS["i0"].result_grad = lambda g, y, p, x: g * _i1_call(x[0])
_i1e = _unary_formula(jss.i1e, _not_tiny(lambda x, y: jss.i0e(x) - y * (jnp.sign(x) + 1 / x)))
_i0e = _unary_formula(jss.i0e, lambda x, y: jss.i1e(x) - jnp.sign(x) * y)
_SPECIAL = dict(saves=((0, -1),), method=False, inplace=False)
special_i0e = _unary("special_i0e", _i0e, "SpecialI0EBackward0", **_SPECIAL)
special_i1 = _unary("special_i1", _i1, "SpecialI1Backward0", **_SPECIAL)
special_i1e = _unary("special_i1e", _i1e, "SpecialI1EBackward0", **_SPECIAL)
_SQRT_2PI = math.sqrt(2 * math.pi)
special_ndtri = _unary(
    "special_ndtri",
    _unary_formula(jss.ndtri, lambda x, y: _c(_SQRT_2PI, x) * jnp.exp(y * y / 2)),
    "SpecialNdtriBackward0",
    saves=((-1,),),
    method=False,
    inplace=False,
)
special_log_ndtr = _unary(
    "special_log_ndtr",
    _unary_formula(lambda x: jss.log_ndtr(x), lambda x, y: jnp.exp(-(y + x * x / 2)) / _c(_SQRT_2PI, x)),
    "SpecialLogNdtrBackward0",
    **_SPECIAL,
)


def _entr_value(x):
    xlogx = -x * jnp.log(jnp.where(x > 0, x, jnp.ones_like(x)))
    out = jnp.where(x > 0, xlogx, jnp.where(x == 0, jnp.zeros_like(x), _c(-jnp.inf, x)))
    return jnp.where(jnp.isnan(x), x, out)


special_entr = _unary(
    "special_entr",
    _unary_formula(_entr_value, lambda x, y: -(1 + jnp.log(x))),
    "SpecialEntrBackward0",
    method=False,
    inplace=False,
)

# ------------------------------------------------------------------------- gamma family


def _in_double(fn, x):
    # float32 by way of float64: libm's lgammaf is correctly rounded at the integers (lgamma(1) = 0), JAX's float32
    # gammaln is not (4.8e-7 at 1)
    return fn(x.astype(jnp.float64)).astype(x.dtype) if x.dtype == jnp.float32 else fn(x)


def _lgamma(x):
    return _in_double(jss.gammaln, x)


def _digamma(x):
    # torch: -inf at +0, inf at -0 (JAX: NaN)
    return jnp.where(x == 0, jnp.copysign(_c(jnp.inf, x), -x), _in_double(jss.digamma, x))


def _trigamma(x):
    # torch's calc_trigamma, in x's dtype: a reflection below 1/2, six recurrence steps, the asymptotic series
    pi = _c(math.pi, x)
    small = x < 0.5
    sin_pi_x = jnp.sin(pi * x)
    result = jnp.where(small, -(pi * pi) / (sin_pi_x * sin_pi_x), jnp.zeros_like(x))
    x = jnp.where(small, 1 - x, x)
    for _ in range(6):
        result = result + 1 / (x * x)
        x = x + 1
    ixx = 1 / (x * x)
    result = result + (1 + 1 / (2 * x) + ixx * (_c(1 / 6, x) - ixx * (_c(1 / 30, x) - ixx * _c(1 / 42, x)))) / x
    return jnp.where(small, -result, result)


# torch.lgamma / torch.digamma (ops/misc.py) with torch's derivatives: digamma and trigamma, its special cases included
_digamma_formula = _unary_formula(_digamma, lambda x, y: _trigamma(x))
_lgamma_formula = _unary_formula(_lgamma, lambda x, y: _digamma_formula(x))
# (each a named call, so that a create_graph history has torch's node for it)
digamma_call = F.named_call("digamma", _digamma_formula)
trigamma_call = F.named_call("polygamma", _unary_formula(_trigamma, lambda x, y: _polygamma_value(x, 2)))


def _zeta_double(x, q):
    # torch's zeta accumulates in double (as JAX's Cephes port does in float64)
    # with its special cases first: inf at x == 1 and at q a non-positive integer, NaN for x < 1 or a non-positive
    # q with a fractional x (JAX gives NaN at q = 0 and at the negative integers for odd x)
    dt = jnp.result_type(x, q)
    x, q = jnp.asarray(x).astype(jnp.float64), jnp.asarray(q).astype(jnp.float64)
    inf, nan = jnp.asarray(jnp.inf, jnp.float64), jnp.asarray(jnp.nan, jnp.float64)
    pole = (q <= 0) & (q == jnp.floor(q))
    out = jnp.where(x == 1, inf, jnp.where(x < 1, nan, jnp.where(pole, inf, jss.zeta(x, q))))
    return jnp.where((x > 1) & (q <= 0) & ~pole & (x != jnp.floor(x)), nan, out).astype(dt)


def _polygamma_value(x, n):
    if n == 0:
        return _digamma(x)
    if n == 1:
        return _trigamma(x)
    # torch: (-1)^(n+1) * exp(lgamma(n + 1)) * zeta(n + 1, x)
    coef = jnp.exp(_lgamma(jnp.asarray(n + 1, x.dtype)))
    return _c(1 if n % 2 else -1, x) * coef * _zeta_double(jnp.asarray(n + 1, x.dtype), x)


def _polygamma_check(args, params):
    if params["n"] < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")


def _polygamma_fn(x, n):
    return _polygamma_value(x, n)


_polygamma = jax.custom_jvp(_polygamma_fn, nondiff_argnums=(1,))
_polygamma.defjvp(lambda n, p, t: (_polygamma(p[0], n), t[0] * _polygamma(p[0], n + 1)))


@op("polygamma", promote=FLOAT, grad_name="PolygammaBackward0", saves=((0,),), method=False, check=_polygamma_check)
def _polygamma_op(input, n):
    return _polygamma(input, n)


# (torch's polygamma_ is a function of its own, with its own node)
@op("_polygamma_", promote=FLOAT, grad_name="PolygammaBackward1", saves=((0,),), method=False, check=_polygamma_check)
def _polygamma_inplace(input, n):
    return _polygamma(input, n)


def polygamma(n, input, *, out=None):
    return _polygamma_op(input, n, out=out)


def _polygamma_method(self, n):
    return _polygamma_op(self, n)


def _polygamma_(self, n):
    return _polygamma_inplace(self, n, _target=self)


def _mvlgamma_terms(x, p):
    # torch: lgamma(x[..., None] + arange(-(p - 1) / 2, 1/2, 1/2)) summed over the last dim, plus p(p-1)/4 log(pi)
    offsets = jnp.arange(-p * 0.5 + 0.5, 0.5, 0.5, dtype=x.dtype)
    return x[..., None] + offsets


def _mvlgamma_fn(x, p):
    return jnp.sum(_lgamma(_mvlgamma_terms(x, p)), -1) + _c(p * (p - 1) * math.log(math.pi) / 4, x)


_mvlgamma = jax.custom_jvp(_mvlgamma_fn, nondiff_argnums=(1,))
_mvlgamma.defjvp(lambda p, x, t: (_mvlgamma(x[0], p), t[0] * jnp.sum(_digamma(_mvlgamma_terms(x[0], p)), -1)))


def _mvlgamma_check(args, params):
    if params["p"] < 1:
        raise RuntimeError("p has to be greater than or equal to 1")


@op(promote=FLOAT, grad_name="MvlgammaBackward0", saves=((0,),), inplace=True, check=_mvlgamma_check)
def mvlgamma(input, p):
    return _mvlgamma(input, p)


def _igamma_factor(sign):
    # torch: grad * exp((self - 1) * log(other) - other - lgamma(self))
    return lambda a, x, y: sign * jnp.exp((a - 1) * jnp.log(x) - x - _lgamma(a))


_igamma = _binary_formula(jss.gammainc, _not_implemented("the derivative for 'igamma: input' is not implemented."),
                          _igamma_factor(1))  # fmt: skip
_igammac = _binary_formula(jss.gammaincc, _not_implemented("the derivative for 'igammac: input' is not implemented."),
                           _igamma_factor(-1))  # fmt: skip
_GAMMA_KW = dict(n_tensors=2, promote=FLOAT, saves=((), (0, 1)))


@op(grad_name="IgammaBackward0", check=_type_check("igamma_cpu", floating=True), method=False, **_GAMMA_KW)
def igamma(input, other):
    return _igamma(input, other)


@op(grad_name="IgammacBackward0", check=_type_check("igammac_cpu", floating=True), method=False, **_GAMMA_KW)
def igammac(input, other):
    return _igammac(input, other)


def _scalar_overloads(base):
    """torch's Tensor/Tensor, Number/Tensor and Tensor/Number overloads: Backward0, 1, 2."""

    def name(params, args):
        return base + (
            "0" if all(isinstance(a, R._Tensor) for a in args) else "1" if isinstance(args[1], R._Tensor) else "2"
        )

    return name


def _zeta_value(x, q):
    return _zeta_double(x, q)


_zeta = _binary_formula(
    _zeta_value,
    _not_implemented("the derivative for 'zeta' is not implemented."),
    # (torch's formula is zeta again, so a second derivative is its formula too: JAX's own derivative of zeta
    # would multiply a zero cotangent by zeta at a pole, NaN where torch's gives inf)
    lambda x, q, y: -x * _zeta(x + 1.0, q),
)


@op(n_tensors=2, promote=FLOAT, grad_name=_scalar_overloads("SpecialZetaBackward"), saves=((), (0, 1)), method=False,
    check=_broadcast_check)  # fmt: skip
def special_zeta(input, other):
    return _zeta(input, other)


def _xlog1py_value(x, y):
    return jnp.where(jnp.isnan(y), y, jnp.where(x == 0, jnp.zeros_like(x), x * jnp.log1p(y)))


_xlog1py = _binary_formula(
    _xlog1py_value,
    # torch: xlog1py(grad, other), 0 where self == 0 and other <= -1
    lambda x, y, r: jnp.where((x == 0) & (y <= -1), jnp.zeros_like(r), jnp.log1p(y) + jnp.zeros_like(r)),
    lambda x, y, r: x / (y + 1),
)


@op(n_tensors=2, promote=FLOAT, grad_name=_scalar_overloads("SpecialXlog1PyBackward"), saves=((0, 1), (0, 1)),
    method=False, check=_broadcast_check)  # fmt: skip
def special_xlog1py(input, other):
    return _xlog1py(input, other)


# ------------------------------------------------------------------------- fmax, fmin, nextafter, ldexp, frexp


def _fminmax(pick, ge):
    def fn(a, b):
        return pick(a, b)

    # torch: the gradient goes to self where self >= other (<= for fmin) or other is NaN, else to other
    def to_self(a, b, y):
        return (ge(a, b) | jnp.isnan(b)).astype(y.dtype)

    return _binary_formula(fn, to_self, lambda a, b, y: 1 - to_self(a, b, y))


_fmax = _fminmax(jnp.fmax, jnp.greater_equal)
_fmin = _fminmax(jnp.fmin, jnp.less_equal)
_MINMAX_KW = dict(n_tensors=2, promote=BINARY, saves=((0, 1), (0, 1)), method=False)


@op(grad_name="FmaxBackward0", check=_type_check("fmax_cpu"), **_MINMAX_KW)
def fmax(input, other):
    return _fmax(input, other)


@op(grad_name="FminBackward0", check=_type_check("fmin_cpu"), **_MINMAX_KW)
def fmin(input, other):
    return _fmin(input, other)


# torch: the gradient passes to self where self != other, none to other
_nextafter = _binary_formula(jnp.nextafter, lambda a, b, y: (a != b).astype(y.dtype), lambda a, b, y: jnp.zeros_like(y))


@op(n_tensors=2, promote=BINARY, grad_name="NextafterBackward0", saves=((0, 1), ()), method=False,
    check=_type_check("nextafter_cpu", floating=True))  # fmt: skip
def nextafter(input, other):
    return _nextafter(input, other)


def _pow2(e, dtype):
    return jnp.power(jnp.asarray(2, dtype), e.astype(dtype))


def _int_pow2(e, dtype):
    # torch's formula takes 2 ** other in other's dtype: for an integer exponent, an integer power (0 below 2 ** 0,
    # wrapping past 2 ** 63)
    e = e.astype(jnp.int64)
    return jnp.where(e < 0, 0, jnp.left_shift(jnp.int64(1), jnp.clip(e, 0, 64))).astype(dtype)


def _ldexp_fn(int_exponent):
    return _binary_formula(
        lambda a, e: a * _pow2(e, a.dtype),
        lambda a, e, y: (_int_pow2 if int_exponent else _pow2)(e, y.dtype),
        lambda a, e, y: y * _c(math.log(2.0), y),
    )


_LDEXP = {flag: _ldexp_fn(flag) for flag in (False, True)}
_ldexp_types = _type_check("ldexp", names=("input", "other"))
_ldexp_types.op_name = "ldexp"


def _ldexp_check(args, params):
    _ldexp_types(args, params)
    return {"int_exponent": not (args[1].dtype.is_floating_point or args[1].dtype.is_complex)}


@op(n_tensors=2, promote=FLOAT, grad_name="LdexpBackward0", saves=((1,), (-1,)), method=False, check=_ldexp_check)
def ldexp(input, other, int_exponent=False):
    return _LDEXP[int_exponent](input, other)


@jax.custom_jvp
def _frexp(x):
    return jnp.frexp(x)


@_frexp.defjvp
def _frexp_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    m, e = jnp.frexp(x)
    # torch: grad / exponent.exp2() for the mantissa, where the int exponent's exp2 is a float32 (inf past 2 ** 127,
    # 0 below 2 ** -149, whatever the input's dtype); ldexp gives that power of two exactly, where XLA's exp2 goes
    # through exp and can miss by an ulp
    scale = jnp.ldexp(jnp.ones(e.shape, jnp.float32), e)
    return (m, e), ((t / scale).astype(x.dtype), jnp.zeros(e.shape, jax.dtypes.float0))


_Frexp = return_type("frexp", ("mantissa", "exponent"))


def _frexp_check(args, params):
    if not args[0].dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")


@op("frexp", promote=SAME, grad_name="FrexpBackward0", saves=((-2,),), n_out=2, method=False, check=_frexp_check)
def _frexp_op(input):
    m, e = _frexp(input)
    return m, e.astype(jnp.int32)


def frexp(input, *, out=None):
    """Into out: the mantissa of the input's dtype and an int32 exponent only."""
    _out.begin_outs("frexp", out, 2, 1, "frexp", (input,))
    result = _Frexp(*_frexp_op(input))
    if out is None:
        return result
    mantissa, exponent = out
    if mantissa.dtype is not input.dtype:
        raise RuntimeError(
            f"torch.frexp() expects mantissa to have dtype {R._C_NAMES[input.dtype._name]} but got "
            f"{R._C_NAMES[mantissa.dtype._name]}"
        )
    if exponent.dtype is not D.int32:
        raise RuntimeError(
            f"torch.frexp() expects exponent to have int dtype but got {R._C_NAMES[exponent.dtype._name]}"
        )
    return _out.write_outs("frexp", out, result)


# ------------------------------------------------------------------------- integers


_INT_KW = dict(n_tensors=2, promote=BINARY, differentiable=False, inplace=True)


@op(check=_type_check("gcd_cpu", integral="no bool"), **{**_INT_KW, "inplace": False, "method": False})
def gcd(input, other):
    return jnp.gcd(input, other)


@op(check=_type_check("lcm_cpu", integral="no bool"), **{**_INT_KW, "inplace": False, "method": False})
def lcm(input, other):
    return jnp.lcm(input, other)


def _shift(shift, bits_fill):
    def fn(a, b):
        # torch: a shift by a negative amount or by the width or more leaves 0 (-1 for a negative a shifted right)
        width = jnp.iinfo(a.dtype).bits if a.dtype != jnp.bool_ else 8
        out = shift(a, jnp.clip(b, 0, width - 1).astype(a.dtype))
        return jnp.where((b < 0) | (b >= width), bits_fill(a), out)

    return fn


@op(check=_type_check("lshift_cpu", names=(), integral="no bool"), **_INT_KW)
def bitwise_left_shift(input, other):
    return _shift(jnp.left_shift, jnp.zeros_like)(input, other)


@op(check=_type_check("rshift_cpu", names=(), integral="no bool"), **_INT_KW)
def bitwise_right_shift(input, other):
    return _shift(jnp.right_shift, lambda a: jnp.where(a < 0, -jnp.ones_like(a), jnp.zeros_like(a)))(input, other)


def _floor_divide_check(args, params):
    _broadcast_check(args, params)
    d = _result(args)
    if d is D.bool:
        raise NotImplementedError("\"div_floor_cpu\" not implemented for 'Bool'")
    other = args[1]
    if not (d.is_floating_point or d.is_complex) and (
        other == 0 if not isinstance(other, R._Tensor) else bool(jnp.any(other._value == 0))
    ):
        raise RuntimeError("ZeroDivisionError")


def _no_derivative(fn, message):
    f = jax.custom_jvp(fn)
    f.defjvp(_not_implemented(message, RuntimeError))
    return f


_floor_divide = _no_derivative(jnp.floor_divide, "derivative for aten::floor_divide is not implemented")


@op(n_tensors=2, promote=BINARY, grad_name="torch::autograd::NotImplemented", inplace=True, check=_floor_divide_check)
def floor_divide(input, other):
    return _floor_divide(input, other)


# ------------------------------------------------------------------------- angle, in-place comparisons


def _angle_value(x):
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x
    return jnp.where(jnp.isnan(x), x, jnp.where(x < 0, _c(math.pi, x), jnp.zeros_like(x)))


_angle = _unary_formula(_angle_value, lambda x, y: jnp.zeros_like(x))


def _angle_check(args, params):
    if args[0].dtype.is_complex:
        raise NotImplementedError("torchish: angle of complex tensors")


@op(promote=FLOAT, grad_name="AngleBackward0", saves=((0,),), check=_angle_check)
def angle(input):
    return _angle(input)


def _compare_dtype(args, params):
    _broadcast_check(args, params)
    return {"dtype": _result(args)._name}


def _compare_inplace(name, fn):
    """x.lt_(y) and friends: the comparison in the promoted dtype, written as 1 / 0 in x's dtype; torch records a
    node whose gradient is zero (LtBackward0 for a Number, LtBackward1 for a Tensor)."""

    def pure(input, other, dtype=None):
        dt = jnp.dtype(dtype)
        return fn(input.astype(dt), jnp.asarray(other).astype(dt)).astype(input.dtype)

    pure.__name__ = "_" + name + "_"
    title = name.capitalize()
    op(
        pure.__name__,
        n_tensors=2,
        promote=SAME,
        promoted=(0,),
        grad_name=_mixed_name(title + "Backward1", title + "Backward0"),
        method=False,
        check=_compare_dtype,
    )(pure)
    public = R.OPS[pure.__name__].public

    def method(self, other):
        return public(self, other, _target=self)

    method.__name__ = name + "_"
    return method


COMPARE_INPLACE = {
    n: _compare_inplace(n, f)
    for n, f in (
        ("eq", jnp.equal), ("ne", jnp.not_equal), ("lt", jnp.less), ("le", jnp.less_equal), ("gt", jnp.greater),
        ("ge", jnp.greater_equal),
    )
}  # fmt: skip


@op("_add_scalar", n_tensors=2, promote=BINARY, grad_name="AddBackward1", method=False)
def _add_scalar(input, other):
    return input + other


def _round_decimals_value(x, decimals):
    if decimals >= 0:
        ten = _c(10.0**decimals, x)
        return jnp.round(x * ten) / ten
    ten = _c(10.0 ** (-decimals), x)
    return jnp.round(x / ten) * ten


_round_decimals = jax.custom_jvp(_round_decimals_value, nondiff_argnums=(1,))
_round_decimals.defjvp(lambda d, p, t: (_round_decimals(p[0], d), jnp.zeros_like(t[0])))


@op("_round_decimals", promote=SAME, grad_name="RoundBackward1", method=False)
def _round_decimals_op(input, decimals=0):
    return _round_decimals(input, decimals)


_pointwise(
    "acosh", "asinh", "atanh", "_acosh_", "_asinh_", "_atanh_", "erfc", "special_erfcx", "i0", "special_i0e",
    "special_i1", "special_i1e", "special_ndtri", "special_log_ndtr", "special_entr", "polygamma", "mvlgamma",
    "igamma", "igammac", "special_zeta",
    "special_xlog1py", "fmax", "fmin", "nextafter", "ldexp", "gcd", "lcm", "bitwise_left_shift",
    "bitwise_right_shift", "floor_divide", "angle", "_add_scalar", "_round_decimals",
)  # fmt: skip

from . import special_bessel  # noqa: E402,F401  (torch.special's Bessel, Airy and polynomial ops)


def _tensor_only_method(public, name, inplace):
    """The method form of an op whose `other` must be a Tensor: torch's parser counts from the first argument."""
    shown = name + "_" * inplace

    def method(self, other):
        if not isinstance(other, R._Tensor):
            raise TypeError(f"{shown}(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        return public(self, other, _target=self) if inplace else public(self, other)

    method.__name__ = shown
    return method


for _public, _inplace in (
    (fmax, False), (fmin, False), (gcd, True), (lcm, True), (nextafter, True), (ldexp, True), (igamma, True),
    (igammac, True),
):  # fmt: skip
    _name = _public.__name__
    setattr(R._Tensor, _name, _tensor_only_method(_public, _name, False))
    if _inplace:
        setattr(R._Tensor, _name + "_", _tensor_only_method(_public, _name, True))
