"""Ops torch composes of others or reaches through overloads, against torch: clamp's Tensor and Number bounds,
matmul's decomposition, outer / kron / tensordot / matrix_power / multi_dot / einsum op by op, LAPACK's
layouts."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import torchish

# clamp's two overloads (Tensor bounds, Number bounds) and what torch's parser and kernels refuse; x is
# [1., 2.] and i is [1, 2] (long)
_CLAMP_CALLS = [
    "x.clamp(min=nan)", "x.clamp(2., nan)", "m.tensor([1., nan]).clamp(m.tensor([nan, 0.]), m.tensor([0., 3.]))",
    "m.tensor([True, False]).clamp(max=True)", "m.tensor([True, False]).clamp(True, True)",
    "m.tensor([True, False]).clamp(m.tensor(True))", "m.tensor([True, False]).clamp_min(True)",
    "m.clamp_min(m.tensor([True]), 2)", "m.tensor([True]).clamp(0, True)", "m.tensor([True]).clamp_(2)",
    "m.tensor([True]).clamp_(m.tensor(2))", "i.clamp(m.tensor(1.5))", "i.clamp_(m.tensor(1.5))", "i.clamp_(1.5)",
    "i.clamp_min_(1.5)", "i.clamp_min_(m.tensor([1.5]))", "i.int().clamp_(1.5)", "i.byte().clamp_max_(1.5)",
    "i.short().clamp(1e6)", "i.clamp(2**70)", "i.byte().clamp(300)", "i.byte().clamp(-3)", "i.byte().clamp(-300)",
    "x.bfloat16().clamp(1e300)", "x.half().clamp(max=1e10)", "i.char().clamp(-300, 300)",
    "i.char().clamp_(m.tensor(300))",
    "x.clamp(float('inf'))", "i.int().clamp(2, 3.5)", "x.half().clamp(m.tensor(2., dtype=m.float64))",
    "i.int().clamp(m.tensor(2))", "i.int().clamp_(2**40)", "x.clamp_(1e300)", "m.clamp(x, m.tensor([1., 2, 3]))",
    "x.clamp_(m.tensor([1., 2, 3]))", "x.clamp_(m.ones(2, 2))", "x.clamp(m.tensor([1, 2], dtype=m.complex64))",
    "x.clamp(max=m.ones(2, dtype=m.complex64))", "x.clamp_min(m.ones(2, dtype=m.complex128))",
    "x.clamp(m.ones(2, dtype=m.complex64), m.ones(2, dtype=m.complex64))", "x.cfloat().clamp(1)",
    "x.clamp_min()", "x.clamp(min=None, max=None)", "x.clamp(None, None)", "x.clamp(m.tensor(1.), None)",
    "x.clamp(m.tensor([1., 2]), 2.5)", "x.clamp(2, m.tensor([1., 2]))", "m.clamp(x, m.tensor([1., 2]), 2.5)",
    "x.clamp(min=2.5, max=m.tensor(1.))", "x.clamp(m.tensor(1.), max=2)", "x.clamp_(m.tensor(1.), 2.5)",
    "x.clamp(m.tensor(1., requires_grad=True), 3)", "x.clamp(min=m.ones(2), max=2.5)", "x.clamp(m.ones(2), max=2)",
    "x.clamp('a')", "x.clamp_min('a')", "m.clamp_min(x, 'a')", "x.clamp_min(2, 3)", "x.clamp_min(min=None)",
    "x.clamp(min='a')", "x.clamp_min(min='a')", "x.clamp(min=None, max='a')", "x.clamp(max=None, min='a')",
    "x.clamp(2, min=3)", "x.clamp(1, 2, 3)", "m.clamp(x, m.tensor(1.), 2., out=m.zeros(2))",
    "m.clamp(x, m.ones(2), 2., out=m.zeros(2))", "x.clamp_max(2.5, m.tensor(1.))",
    "x.clamp_min(min=m.tensor(1.), max=2)",
    "m.clip(x, 1.5)", "x.clip_(1.5)", "x.clip(max=m.tensor(1.5))", "m.clamp_max(i, 1.5)",
    "m.clamp(x, m.tensor([1.5]), out=m.zeros(2))", "m.clamp_min(i, m.tensor([1.5]), out=m.zeros(2, dtype=m.long))",
    "m.add(i, m.tensor([1.5]), out=m.zeros(2, dtype=m.long))", "m.sqrt(i, out=m.zeros(2, dtype=m.long))",
    "m.eq(i, 1, out=m.zeros(2))", "m.tensor([[1., 2], [3, 4]]).t().clamp(2.5).stride()",
]  # fmt: skip


def _same_as_torch(expr, scope):
    """expr evaluated under torch and torchish (scope(m) binds its names): the same repr, or the same error."""
    results = []
    for m in (torch, torchish):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # (a once-per-process warning: whichever test came first)
                results.append(repr(eval(expr, scope(m))))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


@pytest.mark.parametrize("expr", _CLAMP_CALLS)
def test_clamp_overloads_and_errors(expr):
    _same_as_torch(expr, lambda m: {"m": m, "x": m.tensor([1.0, 2.0]), "i": m.tensor([1, 2]), "nan": float("nan")})


# Tensor.new_*: the factories with the tensor's dtype and device as defaults; x is [1., 2.] (float64), i [1, 2]
_NEW_CALLS = [
    "i.new_tensor([1.5, 2.7])", "i.new_tensor(x)", "x.new_tensor(3)", "x.new_tensor([1, 2], dtype=m.int32)",
    "x.new_tensor([[1], [2]], requires_grad=True)", "i.new_tensor([1], requires_grad=True)", "i.new_zeros(2, 3)",
    "i.new_zeros((2,))", "x.new_zeros(2, requires_grad=True)", "i.new_zeros(2, requires_grad=True)",
    "i.new_ones([2])", "x.new_ones(())", "x.new_ones(1, dtype=m.bool)", "i.new_empty(2).shape", "i.new_zeros(-1)",
    "i.new_full((2,), 3.7)", "x.new_full([], 2)", "i.new_full(2, 1)", "x.new_full((1, 2), True, dtype=m.bool)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _NEW_CALLS)
def test_new_factories(expr):
    _same_as_torch(expr, lambda m: {"m": m, "x": m.tensor([1.0, 2.0], dtype=m.float64), "i": m.tensor([1, 2])})


# torch's short compositions and aliases: values, dtypes, grad_fns, identity where torch returns the input, errors;
# x is [1., -2., 0.] (requires grad), i is [1, -2], b is [True, False]
_ALIAS_CALLS = [
    "m.sgn(b)", "m.deg2rad(i)", "m.rad2deg(b)", "x.rad2deg()", "x.absolute()", "m.absolute(i)", "x.true_divide(2)",
    "m.true_divide(i, i)", "x.ravel()", "x.view(3, 1).t().ravel()", "m.atleast_1d(x.sum())", "m.atleast_1d(x) is x",
    "m.atleast_3d(x)", "m.atleast_3d(x.view(1, 3))", "m.atleast_3d(x.sum())", "m.atleast_1d([x, x.sum()])",
    "m.atleast_1d(x, x)", "m.broadcast_tensors(x, x.sum())", "m.broadcast_tensors(x, x)[0] is x",
    "m.broadcast_tensors(x, m.ones(2))", "m.column_stack([x, x])", "m.column_stack([x.view(3, 1), x])",
    "m.dstack([x, x])", "m.inner(x, x)", "m.inner(x, 2 * x.sum())", "m.inner(x.view(1, 3), x.view(1, 3))",
    "m.nanmean(x)", "x.nanmean(0, keepdim=True)", "m.nanmean(i)", "m.tensor([0., float('nan'), 2.]).nanmean()",
    "m.msort(x)", "x.view(1, 3).sum_to_size(3)", "x.sum_to_size(1)", "x.sum_to_size(1, 3)", "x.sum_to_size(2)",
    "x.sum_to_size(3) is x", "x.view(3, 1).sum_to_size((1, 1))", "m.isreal(x)",
    "m.isposinf(m.tensor([float('inf'), 1]))", "m.isneginf(i)", "x.isneginf()", "m.isposinf(x.cfloat())",
    "m.logical_xor(x, i[:1])", "x.logical_xor(x)", "m.bitwise_not(i)", "i.bitwise_not()", "m.bitwise_not(x)",
    "m.autograd.grad(m.inner(x, x * 3), x)", "m.autograd.grad(m.nanmean(x * x), x)",
    "m.autograd.grad(m.column_stack([x, x]).sum(), x)", "m.autograd.grad(x.view(1, 3).sum_to_size(3)[0], x)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _ALIAS_CALLS)
def test_aliases_and_compositions(expr):
    _same_as_torch(
        expr,
        lambda m: {
            "m": m,
            "x": m.tensor([1.0, -2.0, 0.0], requires_grad=True),
            "i": m.tensor([1, -2]),
            "b": m.tensor([True, False]),
        },
    )


# a vector norm whose outputs each reduce one element is |x| in torch, at any order (no underflow through x ** ord)
_NORM_CALLS = [
    f"m.linalg.vector_norm(m.full({shape}, {v}), {o}{dim}).tolist()"
    for v in ("1e-20", "1.1754943508222875e-38", "-2.0")
    for shape, dim in (("()", ""), ("(2, 1)", ", dim=1"), ("(1, 2)", ", dim=0"))
    for o in (3, 0.5, 1.5, 2, -1, 0, "float('inf')")
]


# dist likewise: |x - y| over one element, and its gradient torch's norm_backward of the saved result (nan in float32
# where that norm's p-th powers underflow; values whose products stay clear of float32's subnormals, which XLA on CPU
# flushes to zero)
_DIST_CALLS = [
    f"m.autograd.grad(m.dist(x := m.full({shape}, {v}, dtype=m.{dt}, requires_grad=True), m.tensor(-0.), {o}), x){tail}"
    for v in ("1e-30", "1.1754943508222875e-38", "-2.0")
    for shape in ("()", "(1, 1)", "(2,)")
    for o in (3, 0.5, 2, 0, "float('inf')")
    for dt in ("float32", "float64")
    for tail in ("", "[0].tolist()")
] + [
    # p = 0: no gradient for input, and torch's formula for other negates that undefined tensor
    f"m.autograd.grad(m.dist(x := m.ones(2, requires_grad=True), y := m.zeros(2, requires_grad={r}), 0), {ins}, "
    "allow_unused=True)"
    for r in (True, False)
    for ins in ("(x, y)", "(x,)", "(y,)")
]


@pytest.mark.parametrize("expr", _NORM_CALLS)
def test_vector_norm_of_single_elements(expr):
    _same_as_torch(expr, lambda m: {"m": m})


@pytest.mark.parametrize("expr", _DIST_CALLS)
def test_dist_of_single_elements(expr):
    _same_as_torch(expr, lambda m: {"m": m})


def test_second_derivative_that_cancels_is_zero():
    """Two gradient contributions of ~1e38 that cancel exactly in torch (each rounded, then summed) cancel here too:
    XLA does not contract the product ending one of them into the sum (an FMA would keep ~1e22)."""
    expr = (
        "(lambda x, y: m.autograd.grad((lambda g: g[0] * 2.47344518 + g[1] * -2.47288847)(m.autograd.grad("
        "m.dist(x, y, p=3) * 1.51607239, (x, y), create_graph=True)), (x, y)))("
        "m.tensor(1.17549435e-38, dtype=m.float64, requires_grad=True), "
        "m.tensor(-0.0, dtype=m.float64, requires_grad=True))"
    )
    _same_as_torch(expr, lambda m: {"m": m})


_SECOND_ORDER = {
    "sinc": lambda m, x, y: m.sinc(x),
    "copysign": lambda m, x, y: m.copysign(x, y),
    "copysign by a function of x": lambda m, x, y: m.copysign(x, y - x),
}


@pytest.mark.parametrize("op", sorted(_SECOND_ORDER))
@settings(max_examples=max(10, settings().max_examples // 5))
@given(
    # (away from 0, sinc's derivative cancels even in float64, and torch's sin and cos round otherwise than XLA's)
    values=st.lists(
        st.sampled_from([0.0, 0.0625, -0.5, 1.0]) | st.floats(0.01, 3) | st.floats(-3, -0.01), min_size=2, max_size=4
    ),
    signs=st.lists(st.sampled_from([-1.5, -0.0, 0.0, 2.0]), min_size=4, max_size=4),
)
def test_second_derivatives_in_float64(op, values, signs):
    """First and second derivatives where float32 rounding is out of the way (float64: test_ops' specs compare float32
    first derivatives; these formulas cancel near 0 in float32, differently in torch's kernels)."""
    results = []
    for m in (torch, torchish):
        x = m.tensor(values, dtype=m.float64, requires_grad=True)
        y = m.tensor(signs[: len(values)], dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(_SECOND_ORDER[op](m, x, y).sum(), x, create_graph=True)
        second = m.autograd.grad((g * g).sum(), (x, y), allow_unused=True)
        results.append([g.detach().numpy()] + [None if h is None else h.numpy() for h in second])
    for ours, theirs in zip(results[1], results[0]):
        assert (ours is None) == (theirs is None)
        if theirs is not None:
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12, equal_nan=True)


# addmv / addr / addbmm and their in-place forms: beta == 0 ignores input, torch's shape and dtype errors; m is a
# 2x3 matrix of ones, v a 3-vector, i2 a 2-vector
_BLAS_SUM_CALLS = [
    "M.addmv(i2, m, v)", "M.addmv(i2, m, v, beta=0.5, alpha=2)", "M.addmv(M.ones(1), m, v)", "M.addmv(M.ones(3), m, v)",
    "M.addmv(i2, m, M.ones(2))", "M.addmv(i2, v, v)", "M.addmv(M.tensor([float('nan'), 1]), m, v, beta=0)",
    "M.addmv(M.ones(2, dtype=M.float64), m, v)", "M.addmv(i2, m.long(), v.long())", "M.addmv(M.tensor(1.), m, v)",
    "M.addmv(M.ones(2, 1), m, v)", "i2.addmv(m, v)", "M.ones(1).addmv_(m, v)", "M.tensor(1.).addmv_(m, v)",
    "M.addr(m, i2, v)", "M.addr(m, i2, v, beta=0, alpha=3)", "M.addr(M.ones(3), i2, v)", "M.addr(m, m, v)",
    "M.addr(M.ones(2, 3, dtype=M.long), M.tensor([1, 2]), M.tensor([1, 2, 3]), alpha=2)",
    "M.addr(m.long(), i2.long(), v.long(), alpha=0.5)", "M.addr(m.long(), i2.long(), v.long(), beta=0.5, alpha=0.5)",
    "M.addr(m.bool(), i2.bool(), v.bool())", "M.addr(M.ones(4), i2, v)", "M.addr(m, i2, v.double())",
    "M.ones(3).addr_(i2, v)", "M.ones(1, 1).addr_(i2, v)", "M.ones(2, 3).addr_(i2.double(), v)",
    "M.addbmm(m, M.ones(4, 2, 5), M.ones(4, 5, 3))", "M.addbmm(m, M.ones(4, 2, 5), M.ones(3, 5, 3))",
    "M.addbmm(M.ones(3), M.ones(4, 2, 5), M.ones(4, 5, 3))", "M.addbmm(m, M.ones(4, 2, 5), M.ones(4, 4, 3))",
    "M.addbmm(M.ones(3, 3), M.ones(4, 2, 5), M.ones(4, 5, 3))",
    "M.addbmm(m, M.ones(4, 2, 5, dtype=M.float64), M.ones(4, 5, 3))",
    "M.addbmm(m, M.ones(0, 2, 5), M.ones(0, 5, 3), beta=2)", "M.ones(2).addmm_(m, M.ones(3, 2))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _BLAS_SUM_CALLS)
def test_blas_sums(expr):
    _same_as_torch(expr, lambda M: {"M": M, "m": M.ones(2, 3), "v": M.ones(3), "i2": M.ones(2)})


# where's condition: bool (a uint8 one is deprecated: a once-per-process warning), else torch's error, which
# comes before the broadcast check
_WHERE_CALLS = [
    "m.where(x > 1, x, 0.5)", "m.where(x, x, 0.5)", "m.where(i, x, 0.5)", "m.where(i.byte(), x, 0.5)",
    "x.where(x > 1, i)", "(x > 1).where(x, i)", "m.where(x.double(), x, m.ones(3))", "m.where(x > 1, x, m.ones(3))",
    "m.where(i.bool(), x, i)", "m.where(m.tensor(True), x, i.double())",
]  # fmt: skip


@pytest.mark.parametrize("expr", _WHERE_CALLS)
def test_where_condition(expr):
    _same_as_torch(expr, lambda m: {"m": m, "x": m.tensor([1.0, 2.0]), "i": m.tensor([1, 0])})


_CLAMP_GRAPHS = {
    "both": lambda m, x, lo, hi: x.clamp(lo, hi),
    "min": lambda m, x, lo, hi: x.clamp(lo),
    "max": lambda m, x, lo, hi: x.clamp(max=hi),
    "clamp_min": lambda m, x, lo, hi: x.clamp_min(lo),
    "clamp_max": lambda m, x, lo, hi: m.clamp_max(x, hi),
    "numbers": lambda m, x, lo, hi: x.clamp(2, 3.0),
    "clamp_min number": lambda m, x, lo, hi: x.clamp_min(2.0),
    "broadcast bound": lambda m, x, lo, hi: x.view(2, 3).clamp(lo[:3]),
    "in place": lambda m, x, lo, hi: (x * 1).clamp_(lo, hi),
    "clamp_min_ in place": lambda m, x, lo, hi: (x * 1).clamp_min_(lo),
    "clamp_max_ number in place": lambda m, x, lo, hi: (x * 1).clamp_max_(2),
}


@pytest.mark.parametrize("case", sorted(_CLAMP_GRAPHS))
def test_clamp_graphs(case):
    """grad_fn, next_functions and saved values of each overload; gradients at ties, NaNs and crossed bounds
    (torch gives max the gradient where max < min, even where the value is NaN)."""
    results = []
    for m in (torch, torchish):
        nan = float("nan")
        x = m.tensor([1.0, 2.0, 3.0, 4.0, nan, 2.5], requires_grad=True)
        lo = m.tensor([2.0, 2.0, 2.0, 5.0, 2.0, 3.0], requires_grad=True)
        hi = m.tensor([3.0, 3.0, 3.0, 3.0, 3.0, 2.0], requires_grad=True)
        y = _CLAMP_GRAPHS[case](m, x, lo, hi)
        fn = y.grad_fn
        saved = [repr(getattr(fn, k, "-")) for k in ("_saved_self", "_saved_min", "_saved_max")]
        edges = [None if f is None else f.name() for f, _ in fn.next_functions]
        grads = m.autograd.grad(y.sum(), [x, lo, hi], allow_unused=True)
        results.append((repr(y), fn.name(), saved, edges, repr(grads)))
    assert results[1] == results[0]


def _graph_chain(fn, depth=0):
    if fn is None or depth > 8:
        return None
    return (fn.name(), [_graph_chain(f, depth + 1) for f, _ in fn.next_functions if f is not None and f.next_functions])


@pytest.mark.parametrize(
    "shapes",
    [
        ((3,), (2, 3, 4)),
        ((4, 3), (2, 3, 5)),
        ((2, 3, 4), (4,)),
        ((2, 3, 4), (4, 5)),
        ((2, 2, 3), (2, 3, 4)),
        ((1, 2, 3), (2, 3, 4)),
        ((2, 2, 3), (1, 3, 4)),
        ((2, 1, 2, 3), (3, 3, 1)),
        ((3,), (2, 2, 3, 4)),
        ((2, 1, 3), (4, 1, 3, 2)),
        ((0, 2, 3), (3, 2)),
        ((2, 3), (0, 3, 2)),
        ((2, 3, 4), (3,)),
        ((2, 3), (2, 2, 3)),
    ],
    ids=str,
)
def test_matmul_graph(shapes):
    """torch's matmul is dot, mv, mm, a fold of the larger operand's batch into mm / mv, or bmm of both expanded
    to one batch, chosen by which operand requires grad and by strides: the graph, strides, version, values,
    gradients and error texts follow that choice."""
    for needs, transposed, dtypes in itertools.product(
        [(True, True), (True, False), (False, True)], [False, True], [("float32", "float32"), ("float32", "float64")]
    ):
        results = []
        for m in (torch, torchish):
            n = [math.prod(s) for s in shapes]
            a = (m.arange(float(n[0])) - 2).reshape(shapes[0]).to(getattr(m, dtypes[0])).requires_grad_(needs[0])
            b = (m.arange(float(n[1])) * 0.5).reshape(shapes[1]).to(getattr(m, dtypes[1])).requires_grad_(needs[1])
            if transposed and a.dim() >= 2:
                a = a.mT.contiguous().mT
            try:
                y = a @ b
                grads = m.autograd.grad(y.sum(), [t for t in (a, b) if t.requires_grad])
                results.append(repr((_graph_chain(y.grad_fn), y.stride(), y._version, y, grads)))
            except RuntimeError as e:
                results.append(str(e))
        assert results[1] == results[0], (needs, transposed, dtypes)


# outer, kron and tensordot are ATen composites: their checks, dtypes and graphs (x: 2x3, v: 3)
_COMPOSITE_CALLS = [
    "m.outer(x, v)", "m.outer(v, m.ones(()))", "v.outer(x)", "v.ger(v)", "m.outer(v, v.double()).dtype",
    "m.kron(x, v)", "x.kron(x.t())", "m.kron(v, v.long()).dtype", "m.kron(m.ones(()), x)",
    "m.tensordot(x, x, ([0], [1]))", "m.tensordot(x, x, ([0, 1], [1]))", "m.tensordot(x, x, 3)",
    "m.tensordot(x, x, -1)", "m.tensordot(x, x.double(), 1)", "m.tensordot(x, x.t().long(), 1)",
    "m.tensordot(x, x.t(), ([1, 1], [0, 0]))", "m.tensordot(x, x.t(), m.tensor(1))",
    "m.tensordot(x, x.t(), m.tensor([[1], [0]]))", "m.tensordot(x, x.t(), 'a')", "m.tensordot(x, x.t(), ([5], [0]))",
    "m.tensordot(x, x.t(), 1, out=m.zeros(2, 2, dtype=m.float64))", "m.tensordot(x, x.t(), 1, out=m.zeros(2, 2))",
    "m.tensordot(m.ones(2, 1, 3), m.ones(4, 3, 2), ([1, 2], [0, 1]))",
    "m.linalg.multi_dot([x, x.t().double()])", "m.linalg.multi_dot([x, x.t().long(), x])",
    "m.linalg.multi_dot([v, x.t(), x, v.half()])",
]  # fmt: skip


@pytest.mark.parametrize("expr", _COMPOSITE_CALLS)
def test_composite_checks(expr):
    _same_as_torch(expr, lambda m: {"m": m, "x": m.arange(6.0).reshape(2, 3), "v": m.arange(3.0)})


@pytest.mark.parametrize(
    "shapes",
    [
        ((1,), (1,), ([0], [0])),
        ((3,), (3,), ([0], [0])),
        ((2, 3), (3,), ([1], [0])),
        ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
        ((2, 3), (2, 3), ([0, 1], [0, 1])),
        ((3, 2), (3,), ([0], [0])),
        ((2, 1), (3, 1), ([1], [1])),
        ((1, 3), (3, 1), ([1], [0])),
        ((0, 3), (3, 0), ([1], [0])),
        ((2, 3), (3, 2), ([0, 1], [1, 0])),
    ],
    ids=str,
)
def test_tensordot_graph(shapes):
    """ATen's tensordot: sums away contracted dims of size 1, permutes, then mm (a dot, or a sum of products when
    a flat operand would need a copy, when the result is one number)."""
    results = []
    for m in (torch, torchish):
        a = m.arange(1.0, 1 + math.prod(shapes[0])).reshape(shapes[0]).requires_grad_()
        b = m.arange(1.0, 1 + math.prod(shapes[1])).reshape(shapes[1]).requires_grad_()
        y = m.tensordot(a, b, shapes[2])
        results.append(repr((_graph_chain(y.grad_fn), y, m.autograd.grad(y.sum(), [a, b]))))
    assert results[1] == results[0]


@pytest.mark.parametrize("n", [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7])
@pytest.mark.parametrize("batched", [False, True])
def test_matrix_power_graph(n, batched):
    """ATen's matrix_power: clone (and the identity copied in for 0), the inverse for n < 0, then matmuls by the
    bits of n, least significant first."""
    results = []
    for m in (torch, torchish):
        a = (m.eye(2) + 0.25 * m.arange(4.0).reshape(2, 2)).expand(3, 2, 2) if batched else m.eye(2) * 2 + 0.5
        a = a.clone().requires_grad_()
        y = m.linalg.matrix_power(a * 1, n)
        results.append(repr((_graph_chain(y.grad_fn), y, m.autograd.grad(y.sum(), a))))
    assert results[1] == results[0]


_LAPACK_LAYOUTS = {
    "inv": lambda m, x: m.linalg.inv(x),
    "cholesky": lambda m, x: m.linalg.cholesky(x @ x.mT),
    "cholesky upper": lambda m, x: m.linalg.cholesky(x @ x.mT, upper=True),
    "solve": lambda m, x: m.linalg.solve(x, x),
    "solve right": lambda m, x: m.linalg.solve(x, x, left=False),
    "solve vector": lambda m, x: m.linalg.solve(x, m.ones(3)),
    "qr": lambda m, x: m.linalg.qr(x),
    "qr of a wide matrix": lambda m, x: m.linalg.qr(x[..., :2]),
    "svd": lambda m, x: m.linalg.svd(x, full_matrices=False),
    "torch.svd": lambda m, x: m.svd(x),
    "eigh": lambda m, x: m.linalg.eigh(x @ x.mT),
    "pinv": lambda m, x: m.linalg.pinv(x),
    "inv * 2": lambda m, x: m.linalg.inv(x) * 2,
    "inv viewed flat": lambda m, x: m.linalg.inv(x).view(-1),
}


@pytest.mark.parametrize("case", sorted(_LAPACK_LAYOUTS))
@pytest.mark.parametrize("batched", [False, True])
def test_lapack_results_are_column_major(case, batched):
    """LAPACK returns batches of column-major matrices: torch's strides, and the view() errors they bring."""
    results = []
    for m in (torch, torchish):
        a = m.eye(3) * 2 + 0.25 * m.arange(9.0).reshape(3, 3).tril()
        x = a.expand(2, 3, 3).clone() if batched else a
        try:
            out = _LAPACK_LAYOUTS[case](m, x)
            results.append([t.stride() for t in (out if isinstance(out, tuple) else (out,))])
        except RuntimeError as e:
            results.append(str(e))
    assert results[1] == results[0]


@pytest.mark.parametrize("eigenvectors", [False, True])
def test_eigh_second_derivative_near_a_power_of_two(eigenvectors):
    """float32 second derivatives through eigh as accurate as torch's: the reciprocal eigenvalue gaps have an
    exact zero diagonal. JAX's 1 / (1 + w_j - w_i) - 1 rounds there where 1 + w crosses a power of two (here
    w = 511.335), which put test_grad[eigvalsh]'s second derivative 6% off."""
    results = []
    for m in (torch, torchish):
        x = m.tensor([[2.48217, 3.0], [-2.6421063, -2.6421063]], requires_grad=True)
        a = x + m.diag(m.tensor([20.0, 40.0]))
        w, v = m.linalg.eigh(a @ a.mT)
        out = w * m.tensor([-1.3370755, 0.75072885]) + ((v * v).sum(0) if eigenvectors else 0)
        (g,) = m.autograd.grad(out.sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * m.tensor([[-1.6654708, 2.53], [-1.3797979, 0.5]])).sum(), x)
        results.append(torch.tensor(gg.detach().numpy()))
    torch.testing.assert_close(results[1], results[0])


@pytest.mark.parametrize(
    "shapes",
    [
        [(3,), (3, 4)],
        [(3,), (3,)],
        [(2, 3), (3, 4), (4, 5)],
        [(5, 1), (1, 5), (5, 2)],
        [(2, 3), (3, 4), (4, 5), (5, 2)],
        [(3,), (3, 4), (4, 5), (5,)],
        [(4, 1), (1, 6), (6, 2), (2, 7), (7, 3)],
        [(2, 3), (3, 4, 1)],
        [(2, 3, 1), (3, 4, 1)],
        [(2, 3), (3, 4), (4, 5, 1), (2,)],
        [(2, 3), (4, 4)],
        [(2,)],
    ],
    ids=str,
)
def test_multi_dot_order_and_checks(shapes):
    """ATen's multi_dot: mm in the cheaper order of three, matrix-chain order for more, its checks in its order."""
    results = []
    for m in (torch, torchish):
        ts = [(m.arange(float(math.prod(s))).reshape(s) * 0.1).requires_grad_() for s in shapes]
        try:
            y = m.linalg.multi_dot(ts)
            results.append(repr((y, _graph_chain(y.grad_fn), m.autograd.grad(y.sum(), ts))))
        except RuntimeError as e:
            results.append(str(e))
    assert results[1] == results[0]


# ------------------------------------------------------------------------------------------------ einsum

EINSUM_EXAMPLES = settings(max_examples=max(20, settings().max_examples // 4))

_EINSUM_LABELS = "abcd"


@st.composite
def _einsum_cases(draw):
    """An einsum equation with its operands' shapes: repeated labels (diagonals), labels of size 1 in one operand
    (broadcast), an ellipsis, an implicit or explicit output, and operands laid out transposed."""
    sizes = {c: draw(st.integers(1, 3)) for c in _EINSUM_LABELS}
    ell = draw(st.lists(st.integers(1, 2), max_size=2))
    terms, shapes = [], []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(st.lists(st.sampled_from(_EINSUM_LABELS), max_size=3))
        shape = [1 if draw(st.integers(0, 4)) == 0 else sizes[c] for c in labels]
        for k, c in enumerate(labels):  # (a repeated label's dims are one diagonal: the same size)
            shape[k] = shape[labels.index(c)]
        if ell and draw(st.booleans()):
            at = draw(st.integers(0, len(labels)))
            covered = ell[len(ell) - draw(st.integers(0, len(ell))) :]
            labels = labels[:at] + ["..."] + labels[at:]
            shape = shape[:at] + [1 if draw(st.booleans()) else n for n in covered] + shape[at:]
        terms.append("".join(labels))
        shapes.append(tuple(shape))
    equation = ",".join(terms)
    if draw(st.booleans()):
        used = sorted({c for t in terms for c in t if c != "."})
        out = draw(st.permutations(used).map(lambda p: list(p[: draw(st.integers(0, len(p)))])))
        if any("..." in t for t in terms) and draw(st.booleans()):
            out.insert(draw(st.integers(0, len(out))), "...")
        equation += "->" + "".join(out)
    return equation, shapes, draw(st.lists(st.booleans(), min_size=len(shapes), max_size=len(shapes)))


def _einsum_result(m, equation, shapes, transposed):
    operands = []
    for k, (shape, t) in enumerate(zip(shapes, transposed)):
        x = (m.arange(float(math.prod(shape)), dtype=m.float64) * 0.5 - k).reshape(shape)
        if t and x.dim() >= 2:
            x = x.mT.contiguous().mT
        operands.append(x.requires_grad_())
    try:
        y = m.einsum(equation, *operands)
        grads = m.autograd.grad(y.sum(), operands, allow_unused=True, materialize_grads=True)
    except RuntimeError as e:
        return str(e)
    # (a gradient's dim of one element may have any stride: torch's depends on which view made it)
    layouts = [tuple(st if n > 1 else None for n, st in zip(g.shape, g.stride())) for g in grads]
    return repr((_graph_chain(y.grad_fn), y.stride(), y, grads, layouts))


@EINSUM_EXAMPLES
@given(case=_einsum_cases())
def test_einsum_graph(case):
    """ATen's einsum: diagonal / unsqueeze / permute each operand, then sumproduct_pair's permute -> reshape ->
    bmm -> view -> permute per pair, in opt_einsum's order for three operands: graph, strides, values, gradients
    and error texts as torch's."""
    results = [_einsum_result(m, *case) for m in (torch, torchish)]
    assert results[1] == results[0]


def test_einsum_left_to_right_without_opt_einsum():
    case = ("ab,bc,cd->ad", [(4, 1), (1, 5), (5, 2)], [False] * 3)
    results = []
    for m in (torch, torchish):
        m.backends.opt_einsum.enabled = False
        try:
            results.append(_einsum_result(m, *case))
        finally:
            m.backends.opt_einsum.enabled = True
    assert results[1] == results[0]


# the equation's and the operands' checks, and the sublist and list forms (x: 2x3, v: 3)
_EINSUM_CALLS = [
    "m.einsum('ij->', x)", "m.einsum('ij,j', x, v)", "m.einsum('ij', [x])", "m.einsum(x, [0, 1], v, [1])",
    "m.einsum(x, [0, 1], v, [1], [0])", "m.einsum(x, [Ellipsis, 1], [1])", "m.einsum(x, [0, 52])",
    "m.einsum('ij')", "m.einsum('i', x)", "m.einsum('ij,j', x)", "m.einsum('ij', x, v)", "m.einsum('i.j', x)",
    "m.einsum('...i...', x)", "m.einsum('ij->i.', x)", "m.einsum('...ij->......', x)", "m.einsum('i1', x)",
    "m.einsum('ij->i1', x)", "m.einsum('ij->ii', x)", "m.einsum('ij->k', x)", "m.einsum('ii', x)",
    "m.einsum('ij,i', x, v)", "m.einsum('...i,...i', x, m.ones(4, 3))", "m.einsum('ij,j', x, v.long())",
    "m.einsum('i,i', v.long(), v.long())", "m.einsum('i,i->i', v.int(), v.double())", "m.einsum('i j -> j i', x)",
    "m.einsum('ijk...', x)", "m.einsum('Ab,bC', x, x.t())", "m.einsum('ij,j', x, v, out=None)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _EINSUM_CALLS)
def test_einsum_checks(expr):
    _same_as_torch(expr, lambda m: {"m": m, "x": m.arange(6.0).reshape(2, 3), "v": m.arange(3.0)})


# BLAS: a product's sum starts from +0.0, so where every term is -0.0 torch's mm / bmm / mv / dot give +0.0 (XLA's
# product of one term gives -0.0), and so do the gradients torch computes with them; mv's matrix and dot take a
# plain product (which keeps -0.0)
_BLAS_CALLS = {
    "mm": (lambda m, a, b: m.mm(a, b), (1, 1), (1, 1)),
    "bmm": (lambda m, a, b: m.bmm(a, b), (1, 1, 1), (1, 1, 1)),
    "mv": (lambda m, a, b: m.mv(a, b), (1, 1), (1,)),
    "dot": (lambda m, a, b: m.dot(a, b), (1,), (1,)),
    "addmm": (lambda m, a, b: m.addmm(m.tensor([[-0.0]]), a, b), (1, 1), (1, 1)),
    "baddbmm": (lambda m, a, b: m.baddbmm(m.tensor([[[-0.0]]]), a, b), (1, 1, 1), (1, 1, 1)),
    "linear": (lambda m, a, b: m.nn.functional.linear(a, b, m.zeros(1)), (1, 1), (1, 1)),
    "matmul_fold": (lambda m, a, b: m.matmul(a, b), (2, 1, 1), (1, 1)),
    "einsum": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), (1, 1), (1, 1)),
}


@pytest.mark.parametrize("case", sorted(_BLAS_CALLS))
@pytest.mark.parametrize("signs", ["-1 * 0", "1 * 1, grad -0"])
def test_blas_results_have_no_negative_zero(case, signs):
    f, sa, sb = _BLAS_CALLS[case]
    results = []
    for m in (torch, torchish):
        fill = (-1.0, 0.0, -1.0) if signs == "-1 * 0" else (1.0, 1.0, -0.0)
        a = m.full(sa, fill[0], requires_grad=True)
        b = m.full(sb, fill[1], requires_grad=True)
        y = f(m, a, b)
        y.backward(m.full_like(y, fill[2]))
        results.append(repr((y, a.grad, b.grad)))
    assert results[1] == results[0]


# ATen's bilinear: its checks, then both inputs flattened, one _trilinear, a view back and the bias added (a: 2x3,
# b: 2x4, w: 5x3x4, c: 5; w requires grad)
_BILINEAR_CALLS = [
    "g(F.bilinear(a, b, w, c))", "g(F.bilinear(a, b, w))", "g(F.bilinear(a[0], b[0], w, c))",
    "g(F.bilinear(a.expand(2, 2, 3), b.expand(2, 2, 4), w, c))", "F.bilinear(a, b, w, c).stride()",
    "F.bilinear(a, b.t(), w)", "F.bilinear(a, b, w[:, :2])", "F.bilinear(a, b, w[:, :, :2])",
    "F.bilinear(a, b, w, c[:4])",
    "F.bilinear(a, b[None], w)", "F.bilinear(a.double(), b, w)", "F.bilinear(a.long(), b.half(), w, c.bfloat16())",
    "F.bilinear(a, b, w, c.double())", "m.autograd.grad(F.bilinear(a, b, w, c).sum(), w)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _BILINEAR_CALLS)
def test_bilinear(expr):
    def scope(m):
        a, b = m.arange(6.0).reshape(2, 3), m.arange(8.0).reshape(2, 4) / 4
        w, c = (m.arange(60.0).reshape(5, 3, 4) / 10).requires_grad_(), m.arange(5.0)
        return {
            "m": m,
            "F": m.nn.functional,
            "a": a,
            "b": b,
            "w": w,
            "c": c,
            "g": lambda y: (_graph_chain(y.grad_fn), y),
        }

    _same_as_torch(expr, scope)


_FLOAT_POWER_CALLS = [
    "m.float_power(2, 3)", "m.float_power('a', x)", "m.float_power(x, 'a')", "x.float_power('a')",
    "x.clone().float_power_(2)", "x.double().float_power_(m.tensor(2))", "x.double().float_power_(2j)",
    "x.cdouble().float_power_(x)", "m.float_power(x.cfloat(), 2)", "m.float_power(i, 0.5)", "m.float_power(True, x)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _FLOAT_POWER_CALLS)
def test_float_power_overloads_and_checks(expr):
    """float_power's three overloads, its parser's errors, and float_power_'s check that the base is already of
    the result's dtype."""
    results = []
    for m in (torch, torchish):
        # (i: squares, whose roots every pow rounds alike; torch's vectorised double pow of 2 ** 0.5 is 1 ulp off
        # the rounded root on some hosts, not others)
        x, i = m.tensor([1.0, 2.0]), m.tensor([1, 4])
        try:
            out = eval(expr, {"m": m, "x": x, "i": i})
            results.append((str(out.dtype), out.tolist(), out._version))
        except (RuntimeError, TypeError) as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


_AMINMAX_CALLS = [
    "m.aminmax(x)", "x.aminmax(dim=1, keepdim=True)", "m.aminmax(x, keepdim=True)", "m.aminmax(m.tensor(2.), dim=0)",
    "m.aminmax(m.tensor(2.), dim=0, keepdim=True)", "m.aminmax(m.tensor([True, False]))",
    "m.aminmax(m.zeros(0, 3), dim=1)",
    "m.aminmax(m.tensor([]))", "m.aminmax(m.zeros(2, 0), dim=1)", "m.aminmax(x, dim=2)", "m.aminmax(x, dim=(0, 1))",
    "m.aminmax(x, 1)", "x.aminmax(1)", "m.aminmax(m.tensor([1., float('nan')]))", "m.aminmax(x).values",
    "m.aminmax(x).min",
]  # fmt: skip


@pytest.mark.parametrize("expr", _AMINMAX_CALLS)
def test_aminmax_results_and_checks(expr):
    """aminmax's named result as torch prints it (min=, max=), a 0-dim input, empty inputs and its errors."""
    results = []
    for m in (torch, torchish):
        x = m.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
        try:
            results.append(repr(eval(expr, {"m": m, "x": x})))
        except (RuntimeError, TypeError, IndexError, AttributeError) as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


_EXACT_DIVISIONS = [
    "a / m.tensor(v, dtype=a.dtype)", "a / v", "a / m.full((3,), v, dtype=a.dtype)", "v / a",
    "a.div(v, rounding_mode='trunc')", "a.div(m.full((3,), v, dtype=a.dtype), rounding_mode='floor')", "a // v",
    "m.fmod(a, v)", "m.remainder(a, m.full((3,), v, dtype=a.dtype))",
    "m.autograd.grad(m.fmod(a, w).sum(), w)[0]", "m.autograd.grad(m.remainder(a, w).sum(), w)[0]",
]  # fmt: skip


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("expr", _EXACT_DIVISIONS)
def test_division_by_a_broadcast_divisor_is_exact(expr, dtype):
    """torch divides by a broadcast divisor (a scalar, a row) exactly; XLA would multiply by its reciprocal,
    which for 0.73046875 / 0.73046875 in float64 is not 1, and truncates or floors to 0 (fmod's and remainder's
    gradients with respect to the divisor read that quotient)."""
    v = 0.73046875
    results = []
    for m in (torch, torchish):
        a = m.full((2, 3), v, dtype=getattr(m, dtype), requires_grad=True)
        w = m.full((3,), v, dtype=getattr(m, dtype), requires_grad=True)
        out = eval(expr, {"m": m, "a": a, "w": w, "v": v})
        results.append(out.detach().numpy().tolist())
    assert results[1] == results[0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("x", "y"), [(1.0, 0.1), (-7.5, 0.3), (3.0, -0.7), (0.3, 0.1), (-1.0, 0.1)])
def test_remainder_gradient_floors_as_torchs_div_floor(x, y, dtype):
    """remainder's gradient for the divisor is -x.div(y, rounding_mode='floor'), torch's floor division from
    fmod: 1.0 // 0.1 is 9 there, where floor(1.0 / 0.1) is 10 (fmod's reads trunc(x / y) itself)."""
    results = []
    for m in (torch, torchish):
        a = m.tensor(x, dtype=getattr(m, dtype), requires_grad=True)
        b = m.tensor(y, dtype=getattr(m, dtype), requires_grad=True)
        grads = [m.autograd.grad(f(a, b), (a, b)) for f in (m.remainder, m.fmod)]
        results.append([[g.item() for g in pair] for pair in grads])
    assert results[1] == results[0]


_DIFF_OUT_CALLS = [
    "(m.diff(x, out=o4), o4)", "(m.diff(x, n=2, out=o4), o4)", "(m.diff(x, out=o2), o2)",
    "m.diff(x.requires_grad_(), out=o4)",
    "m.diff(x, out=m.zeros(4, dtype=m.int64))", "(m.diff(m.tensor([True, False, False]), out=ob), ob)",
    "(m.diff(x[:3], n=5, out=o4), o4)", "(m.diff(x[:3], n=0, out=o4), o4)", "(m.diff(x[None], dim=0, out=o4), o4)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _DIFF_OUT_CALLS)
def test_diff_out(expr):
    """diff's out= is its last step's sub_out (logical_xor_out for bools), with their checks: it was ignored."""
    _same_as_torch(
        expr,
        lambda m: {"m": m, "x": m.arange(5.0), "o4": m.zeros(4), "o2": m.zeros(2), "ob": m.zeros(2, dtype=m.bool)},
    )


_WARNING_CALLS = ["x.var(dim=0)", "m.var(x, dim=0)", "x.std(dim=0)", "m.std(x, 0)", "m.var_mean(x, 0)",
                  "m.cholesky(m.eye(2))"]  # fmt: skip


@pytest.mark.parametrize("call", _WARNING_CALLS)
def test_warnings_point_at_the_callers_line(call):
    """A warning an op gives names the user's line, through a method form as through the function."""
    seen = []
    for m in (torch, torchish):
        code = compile(f"\n\n{call}\n", "user_code.py", "exec")
        always = m.is_warn_always_enabled()
        m.set_warn_always(True)  # (cholesky's is once per process: whichever test came first would take it)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                exec(code, {"m": m, "x": m.ones(1, 3)})
        finally:
            m.set_warn_always(always)
        seen.append([(w.filename, w.lineno, w.category.__name__) for w in caught])
    assert seen[1] == seen[0] and seen[0]
