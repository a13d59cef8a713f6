"""torch.special: each function is the op torch's special function runs (special.expit is sigmoid, special.psi
digamma, special.gammainc igamma, ...), so values, grad_fn names and errors are that op's."""

from __future__ import annotations

import math

from ._tensor import Tensor
from .ops import _out, misc, pointwise, pointwise_special, reduction, special_bessel, special_ops
from .ops._registry import _check_cast

__all__ = [
    "airy_ai", "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "chebyshev_polynomial_t",
    "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w", "digamma", "entr", "erf", "erfc",
    "erfcx", "erfinv", "exp2", "expit", "expm1", "gammainc", "gammaincc", "gammaln", "hermite_polynomial_h",
    "hermite_polynomial_he", "i0", "i0e", "i1", "i1e", "laguerre_polynomial_l", "legendre_polynomial_p", "log1p",
    "log_ndtr", "log_softmax", "logit", "logsumexp", "modified_bessel_i0", "modified_bessel_i1",
    "modified_bessel_k0", "modified_bessel_k1", "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round",
    "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "sinc",
    "softmax", "spherical_bessel_j0", "xlog1py", "xlogy", "zeta"
]  # fmt: skip


def _renamed(name, fn):
    def call(*args, **kwargs):
        return fn(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


erf = _renamed("erf", pointwise.erf)
erfc = _renamed("erfc", special_ops.erfc)
erfcx = _renamed("erfcx", special_ops.special_erfcx)
erfinv = _renamed("erfinv", pointwise_special.erfinv)
expit = _renamed("expit", pointwise.sigmoid)
exp2 = _renamed("exp2", pointwise.exp2)
expm1 = _renamed("expm1", pointwise.expm1)
log1p = _renamed("log1p", pointwise.log1p)
logit = _renamed("logit", pointwise_special.logit)
xlogy = _renamed("xlogy", pointwise_special.xlogy)
entr = _renamed("entr", special_ops.special_entr)
ndtri = _renamed("ndtri", special_ops.special_ndtri)
log_ndtr = _renamed("log_ndtr", special_ops.special_log_ndtr)
i0 = _renamed("i0", special_ops.i0)
i0e = _renamed("i0e", special_ops.special_i0e)
i1 = _renamed("i1", special_ops.special_i1)
i1e = _renamed("i1e", special_ops.special_i1e)
sinc = _renamed("sinc", pointwise_special.sinc)
gammaln = _renamed("gammaln", pointwise_special.lgamma)
digamma = _renamed("digamma", pointwise_special.digamma)
psi = _renamed("psi", pointwise_special.digamma)


def _word(v):
    return "Tensor" if isinstance(v, Tensor) else type(v).__name__


def _scalar_overloads(name, fn, names=("input", "other")):
    """special_zeta / special_xlog1py / the polynomials: Tensor-Tensor, Number-Tensor and Tensor-Number overloads."""
    a, b = names

    def check(input, other, out):
        ok = (float, int, bool)
        if not (
            isinstance(input, Tensor)
            and isinstance(other, (Tensor, *ok))
            or isinstance(input, ok)
            and isinstance(other, Tensor)
        ):
            raise TypeError(
                f"special_{name}() received an invalid combination of arguments - got "
                f"({_word(input)}, {_word(other)}), but expected one of:\n"
                f" * (Tensor {a}, Tensor {b}, *, Tensor out = None)\n"
                f" * (Number {'self' if a == 'input' else a}, Tensor {b}, *, Tensor out = None)\n"
                f" * (Tensor {a}, Number {b}, *, Tensor out = None)\n"
            )
        return fn(input, other, out=out)

    if names == ("input", "other"):

        def call(input, other, *, out=None):
            return check(input, other, out)

    else:

        def call(x, n, *, out=None):
            return check(x, n, out)

    call.__name__ = call.__qualname__ = name
    return call


def _tensors_only(name, fn):
    def call(input, other, *, out=None):
        for pos, (arg, v) in enumerate((("input", input), ("other", other))):
            if not isinstance(v, Tensor):
                raise TypeError(
                    f"special_{name}(): argument '{arg}' (position {pos + 1}) must be Tensor, not {_word(v)}"
                )
        return fn(input, other, out=out)

    call.__name__ = call.__qualname__ = name
    return call


zeta = _scalar_overloads("zeta", special_ops.special_zeta)
xlog1py = _scalar_overloads("xlog1py", special_ops.special_xlog1py)
gammainc = _tensors_only("gammainc", special_ops.igamma)
gammaincc = _tensors_only("gammaincc", special_ops.igammac)


def polygamma(n, input, *, out=None):
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"special_polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    return special_ops.polygamma(n, input, out=out)


def multigammaln(input, p, *, out=None):
    return special_ops.mvlgamma(input, p, out=out)


def ndtr(input, *, out=None):
    """torch's composition: (1 + erf(x * M_SQRT1_2)) * 0.5; out= takes it by TensorIterator's cast rule, then
    copies it in (the input may require grad)."""
    if out is not None:
        _out.tensor_out("special_ndtr", out)
    result = misc._mul_scalar(special_ops._add_scalar(pointwise.erf(misc._mul_scalar(input, math.sqrt(0.5))), 1), 0.5)
    if out is None:
        return result
    _check_cast(result.dtype, out.dtype)
    return _out.copy_out(out, result)


def round(input, *, decimals=0, out=None):  # noqa: A001
    d = input.dtype
    if not (d.is_floating_point or d.is_complex):
        kernel = "round_vml_cpu" if decimals == 0 else "round_cpu"
        from .ops._registry import _type_word

        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_word(d)}'")
    return special_ops._round_decimals_op(input, decimals, out=out)


def logsumexp(input, dim, keepdim=False, *, out=None):
    return reduction.logsumexp(input, dim, keepdim, out=out)


def softmax(input, dim, *, dtype=None):
    from .nn import functional as F

    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    from .nn import functional as F

    return F.log_softmax(input, dim, dtype=dtype)


# (Python's TypeErrors name a function by its qualified name: torch's parser says special_softmax())
softmax.__qualname__, log_softmax.__qualname__ = "special_softmax", "special_log_softmax"


def _bessel(name):
    op = special_bessel.UNARY[name]

    def call(input, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(
                f"special_{name}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}"
            )
        return op(input, out=out)

    call.__name__ = call.__qualname__ = name
    return call


airy_ai = _bessel("airy_ai")
bessel_j0 = _bessel("bessel_j0")
bessel_j1 = _bessel("bessel_j1")
bessel_y0 = _bessel("bessel_y0")
bessel_y1 = _bessel("bessel_y1")
modified_bessel_i0 = _bessel("modified_bessel_i0")
modified_bessel_i1 = _bessel("modified_bessel_i1")
modified_bessel_k0 = _bessel("modified_bessel_k0")
modified_bessel_k1 = _bessel("modified_bessel_k1")
scaled_modified_bessel_k0 = _bessel("scaled_modified_bessel_k0")
scaled_modified_bessel_k1 = _bessel("scaled_modified_bessel_k1")
spherical_bessel_j0 = _bessel("spherical_bessel_j0")


def _polynomial(name):
    return _scalar_overloads(name, special_bessel.BINARY[name], ("x", "n"))


chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w")
hermite_polynomial_h = _polynomial("hermite_polynomial_h")
hermite_polynomial_he = _polynomial("hermite_polynomial_he")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l")
legendre_polynomial_p = _polynomial("legendre_polynomial_p")
