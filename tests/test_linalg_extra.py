"""torch.linalg's LU, triangular solves, least squares, matrix_exp, the _ex variants and their compositions
(torchish/ops/linalg_extra.py) against torch: values, reprs, grad_fns, LinAlgError and the other error texts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchish

from .test_ops_composites import _same_as_torch


def _scope(m):
    a = m.tensor([[4.0, 1.0, 2.0], [0.5, 3.0, 1.0], [1.0, -1.0, 5.0]])
    return {
        "m": m,
        "A": a,
        "Ad": a.double(),
        "B": m.tensor([[1.5, 2.0], [0.0, -1.0], [3.0, 0.5]]),
        "A4": m.stack([a, a.t() * 2]),
        "I": m.ones(3, 3, dtype=m.int64),
        "T": m.tensor([[2.0, 1.0, 1.0], [4.0, 3.0, 3.0], [8.0, 7.0, 9.0]]),  # (LU pivots with ties)
        "S": m.tensor([[1.0, 2.0], [2.0, 4.0]]),  # singular
        "W": m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0], [1.0, 0.0]]),  # tall, full rank
        "Y": m.tensor([[1.0, 0.0, 2.0], [2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 1.0, 1.0]]),
        "v": m.tensor([1.0, 2.0, 3.0]),
        "nan": float("nan"),
        "inf": float("inf"),
    }


_CALLS = [
    # vecdot / vdot
    "m.linalg.vecdot(v, v)", "m.linalg.vecdot(A, B.t()[0])", "m.linalg.vecdot(A, A, dim=0)",
    "m.linalg.vecdot(m.ones(2, 3), m.ones(3), dim=0)", "m.linalg.vecdot(v, v, dim=3)",
    "m.linalg.vecdot(v.long(), v.long())", "m.linalg.vecdot(v, v.double())", "m.linalg.vecdot(v, m.ones(4))",
    "m.linalg.vecdot(A, m.ones(2, 3))", "m.linalg.vecdot(A, A, dim=2)", "m.vdot(v, v)", "m.vdot(v.long(), v.long())",
    "m.vdot(v, v.double())", "m.vdot(A, v)", "v.vdot(v * 2)",
    # matrix_exp
    "m.linalg.matrix_exp(A / 4)", "m.matrix_exp(A4 / 4)", "(A / 4).matrix_exp()", "m.linalg.matrix_exp(m.ones(3))",
    "m.linalg.matrix_exp(I)", "m.linalg.matrix_exp(m.ones(0, 0))", "m.linalg.matrix_exp(m.ones(2, 3))",
    "m.linalg.matrix_exp(m.zeros(2, 2, dtype=m.float64))",
    # solve_triangular / triangular_solve
    "m.linalg.solve_triangular(A, B, upper=True)", "m.linalg.solve_triangular(A, B, upper=False)",
    "m.linalg.solve_triangular(A, B.t(), upper=True, left=False)",
    "m.linalg.solve_triangular(A, B, upper=True, unitriangular=True)", "m.linalg.solve_triangular(A, B)",
    "m.linalg.solve_triangular(A, B, upper=True, left=False)", "m.linalg.solve_triangular(m.ones(3), B, upper=True)",
    "m.linalg.solve_triangular(A, m.ones(3), upper=True)", "m.linalg.solve_triangular(A, m.ones(2, 2), upper=True)",
    "m.linalg.solve_triangular(m.ones(2, 3), m.ones(2, 2), upper=True)",
    "m.linalg.solve_triangular(A, B.double(), upper=True)", "m.linalg.solve_triangular(Ad, B, upper=True)",
    "m.linalg.solve_triangular(I, I, upper=True)", "m.linalg.solve_triangular(A4, m.ones(4, 3, 2), upper=True)",
    "m.linalg.solve_triangular(A4, m.ones(1, 3, 2), upper=True)", "m.linalg.solve_triangular(A, A4, upper=False)",
    "m.linalg.solve_triangular(m.zeros(2, 2), m.ones(2, 1), upper=True)",
    "m.triangular_solve(B, A)", "m.triangular_solve(B, A, upper=False, transpose=True, unitriangular=True)",
    "m.triangular_solve(m.ones(3), A)", "m.triangular_solve(B, m.ones(3, 2))", "m.triangular_solve(B, A4)",
    "m.triangular_solve(B.double(), A)", "m.triangular_solve(m.ones(2, 2), A)",
    # LU
    "m.linalg.lu_factor(A)", "m.linalg.lu_factor(T)", "m.linalg.lu_factor(A4)", "m.linalg.lu_factor(W)",
    "m.linalg.lu_factor(W.t())", "m.linalg.lu_factor(m.ones(3))", "m.linalg.lu_factor(I)",
    "m.linalg.lu_factor(m.zeros(2, 2))", "m.linalg.lu_factor(m.stack([A[:2, :2], S]))",
    "m.linalg.lu_factor(A, pivot=False)", "m.linalg.lu_factor_ex(m.ones(2, 3, 3))",
    "m.linalg.lu_factor_ex(S, check_errors=True)", "m.linalg.lu_factor_ex(m.ones(4, 4))",
    "m.linalg.lu(A)", "m.linalg.lu(T)", "m.linalg.lu(W)", "m.linalg.lu(W.t())", "m.linalg.lu(A4)",
    "m.linalg.lu(m.ones(3))", "m.linalg.lu(I)", "m.linalg.lu(A, pivot=False)", "m.linalg.lu(S)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(A), B)", "m.linalg.lu_solve(*m.linalg.lu_factor(T), B)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(A), B.t(), left=False)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(A), B, adjoint=True)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(T), B.t(), left=False, adjoint=True)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(A4), B)", "m.linalg.lu_solve(*m.linalg.lu_factor(A), A4)",
    "m.linalg.lu_solve(A, m.ones(3), B)", "m.linalg.lu_solve(A, m.ones(2, dtype=m.int32), B)",
    "m.linalg.lu_solve(A, m.ones(3, dtype=m.int64), B)", "m.linalg.lu_solve(A, m.ones(3, dtype=m.int32), m.ones(2, 2))",
    "m.linalg.lu_solve(A, m.ones(3, dtype=m.int32), m.ones(3))",
    "m.linalg.lu_solve(A, m.ones(3, dtype=m.int32), B.double())",
    "m.linalg.lu_solve(m.ones(2, 3), m.ones(2, dtype=m.int32), B)",
    "m.linalg.lu_solve(A, m.tensor([3, 3, 3], dtype=m.int32), B)",
    "m.linalg.lu_solve(A, m.tensor([0, 3, 3], dtype=m.int32), B)",
    "m.linalg.lu_solve(A, m.tensor([4, 3, 3], dtype=m.int32), B)",
    "m.lu_unpack(*m.linalg.lu_factor(T))", "m.lu_unpack(*m.linalg.lu_factor(A4))",
    "m.lu_unpack(*m.linalg.lu_factor(W))", "m.lu_unpack(*m.linalg.lu_factor(W.t()))",
    "m.lu_unpack(*m.linalg.lu_factor(A), unpack_data=False)",
    "m.lu_unpack(*m.linalg.lu_factor(A), unpack_pivots=False)", "m.lu(A)", "m.lu(A4, get_infos=True)", "m.lu(S)",
    "m.lu_solve(B, *m.linalg.lu_factor(A))",
    # lstsq (torch's default gelsy reads uninitialised memory for wide matrices, m < n: its results vary from call to
    # call, so those go through gelsd)
    "m.linalg.lstsq(A, B)", "m.linalg.lstsq(A, v)", "m.linalg.lstsq(W, Y)", "m.linalg.lstsq(W, Y[:, 0])",
    "m.linalg.lstsq(W.t(), B[:2], driver='gelsd')", "m.linalg.lstsq(A4, B)", "m.linalg.lstsq(W, Y, driver='gelsd')",
    "m.linalg.lstsq(W, Y, driver='gelss')", "m.linalg.lstsq(W, Y, driver='gels')", "m.linalg.lstsq(W, Y, driver='foo')",
    "m.linalg.lstsq(W, Y[:, 0], driver='gels')", "m.linalg.lstsq(m.ones(4, 2), Y)",
    # (rank 1 with a zero column: its zero singular value is exact, where ones(4, 2)'s is a roundoff that differs
    # by host between LAPACK builds)
    "m.linalg.lstsq(m.tensor([[1.0, 0], [2, 0], [0, 0], [3, 0]]), Y, driver='gelsd')",
    "m.linalg.lstsq(m.ones(4, 2), Y, rcond=0.5)",
    "m.linalg.lstsq(A, m.ones(2, 2))", "m.linalg.lstsq(m.ones(3), B)", "m.linalg.lstsq(A, B.double())",
    "m.linalg.lstsq(I, I)", "m.linalg.lstsq(A4, m.ones(4, 3))", "m.linalg.lstsq(A4, m.ones(4))",
    "m.linalg.lstsq(A, m.tensor(1.0))", "m.linalg.lstsq(A4, A4, driver='gelsd')[1:]", "m.linalg.lstsq(W, A4)",
    "m.linalg.lstsq(A4, A4[0])", "m.linalg.lstsq(A4, m.ones(1, 3, 2))",
    # matrix_rank
    "m.linalg.matrix_rank(A)", "m.linalg.matrix_rank(S)", "m.linalg.matrix_rank(m.ones(3, 3))",
    "m.linalg.matrix_rank(m.ones(3, 3), hermitian=True)", "m.linalg.matrix_rank(A, atol=1.0, rtol=0.1)",
    "m.linalg.matrix_rank(A, tol=2.0)", "m.linalg.matrix_rank(A, 2.0)", "m.linalg.matrix_rank(m.ones(0, 3))",
    "m.linalg.matrix_rank(A, atol=m.tensor(2.0))", "m.linalg.matrix_rank(A4, atol=m.tensor([2.5, 100.0]))",
    "m.linalg.matrix_rank(A4, rtol=0.5)", "m.linalg.matrix_rank(A4.double(), hermitian=True)",
    "m.linalg.matrix_rank(m.ones(3))", "m.linalg.matrix_rank(I)", "m.linalg.matrix_rank(W)",
    # cond
    "m.linalg.cond(A)", "m.linalg.cond(A, -2)", "m.linalg.cond(A4, 'fro')", "m.linalg.cond(A, 'nuc')",
    "m.linalg.cond(A, 1)", "m.linalg.cond(A, -1)", "m.linalg.cond(A4, inf)", "m.linalg.cond(A, -inf)",
    "m.linalg.cond(W)", "m.linalg.cond(S)", "m.linalg.cond(S, 'fro')", "m.linalg.cond(S, 1)",
    "m.linalg.cond(m.zeros(2, 2))", "m.linalg.cond(m.zeros(2, 2), 'fro')", "m.linalg.cond(m.ones(3))",
    "m.linalg.cond(m.ones(2, 3), 'fro')", "m.linalg.cond(m.ones(2, 3), 1)", "m.linalg.cond(m.ones(2, 3), inf)",
    "m.linalg.cond(m.ones(2, 3), 1.0)", "m.linalg.cond(A, 3)", "m.linalg.cond(A, 'foo')", "m.linalg.cond(I)",
    "m.linalg.cond(m.ones(0, 0))", "m.linalg.cond(m.ones(2, 0, 0), 'fro')",
    # LinAlgError and the _ex variants
    "m.linalg.LinAlgError.__mro__[1:]", "m.linalg.inv(S)", "m.linalg.inv(m.stack([A, S]))", "m.linalg.inv(A4)",
    "m.linalg.solve(S, v[:2])", "m.linalg.solve(m.stack([S, S]), v[:2])", "m.linalg.cholesky(-m.eye(3))",
    "m.linalg.cholesky(m.stack([m.eye(3), m.diag(m.tensor([1.0, -1.0, 2.0]))]))",
    "m.linalg.inv_ex(A)", "m.linalg.inv_ex(S).info", "m.linalg.inv_ex(m.ones(3))",
    "m.linalg.inv_ex(m.zeros(2, 2, 2), check_errors=True)", "m.linalg.inv_ex(m.ones(4, 4)).info",
    "m.linalg.solve_ex(A, B)", "m.linalg.solve_ex(A, B, left=False)", "m.linalg.solve_ex(S, v[:2]).info",
    "m.linalg.solve_ex(m.zeros(2, 2, 2), m.ones(2, 2), check_errors=True)", "m.linalg.solve_ex(A, v[:2])",
    "m.linalg.cholesky_ex(A @ A.t())", "m.linalg.cholesky_ex(A @ A.t(), upper=True)",
    "m.linalg.cholesky_ex(m.diag(m.tensor([1.0, -1.0, 2.0]))).info",
    "m.linalg.cholesky_ex(-m.eye(2).expand(3, 2, 2)).info",
    "m.linalg.cholesky_ex(-m.eye(2), check_errors=True)", "m.linalg.cholesky_ex(m.ones(2, 3))",
    # tensorinv / tensorsolve
    "m.linalg.tensorinv((m.eye(6) + 0.1 * m.arange(36.0).reshape(6, 6) / 36).reshape(6, 2, 3), ind=1)",
    "m.linalg.tensorinv(m.tensor([[4.0, 1, 0.5, 0.2], [1, 3, 1, 0.5], [0.3, 1, 5, 1], [0, 0, 1, 6]]).view(2, 2, 2, 2))",
    "m.linalg.tensorinv(m.ones(4, 2, 2), ind=1)", "m.linalg.tensorinv(m.ones(4, 2, 2), ind=0)",
    "m.linalg.tensorinv(m.ones(4, 2, 3), ind=1)",
    "m.linalg.tensorsolve((m.eye(6) * 2 + m.arange(36.0).reshape(6, 6) / 36).reshape(2, 3, 6), m.ones(2, 3))",
    "m.linalg.tensorsolve((m.eye(6) * 2 + m.arange(36.0).reshape(6, 6) / 36).reshape(6, 2, 3), m.ones(6), dims=(0,))",
    "m.linalg.tensorsolve(m.ones(2, 3, 6), m.ones(2, 3))", "m.linalg.tensorsolve(m.ones(2, 3, 5), m.ones(2, 3))",
    # vander
    "m.linalg.vander(m.tensor([1, 2, 3]))", "m.linalg.vander(v, N=5)", "m.linalg.vander(v, N=1)",
    "m.linalg.vander(m.tensor(2.0))", "m.linalg.vander(m.tensor([True]))", "m.linalg.vander(v.to(m.int8))",
    "m.linalg.vander(v.half())", "m.linalg.vander(A)",
    # householder_product
    "m.linalg.householder_product(A, m.tensor([1.2, 0.5, 0.0]))",
    "m.linalg.householder_product(W, m.tensor([1.5, 0.3]))",
    "m.linalg.householder_product(W, m.tensor([1.5]))", "m.linalg.householder_product(A4, m.ones(2, 2))",
    "m.linalg.householder_product(A, m.ones(4))", "m.linalg.householder_product(m.ones(2, 3), m.ones(2))",
    "m.linalg.householder_product(A, m.ones(2, 3))", "m.linalg.householder_product(A, m.ones(3).double())",
    "m.linalg.householder_product(m.ones(3), m.ones(3))", "m.linalg.householder_product(I, m.ones(3))",
    "m.linalg.householder_product(A4, m.ones(3, 2))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_values_reprs_and_errors(expr):
    _same_as_torch(expr, _scope)


def _chain(t, depth=8):
    names, f = [], t.grad_fn
    while f is not None and depth:
        names.append(f.name())
        nxt = [n for n, _ in f.next_functions if n is not None]
        f = nxt[0] if nxt else None
        depth -= 1
    return names


# what each returns on a graph: grad_fns of every output (with their histories) and the gradients
_GRAPHS = [
    "m.linalg.vecdot(a[0], b[:, 0])", "m.linalg.vecdot(a[:2], b.t())", "m.linalg.matrix_exp(a / 4)",
    "m.linalg.solve_triangular(a, b, upper=True)", "m.linalg.solve_triangular(a, b.t(), upper=False, left=False)",
    "m.linalg.solve_triangular(a, b, upper=False, unitriangular=True)",
    "m.triangular_solve(b, a, transpose=True)", "m.linalg.lu_factor(a)", "m.linalg.lu_factor_ex(a)",
    "m.linalg.lu(a)", "m.linalg.lu(w)", "m.linalg.lu(w.t())", "m.lu_unpack(*m.linalg.lu_factor(a))",
    "m.linalg.lu_solve(*m.linalg.lu_factor(a), b)", "m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True)",
    "m.linalg.lu_solve(*m.linalg.lu_factor(a), b.t(), left=False)", "m.linalg.lstsq(a, b)", "m.linalg.lstsq(w, y)",
    "m.linalg.lstsq(w.t(), b[:2], driver='gelsd')", "m.linalg.lstsq(w, y, driver='gelsd')",
    "m.linalg.lstsq(w, y[:, 0], driver='gels')",
    "m.linalg.cond(a)", "m.linalg.cond(a, -2)", "m.linalg.cond(a, 'fro')", "m.linalg.cond(a, 'nuc')",
    "m.linalg.cond(a, 1)", "m.linalg.cond(a, -inf)", "m.linalg.inv_ex(a)", "m.linalg.solve_ex(a, b)",
    "m.linalg.cholesky_ex(a @ a.t())", "m.linalg.tensorinv(a.reshape(3, 3, 1), ind=1)",
    "m.linalg.tensorsolve(a.reshape(3, 3, 1), b[:, 0])", "m.linalg.vander(b[:, 0], N=4)",
    "m.linalg.householder_product(w, b[:2, 0])", "m.linalg.householder_product(a, b[:, 1])",
]  # fmt: skip


@pytest.mark.parametrize("expr", _GRAPHS)
def test_graphs_and_gradients(expr):
    results = []
    for m in (torch, torchish):
        a = m.tensor([[4.0, 1.0, 2.0], [0.5, 3.0, 1.0], [1.0, -1.0, 5.0]], dtype=m.float64, requires_grad=True)
        b = m.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]], dtype=m.float64, requires_grad=True)
        w = m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0], [1.0, 0.0]], dtype=m.float64, requires_grad=True)
        y = m.tensor([[1.0, 0.0, 2.0], [2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 1.0, 1.0]], dtype=m.float64)
        scope = {"m": m, "a": a, "b": b, "w": w, "y": y.requires_grad_(), "inf": float("inf")}
        out = eval(expr, scope)
        outs = list(out) if isinstance(out, tuple) else [out]
        # (torch's solution of a tall lstsq is the top of a taller column-major buffer: strides we do not keep)
        strides = "lstsq(w," not in expr
        graphs = [(t.dtype, t.requires_grad, _chain(t), strides and t.stride()) for t in outs]
        diff = [t for t in outs if t.requires_grad and t.numel()]
        loss = sum((t * (m.arange(t.numel(), dtype=t.dtype).reshape(t.shape) + 1) / 7).sum() for t in diff)
        leaves = [scope[k] for k in ("a", "b", "w", "y")]
        try:
            grads = m.autograd.grad(loss, leaves, allow_unused=True)
        except RuntimeError as e:  # (cond's masked_fill_ of inv_ex's saved result: torch's backward refuses it)
            graphs.append(str(e))
            grads = [None] * len(leaves)
        values = [np.asarray(t.detach().numpy()) for t in outs] + [
            None if g is None else np.asarray(g.numpy()) for g in grads
        ]
        results.append((graphs, values))
    assert repr(results[1][0]) == repr(results[0][0])
    for o, t in zip(results[1][1], results[0][1]):
        assert (o is None) == (t is None)
        if t is not None:
            np.testing.assert_allclose(o, t, rtol=1e-9, atol=1e-9)


def test_lu_pivots_break_ties_as_lapack():
    """getrf's partial pivoting takes the first of equal column maxima (idamax): torch's pivots, exactly."""
    results = []
    for m in (torch, torchish):
        x = m.tensor([[1.0, 2.0, 3.0], [-1.0, 2.0, 0.0], [1.0, -2.0, 5.0], [-1.0, 0.5, 1.0]])
        results.append([m.linalg.lu_factor_ex(t).pivots.tolist() for t in (x, x.t(), x[:3], m.ones(3, 3), -x[1:])])
    assert results[1] == results[0]
