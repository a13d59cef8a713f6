"""Differential specs for torchish/ops/special_ops.py and torch.special (merged into op_specs.SPECS)."""

from __future__ import annotations

from .op_specs import FLOATS, NUMERIC, Spec

POS = (0.1, 3.0)
INTS = ("int64", "int32")


def _unary(name, call, domain=(-3.0, 3.0), covers=None, **kw):
    return Spec(name, call, domain=domain, covers=covers or (name,), **kw)


def _binary(name, call, covers=None, **kw):
    return Spec(name, call, n=2, shapes="broadcast", covers=covers or (name,), **kw)


# wide domains: large |x| (the asymptotic forms), negative x (NaN for y and k), the zeros of the functions
BESSEL = [
    ("bessel_j0", (-40.0, 40.0)),
    ("bessel_j1", (-40.0, 40.0)),
    ("bessel_y0", (-1.0, 40.0)),
    ("bessel_y1", (-1.0, 40.0)),
    ("modified_bessel_i0", (-30.0, 30.0)),
    ("modified_bessel_i1", (-30.0, 30.0)),
    ("modified_bessel_k0", (-1.0, 30.0)),
    ("modified_bessel_k1", (-1.0, 30.0)),
    ("scaled_modified_bessel_k0", (-1.0, 60.0)),
    ("scaled_modified_bessel_k1", (-1.0, 60.0)),
    ("spherical_bessel_j0", (-30.0, 30.0)),
    ("airy_ai", (-15.0, 15.0)),
]
POLYNOMIALS = [
    *((f"chebyshev_polynomial_{k}", (-1.5, 1.5)) for k in "tuvw"),
    *((f"shifted_chebyshev_polynomial_{k}", (-0.5, 1.5)) for k in "tuvw"),
    ("hermite_polynomial_h", (-3.0, 3.0)),
    ("hermite_polynomial_he", (-3.0, 3.0)),
    ("laguerre_polynomial_l", (-2.0, 8.0)),
    ("legendre_polynomial_p", (-1.5, 1.5)),
]

