"""torch.special and the pointwise aliases, in-place forms and errors of torchish/ops/special_ops.py against torch:
the same repr, or the same error (type and text). The op table's specs (tests/op_specs_special.py) compare values
and gradients on hypothesis inputs."""

from __future__ import annotations

import pytest

from .test_ops_composites import _same_as_torch


def _scope(m):
    return {
        "m": m,
        "x": m.tensor([1.0, -2.0, 0.0], requires_grad=True),
        "i": m.tensor([1, -2]),
        "b": m.tensor([True, False]),
    }


# aliases, in-place forms, identities torch returns, dtypes, grad_fn names and errors
_CALLS = [
    "m.arccos(x / 3)", "m.arcsin(x / 3)", "m.arctan(x)", "m.arctan2(x, x)", "m.arctan2(x, 2)", "m.arccosh(x + 3)",
    "m.arcsinh(x)", "m.arctanh(x / 3)", "x.arccos()", "(x * 1).arcsin_()", "(x + 3).arccosh_()", "(x * 1).asinh_()",
    "(x / 3).arctanh_()", "m.negative(x)", "m.negative(b)", "m.positive(x) is x", "m.positive(b)",
    "m.subtract(x, 2, alpha=2)", "m.multiply(x, i[:1])", "m.divide(x, 2, rounding_mode='floor')",
    "m.floor_divide(x, 2)",
    "m.floor_divide(i, 2)", "m.floor_divide(i, 2.5)", "m.floor_divide(i, m.tensor([0]))", "(i * 1).floor_divide_(2)",
    "(i * 1).floor_divide_(2.5)", "x // 2", "2 // x", "i // 0", "(x * 1).__ifloordiv__(2)", "m.fix(x)", "m.fix(i)",
    "(x * 1).fix_()", "m.erfc(x)", "m.erfc(i)", "(x * 1).erfc_()", "m.fmax(x, m.tensor([float('nan'), 1., 2.]))",
    "m.fmax(x, 2)", "x.fmax(2)", "m.fmin(i, m.tensor([1.5]))", "x.fmax(x)", "m.fmin(b, b)", "m.i0(x)", "m.i0(i)",
    "m.polygamma(2, x)", "x.polygamma(1)", "m.polygamma(1, i)", "m.polygamma(-1, x)", "(x * 1).polygamma_(1)",
    "m.mvlgamma(x + 3, 2)", "m.mvlgamma(x, 2)", "m.mvlgamma(x, 0)", "m.mvlgamma(i + 3, 1)", "x.mvlgamma(p=3)",
    "(x + 3).mvlgamma_(2)", "m.nextafter(x, m.tensor(5.))", "m.nextafter(x, 5.)", "m.nextafter(i, i)",
    "(x * 1).nextafter_(x)", "m.ldexp(x, m.tensor([1, 2, 3]))", "m.ldexp(i, i)", "m.ldexp(x, 2)",
    "(x * 1).ldexp_(i[:1])", "m.frexp(x)", "m.frexp(i)", "x.frexp()", "m.frexp(x).exponent.requires_grad",
    "m.gcd(i, m.tensor([6, 9]))", "m.gcd(x, x)", "m.gcd(i, 2)", "m.lcm(i, m.tensor([6, 9]))", "m.gcd(b, b)",
    "(i * 1).gcd_(m.tensor([4]))", "(x * 1).gcd_(2)", "m.bitwise_left_shift(i, 3)", "i << 70", "i >> 1", "2 << i",
    "x << 1", "i << -1", "m.tensor([-8]) >> 70", "b << 1", "b << b", "i.int() << m.tensor(3)",
    "m.bitwise_right_shift(i, i)", "i.__ilshift__(1)", "i.__rrshift__(64)", "i.bitwise_left_shift_(m.tensor([1]))",
    "m.is_complex(x)", "m.is_nonzero(x)", "m.is_nonzero(x[:1])", "m.is_nonzero(x[:0])", "m.real(x) is x",
    "x.real is x", "m.imag(x)", "x.imag", "m.conj(x) is x", "m.angle(x)", "m.angle(i)", "x.angle()",
    "m.angle(m.tensor([float('nan'), -0.0]))", "m.resolve_conj(x) is x", "m.resolve_neg(x) is x", "x.is_conj()",
    "m.conj_physical(x) is x", "(x * 1).lt_(0)", "(x * 1).lt_(0)._version", "i.lt_(2)", "b.lt_(1)", "(x * 1).eq_(x)",
    "(x * 1).ge_(m.tensor([1.]))", "(x * 1).greater_(0.5)", "(x * 1).less_equal_(1)", "(x * 1).not_equal_(x)",
    "(x * 1).lt_(m.ones(2, 3))", "(x * 1).logical_not_()", "(i * 1).logical_not_()", "(x * 1).square_()",
    "(i * 1).square_()", "(x * 1).cumprod_(0)", "(i * 1).cumprod_(0)",
    # torch.special
    "m.special.erf(x)", "m.special.erfc(i)", "m.special.erfcx(x)", "m.special.erfinv(x / 3)", "m.special.expit(x)",
    "m.special.expit(i)", "m.special.exp2(i)", "m.special.expm1(x)", "m.special.log1p(x + 3)",
    "m.special.logit(x / 3 + 0.5)", "m.special.logit(i)", "m.special.logsumexp(x, 0)",
    "m.special.logsumexp(x, 0, keepdim=True)", "m.special.softmax(x, 0)",
    "m.special.log_softmax(x, 0, dtype=m.float64)",
    "m.special.softmax(i, 0)", "m.special.log_softmax(i.view(2, 1), 0)",
    "m.special.xlogy(2., x)",
    "m.special.xlog1py(x, 2.)", "m.special.xlog1py(2., x)", "m.special.xlog1py(2., 3.)", "m.special.xlog1py(x, x)",
    "m.special.xlog1py(i, i)", "m.special.entr(m.tensor([-1., 0., 0.5]))", "m.special.entr(i)", "m.special.ndtr(x)",
    "m.special.ndtr(x).grad_fn.next_functions[0][0].name()", "m.special.ndtr(i)", "m.special.ndtri(m.tensor([0, 1]))",
    "m.special.ndtri(x / 4 + 0.5)", "m.special.log_ndtr(x)", "m.special.i0(x)", "m.special.i0e(i)", "m.special.i1(x)",
    "m.special.i1e(x)", "m.special.sinc(x)", "m.special.round(x)", "m.special.round(x * 1.2345, decimals=2)",
    "m.special.round(i)", "m.special.round(i, decimals=1)", "m.special.digamma(x + 3)", "m.special.psi(x + 3)",
    "m.special.polygamma(1, x)", "m.special.polygamma(1.5, x)", "m.special.multigammaln(x + 3, 2)",
    "m.special.zeta(x + 3, x + 3)", "m.special.zeta(2., x + 3)", "m.special.zeta(x + 3, 2.)", "m.special.zeta(2., 3.)",
    "m.special.zeta(m.tensor([2., 3., 1., 0.5, 2.5]), m.tensor([-1., -2., 2., 2., -0.5]))",
    "m.special.gammainc(x + 3, x + 3)", "m.special.gammaincc(x + 3, 2)", "m.special.gammainc(2, x)",
    "m.special.gammaincc(i, i)", "m.igamma(x + 3, x + 3)", "m.igammac(x + 3, x + 3)", "(x + 3).igamma(x + 3)",
    "(x * 1).igamma_(x + 3)", "x.igamma(2)",
    # backward: torch's formulas, and its errors where it has none
    "m.autograd.grad(m.special.gammainc(x + 3, x + 3).sum(), x)",
    "m.autograd.grad(m.special.zeta(x + 3, x + 3).sum(), x)",
    "m.autograd.grad(m.special.zeta(x + 3, 2.).sum(), x)", "m.autograd.grad(m.special.zeta(2., x + 3).sum(), x)",
    "m.autograd.grad(m.special.gammaincc(x.detach() + 3, x + 3).sum(), x)",
    "m.autograd.grad(m.special.xlog1py(x, x + 3).sum(), x)", "m.autograd.grad(m.special.i1e(x).sum(), x)",
    "m.autograd.grad(m.special.ndtr(x).sum(), x)", "m.autograd.grad(m.special.entr(x + 3).sum(), x)",
    "m.autograd.grad(m.special.round(x, decimals=1).sum(), x)", "m.autograd.grad((x // 2).sum(), x)",
    "m.autograd.grad(m.fmax(x, x.detach()).sum(), x)", "m.autograd.grad(m.angle(x).sum(), x)",
    "m.autograd.grad(m.ldexp(x, x).sum(), x)", "m.autograd.grad(m.frexp(x)[0].sum(), x)",
    # (exact powers of two, in float32 whatever the input's dtype: inf and 0 where they overflow; no subnormal
    # inputs, which XLA's CPU flushes to zero)
    "m.autograd.grad(m.frexp(f := m.tensor([1.2477426e-23, 3e38, 1.5e-38, -5.0, 7e-30], requires_grad=True))[0], f, "
    "m.tensor([-1.3596336, 0.3, 0.7, 1.1, -2.5]))[0].tolist()",
    "m.autograd.grad(m.frexp(f := m.tensor([1e-300, 1e300, 2.5e-30], dtype=m.float64, requires_grad=True))[0], f, "
    "m.tensor([0.3, -1.7, 0.9], dtype=m.float64))[0].tolist()",
    "m.autograd.grad(m.frexp(f := m.tensor([6e4, 1e-4, -3.0], dtype=m.half, requires_grad=True))[0], f, "
    "m.tensor([0.3, -1.7, 0.9], dtype=m.half))[0].tolist()",
    "m.autograd.grad(m.floor_divide(x, 2).sum(), x)", "m.autograd.grad(((x * 1).lt_(0)).sum(), x)",
    "m.autograd.grad(m.i0(x).sum(), x, create_graph=True)", "m.autograd.grad(m.erfc(x).sum(), x)",
    "m.autograd.grad(m.nextafter(x, x * 2).sum(), x)", "m.autograd.grad(m.polygamma(2, x + 3).sum(), x)",
    "m.autograd.grad(m.mvlgamma(x + 3, 3).sum(), x)", "m.autograd.grad((x + 3).acosh_().sum(), x)",
    "m.autograd.grad(m.ldexp(x, m.tensor([-1, 0, 70])).sum(), x)", "m.floor_divide(x, 2).grad_fn.name()",
    # lgamma / digamma: torch's special cases and derivatives; softmax of integers: torch's kernel errors
    "m.lgamma(m.tensor([1., 2., 0., -0., -1., 0.5]))", "m.digamma(m.tensor([0., -0., 1., -1., 2.5]))",
    "m.lgamma(m.tensor([1., 2.], dtype=m.float64))", "m.special.gammaln(m.tensor([1., 2.]))",
    "m.autograd.grad(m.lgamma(x).sum(), x)", "m.autograd.grad(m.digamma(x).sum(), x)",
    "m.autograd.grad(m.autograd.grad(m.lgamma(x).sum(), x, create_graph=True)[0].sum(), x)",
    "m.softmax(i, 0)", "m.softmax(i.view(2, 1), 0)", "m.softmax(i.view(2, 1), 1)", "m.softmax(i.view(2, 1), -1)",
    "m.log_softmax(i.view(2, 1), 0)", "m.log_softmax(i, 0)", "i.softmax(0)", "i.view(1, 2).log_softmax(-2)",
    "m.softmax(m.tensor(3), 0)", "m.softmax(b, 0)", "m.softmax(i, 0, dtype=m.float32)",
    "m.softmax(x, 0, dtype=m.int32)", "m.nn.functional.softmax(i.view(2, 1), 0)",
    "m.nn.functional.log_softmax(i, 0, dtype=m.float64)",
    # Bessel and Airy functions: no derivative in torch (a result that does not require grad)
    *(f"m.special.{f}({a})" for f in (
        "bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
        "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
        "spherical_bessel_j0", "airy_ai") for a in ("x", "i", "m.tensor([0., -0., 1e-6, 5., 8., 2., 2.09, -2.09, "
        "8.3203353, 103.9, 1e30, float('inf'), -float('inf'), float('nan')], dtype=m.float64)")),
    "m.special.bessel_j0(x).requires_grad", "m.special.bessel_j0(x).grad_fn", "m.special.airy_ai(b)",
    "m.special.bessel_j0(x).sum().backward()", "m.special.bessel_y1(2.)", "m.special.bessel_j0(input=x)",
    "m.special.modified_bessel_k0(x, out=m.empty(3))", "m.special.spherical_bessel_j0(i, out=m.empty(2))",
    "m.special.modified_bessel_i0(x, out=m.empty(2, dtype=m.int64))",
    # orthogonal polynomials: the three overloads, promotion, degree casts (NaN, inf, negative, fractional)
    *(f"m.special.{f}({a})" for f in (
        *(f"chebyshev_polynomial_{k}" for k in "tuvw"), *(f"shifted_chebyshev_polynomial_{k}" for k in "tuvw"),
        "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p")
      for a in ("x, i.abs() + 1", "x / 4, 9", "0.25, i + 12", "i, i + 3", "x.double(), 2.5",
                "m.tensor([-1., 1., 0., 0.5, 1e-3, 2., -2.]), m.tensor([[0.], [1.], [5.], [7.], [20.], [-1.]])",
                "x, m.tensor([float('nan'), float('inf'), -float('inf')])", "x, True")),
    "m.special.hermite_polynomial_h(x, m.tensor([128., 129., 512., 513.]).view(4, 1))",
    "m.special.hermite_polynomial_he(x.double(), m.tensor([128, 129, 512, 513]).view(4, 1))",
    "m.special.chebyshev_polynomial_t(m.tensor([3., 0.5]), 10000)", "m.special.legendre_polynomial_p(x, 300)",
    "m.special.chebyshev_polynomial_t(x, 2).requires_grad", "m.special.chebyshev_polynomial_t(x, 2.).grad_fn",
    "m.special.chebyshev_polynomial_t(0.5, 3)", "m.special.chebyshev_polynomial_t(x, 'a')",
    "m.special.chebyshev_polynomial_t(x, None)", "m.special.hermite_polynomial_h(x=x, n=2)",
    "m.special.legendre_polynomial_p(x, i)", "m.special.laguerre_polynomial_l(x, i, out=m.empty(3))",
    "m.special.chebyshev_polynomial_u(x, 3).sum().backward()",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_special_and_pointwise_aliases(expr):
    _same_as_torch(expr, _scope)