SPECS_SPECIAL = [
    _unary("acosh", lambda m, x: m.acosh(x), domain=(1.1, 3.0)),
    _unary("asinh", lambda m, x: m.asinh(x)),
    _unary("atanh", lambda m, x: m.atanh(x), domain=(-0.9, 0.9)),
    # torch's in-place inverse hyperbolics record a node of their own whose backward raises (tests/test_special.py)
    *(_unary(f"{n}_", lambda m, x, _n=n: (x * 1).__getattribute__(_n + "_")(), domain=(1.1, 3.0) if n == "acosh" else
             (-0.9, 0.9), covers=(f"_{n}_", "mul"), grad=False) for n in ("acosh", "asinh", "atanh")),
    _unary("arccosh_int", lambda m, x: m.arccosh(x), dtypes=INTS, int_domain=(1, 5), covers=("acosh",),
           grad=False),
    _unary("erfc", lambda m, x: m.erfc(x), inplace="erfc_"),
    _unary("erfc_int", lambda m, x: m.special.erfc(x), dtypes=NUMERIC, covers=("erfc",)),
    _unary("erfcx", lambda m, x: m.special.erfcx(x), covers=("special_erfcx",)),
    _unary("i0", lambda m, x: m.i0(x), inplace="i0_", dtypes=NUMERIC),
    _unary("i0e", lambda m, x: m.special.i0e(x), covers=("special_i0e",), dtypes=NUMERIC),
    # torch's first derivatives i0 - i1 / x and i0e - i1e * (sgn + 1/x) cancel near 0: they are one ulp apart from
    # torch's there (XLA's float32 i0/i0e and its FMA contraction), and their derivative magnifies that ulp (1e-3:
    # 4.9e-4 here, 3.7e-4 in torch, 3.75e-4 exact), so only first order is compared
    _unary("i1", lambda m, x: m.special.i1(x), covers=("special_i1",), dtypes=NUMERIC, gradgrad=False),
    _unary("i1e", lambda m, x: m.special.i1e(x), covers=("special_i1e",), gradgrad=False),
    _unary("ndtri", lambda m, x: m.special.ndtri(x), domain=(0.05, 0.95), covers=("special_ndtri",)),
    _unary("log_ndtr", lambda m, x: m.special.log_ndtr(x), covers=("special_log_ndtr",)),
    _unary("entr", lambda m, x: m.special.entr(x), covers=("special_entr",), dtypes=NUMERIC, int_domain=(-1, 4)),
    _unary("ndtr", lambda m, x: m.special.ndtr(x), covers=("_mul_scalar", "_add_scalar", "erf"), dtypes=NUMERIC),
    _unary("special_round", lambda m, x: m.special.round(x, decimals=1), covers=("_round_decimals",)),
    _unary("special_round_neg", lambda m, x: m.special.round(x * 100, decimals=-1), covers=("_round_decimals",)),
    _unary("polygamma0", lambda m, x: m.polygamma(0, x), domain=POS, covers=("polygamma",)),
    _unary("polygamma1", lambda m, x: x.polygamma(1), covers=("polygamma",)),
    _unary("polygamma3", lambda m, x: m.special.polygamma(3, x), domain=POS, covers=("polygamma",)),
    _unary("polygamma_", lambda m, x: (x * 1).polygamma_(2), domain=POS, covers=("_polygamma_", "mul")),
    _unary("mvlgamma", lambda m, x: m.mvlgamma(x, 3), domain=(1.1, 4.0), dtypes=NUMERIC, int_domain=(2, 6)),
    _unary("multigammaln", lambda m, x: m.special.multigammaln(x, 1), domain=POS, covers=("mvlgamma",)),
    _unary("mvlgamma_", lambda m, x: (x * 1).mvlgamma_(2), domain=(0.6, 4.0), covers=("mvlgamma", "mul")),
    _unary("angle", lambda m, x: m.angle(x), dtypes=NUMERIC),
    _unary("frexp", lambda m, x: m.frexp(x), domain=(-100.0, 100.0)),
    _unary("frexp_int", lambda m, x: x.frexp(), dtypes=INTS, covers=("frexp",), grad=False),
    # the gradient with respect to `input` is not implemented in torch: only `other` requires grad here
    _binary("igamma", lambda m, x, y: m.igamma(x.detach(), y), domain=POS),
    _binary("gammaincc", lambda m, x, y: m.special.gammaincc(x.detach(), y), domain=POS, covers=("igammac",)),
    _binary("igamma_int", lambda m, x, y: m.special.gammainc(x, y), dtypes=INTS, grad=False, covers=("igamma",)),
    _binary("zeta", lambda m, x, y: m.special.zeta(x.detach() + 1.5, y), domain=POS, covers=("special_zeta", "add")),
    _unary("zeta_scalar", lambda m, q: m.special.zeta(3.0, q), covers=("special_zeta",)),
    _binary("xlog1py", lambda m, x, y: m.special.xlog1py(x, y), domain=(-0.5, 3.0), covers=("special_xlog1py",)),
    _unary("xlog1py_scalar", lambda m, x: m.special.xlog1py(x, 0.5), covers=("special_xlog1py",)),
    _binary("fmax", lambda m, x, y: m.fmax(x, y), dtypes=NUMERIC, int_domain=(-2, 3)),
    _binary("fmin", lambda m, x, y: x.fmin(y), dtypes=NUMERIC, int_domain=(-2, 3)),
    _binary("nextafter", lambda m, x, y: m.nextafter(x, y), inplace="nextafter_", dtypes=NUMERIC, domain=(0.5, 3.0),
            int_domain=(-2, 3)),
    _binary("ldexp", lambda m, x, y: m.ldexp(x, y), inplace="ldexp_"),
    _binary("ldexp_int", lambda m, x, y: m.ldexp(x, y.long()), covers=("ldexp", "_to_copy")),
    _binary("gcd", lambda m, x, y: m.gcd(x, y), dtypes=NUMERIC, grad=False, int_domain=(-12, 13)),
    _binary("lcm", lambda m, x, y: x.lcm(y), dtypes=NUMERIC, grad=False, int_domain=(-12, 13)),
    _binary("lshift", lambda m, x, y: x << y, dtypes=NUMERIC, grad=False, int_domain=(-2, 70),
            covers=("bitwise_left_shift",)),
    _binary("rshift", lambda m, x, y: m.bitwise_right_shift(x, y), dtypes=NUMERIC, grad=False, int_domain=(-70, 70),
            covers=("bitwise_right_shift",)),
    # torch has no derivative for floor_divide (its backward raises: tests/test_special.py)
    _binary("floor_divide", lambda m, x, y: m.floor_divide(x, y), dtypes=NUMERIC, grad=False, domain=POS),
    _binary("floordiv_op", lambda m, x, y: x // y, dtypes=NUMERIC, grad=False, int_domain=(-3, 4),
            covers=("floor_divide",)),
    *(
        _binary(name + "_", lambda m, x, y, _n=name: getattr(x * 1, _n + "_")(y), dtypes=FLOATS, int_domain=(0, 3),
                covers=("_" + name + "_", "mul"))
        for name in ("eq", "ne", "lt", "le", "gt", "ge")
    ),
    _unary("lt_scalar_", lambda m, x: (x * 1).less_(0.5), covers=("_lt_", "mul")),
    _binary("ge_int_", lambda m, x, y: (x * 1).greater_equal_(y), dtypes=INTS, grad=False, int_domain=(0, 3),
            covers=("_ge_", "mul")),
    # torch.special's Bessel, Airy and polynomial kernels (torchish/ops/special_bessel.py): no derivative in torch
    *(_unary(name, lambda m, x, _n=name: getattr(m.special, _n)(x), domain=dom, covers=("special_" + name,),
             dtypes=NUMERIC, int_domain=(-3, 12), grad=False) for name, dom in BESSEL),
    *(_unary(f"{name}_{n}", lambda m, x, _f=name, _n=n: getattr(m.special, _f)(x, _n), domain=dom,
             covers=("special_" + name,), grad=False) for name, dom in POLYNOMIALS for n in (3, 11)),
    *(_binary(name, lambda m, x, n, _f=name: getattr(m.special, _f)(x, n * 5), domain=dom,
              covers=("special_" + name, "mul"), dtypes=NUMERIC, int_domain=(-1, 4), grad=False)
      for name, dom in POLYNOMIALS),
    _unary("legendre_scalar_x", lambda m, n: m.special.legendre_polynomial_p(0.3, n * 5), domain=(-1.0, 4.0),
           covers=("special_legendre_polynomial_p", "mul"), grad=False),
]  # fmt: skip

# the Bessel functions and orthogonal polynomials compile per-element loops: `-m slow` runs them (their values
# were compared against torch on ~4000 points each when written)
_SLOW = ("bessel", "airy", "chebyshev", "hermite", "laguerre", "legendre")
for _spec in SPECS_SPECIAL:
    if any(k in _spec.name for k in _SLOW):
        _spec.slow = True
