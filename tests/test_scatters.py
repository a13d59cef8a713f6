"""The gathers and scatters against torch: torch's argument checks in its order (dtype, shapes against self
and src, index bounds), the legacy reduce of scatter, scatter_reduce / masked_scatter / *_scatter / index_put /
fill_diagonal_ values and errors, and their nodes' edges. Values and gradients on drawn inputs are in
op_specs_scatter.py (test_ops.py runs them)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .engine_common import check
from .test_ops_composites import _same_as_torch

# x is a 3x4 float tensor that requires grad, s a 2x5 one, i the index [[0, 1, 0], [2, 2, 2]], d = x.detach()
_CALLS = [
    # gather
    "x.gather(1, i.int())", "x.gather(1, i.float())", "x.gather(0, m.zeros(4, 4, dtype=m.long))",
    "x.gather(1, m.zeros(4, 4, dtype=m.long))", "x.gather(1, i + 4)", "x.gather(1, i - 5)", "x.gather(2, i)",
    "x.gather(0, i[0])", "m.tensor(1.).gather(0, m.tensor(0))", "m.tensor(1.).gather(0, m.tensor([0, 0]))",
    "x.gather(0, m.zeros(0, 9, dtype=m.long))", "x.gather(0, m.zeros(0, 3).float())",
    # scatter / scatter_add: the checks
    "d.scatter(0, i.int(), s)", "d.scatter(0, i.float(), s)", "d.scatter(0, i, s.double())", "d.scatter(0, i[0], s)",
    "d.scatter(0, m.ones(4, 4, dtype=m.long), s)", "d.scatter(0, i + 5, s)", "d.scatter(0, i - 5, s)",
    "d.scatter(2, i, s)", "d.scatter(-3, i, s)", "d.scatter_add(0, i, s.double())", "m.scatter_add(d, 0, i, 2.)",
    "d.scatter(0, i, m.ones(5))", "d.scatter(0, i, m.tensor(2.))", "d.scatter(0, i, m.ones(1, 1))",
    "d.scatter(0, m.zeros(2, 5, dtype=m.long), m.ones(5))",
    "d.scatter(0, m.zeros(2, 3, dtype=m.long), m.ones(5, 2, 2))",
    "d.scatter(0, m.zeros(0, 3).float(), 1.)", "d.scatter(0, m.zeros(2, 2, 2, dtype=m.long), 1.)",
    "d.scatter(0, m.zeros(0, 3, 3, dtype=m.long), 1.)", "m.zeros(0).scatter(0, m.zeros(0, dtype=m.long), m.zeros(0))",
    "m.tensor(1.).scatter(0, m.tensor(0), 5.)", "m.tensor(1.).scatter(0, m.tensor([0]), 5.)",
    "m.zeros(3, dtype=m.long).scatter(0, m.tensor([0, 0, 2]), 1.5)",
    "m.zeros(3, dtype=m.long).scatter(0, m.tensor([0, 0, 2]), m.ones(3))",
    "d.scatter(0, i, value=2)", "d.scatter(0, i, 2)", "d.clone().scatter_(1, i, 7.)", "d.clone().scatter_add_(1, i, s)",
    # scatter's legacy reduce
    "d.scatter(0, i, s, reduce='add')", "d.scatter(0, i, s, reduce='multiply')", "d.scatter(0, i, 2., reduce='add')",
    "d.scatter(0, i, s, reduce='mean')", "m.zeros(3).scatter(0, m.tensor([0, 0, 2]), 1.5, reduce='add')",
    "d.long().scatter(0, i, 2.5, reduce='add')", "x.scatter(0, i, s, reduce='add').grad_fn.name()",
    "m.autograd.grad(x.scatter(0, i, s, reduce='add').sum(), x)",
    # scatter_reduce
    "m.scatter_reduce(d, 0, i, s, 'foo')", "m.scatter_reduce(d, 0, i.int(), s, 'sum')",
    "m.scatter_reduce(d, 0, i, s.double(), 'sum')", "m.scatter_reduce(d, 0, i[0], s, 'sum')",
    "m.scatter_reduce(d, 0, m.ones(4, 4, dtype=m.long), s, 'sum')", "m.scatter_reduce(d, 0, i + 5, s, 'sum')",
    "m.scatter_reduce(d, 2, i, s, 'sum')", "x.scatter_reduce_(0, i, s, 'sum')",
    "d.clone().scatter_reduce_(0, i, s, 'amin', include_self=False)",
    "m.scatter_reduce(m.tensor([[5, 6], [7, 8]]), 0, m.tensor([[0, 1], [1, 0]]), m.tensor([[1, 2], [3, 4]]), 'mean')",
    "m.scatter_reduce(m.tensor([[5, 6], [7, 8]]), 0, m.tensor([[0, 1], [1, 0]]), m.tensor([[1, 2], [3, 4]]), 'amax',"
    " include_self=False)",
    "m.scatter_reduce(m.tensor([5, 6]), 0, m.tensor([0, 0]), m.tensor([3, 4]), 'mean', include_self=False)",
    "m.scatter_reduce(m.tensor([True, False]), 0, m.tensor([1, 1]), m.tensor([True, False]), 'amin')",
    "m.scatter_reduce(m.tensor(2.), 0, m.tensor([0, 0]), m.tensor([3., 4.]), 'prod')",
    *[f"m.autograd.grad(m.scatter_reduce(x, 1, i, s, '{r}').sum(), (x, s))" for r in ("sum", "prod", "amax", "mean")],
    "m.autograd.grad(m.scatter_reduce(x, 1, i, s[:, :3], 'amax', include_self=False).sum(), (x, s))",
    "m.autograd.grad(m.scatter_reduce(m.zeros(3, requires_grad=True), 0, m.tensor([0, 0, 1]),"
    " m.tensor([0., 2., 0.], requires_grad=True), 'prod').sum(), m.tensor(0.))",
    # masked_scatter
    "m.masked_scatter(x, x > 0, m.zeros(2))", "m.masked_scatter(x, (x > 0).long(), m.zeros(12))",
    "m.masked_scatter(x, x > 0, m.zeros(12, dtype=m.float64))", "m.masked_scatter(d, d[0] > 0, m.arange(12.))",
    "m.masked_scatter(d[0], d > 0, m.arange(12.))", "d[0].clone().masked_scatter_(d > 0, m.arange(12.))",
    "d.clone().masked_scatter_(d[0] > 0, m.arange(12.))", "m.masked_scatter(d, d > 9, m.zeros(0))",
    "m.autograd.grad(m.masked_scatter(x, x > 0, s).sum(), (x, s))",
    # slice / select / diagonal_scatter
    "m.slice_scatter(d, m.zeros(3, 2), 1, 0, 2)", "m.slice_scatter(d, m.zeros(3, 2), 1, step=2)",
    "m.slice_scatter(d, m.zeros(3, 2), 1, -2)", "m.slice_scatter(d, m.zeros(3, 2), 1, -2, 100)",
    "m.slice_scatter(d, m.zeros(3, 2).double(), 1, 0, 2)", "m.slice_scatter(d, m.zeros(3, 2), 2, 0, 2)",
    "m.slice_scatter(d, m.zeros(3, 0), 1, 3, 1)", "m.slice_scatter(d, m.zeros(3, 2), 1, 0, 2, 0)",
    "m.slice_scatter(d, m.zeros(3, 3), 1, 0, 2)", "d.slice_scatter(m.zeros(1, 4))",
    "m.select_scatter(d, m.zeros(4), -3, 1)", "m.select_scatter(d, m.zeros(4).double(), 0, 1)",
    "m.select_scatter(d, m.zeros(3), 1, -1)", "m.select_scatter(d, m.zeros(3), 0, 1)",
    "m.select_scatter(d, m.zeros(4), 0, 5)", "d.select_scatter(m.zeros(4), 0, 0)",
    "m.diagonal_scatter(d, m.zeros(2), 2)", "m.diagonal_scatter(d, m.zeros(3), 0, 1, 0)",
    "m.diagonal_scatter(d, m.zeros(3), 0, 1, 1)", "m.diagonal_scatter(d, m.zeros(3).long())",
    "m.diagonal_scatter(d, m.zeros(4))", "d.diagonal_scatter(m.ones(3))",
    "m.autograd.grad(m.slice_scatter(x, s[:, :3].t(), 1, 1).sum(), (x, s))",
    "m.autograd.grad(m.diagonal_scatter(x * x, s[0, :3]).sum(), (x, s))",
    # index_put
    "m.index_put(x, m.tensor([0]), m.zeros(4))", "m.index_put(x, (m.tensor([0]),), 1.)",
    "d.index_put_((m.tensor([0]),), m.zeros(4, dtype=m.float64))",
    "m.index_put(d, (m.tensor([0, 0]),), m.ones(4), True)",
    "m.index_put(d, (m.tensor([0, 0]), m.tensor([1, 1])), m.tensor(2.), accumulate=True)",
    "m.index_put(d, (None, m.tensor([1, 3])), m.tensor(2.))", "d.index_put_((m.tensor([1]), None), m.tensor(2.))",
    "d.index_put((m.tensor([1]), 3), m.tensor(2.))", "d.index_put(m.tensor([1]), m.tensor(2.))",
    "m.index_put(d, (d > 0,), m.tensor(2.))",
    "m.index_put(d, (d > 0,), m.tensor(2.), accumulate=True)", "m.index_put(d, (m.tensor([5]),), m.tensor(2.))",
    "m.index_put(d, (m.tensor([0]),), m.ones(1, 1, 4))", "m.index_put(d, (m.tensor(1),), m.ones(4))",
    "m.index_put(x, (m.tensor([0, 0]),), s[0, :4], accumulate=True).grad_fn.next_functions[0][0].name()",
    "m.autograd.grad(m.index_put(x, (m.tensor([0, 0]),), s[0, :4], accumulate=True).sum(), (x, s))",
    "m.autograd.grad(m.index_put(x, (m.tensor([0, 0]),), s[0, :4]).sum(), (x, s))",
    "m.autograd.grad(m.index_put(x, (m.tensor([1]), m.tensor([2, 3])), s[0, 0]).sum(), (x, s))",
    "d.clone().index_put_((m.tensor([2]),), m.tensor(7.))",
    # put, index_reduce, as_strided_scatter
    "x.put(m.tensor([0, 5]), m.tensor([9.]))", "x.put(m.tensor([0.]), m.tensor([9.]))",
    "x.put(m.tensor([0]), m.tensor([9.]).double())", "x.put(m.tensor([[0, 1]]), m.tensor([9., 8.]))",
    "x.put(m.tensor([0, -13]), m.tensor([9., 8.]))", "x.put(m.tensor([0, 0]), m.tensor([9., 8.]))",
    "x.put(m.tensor([0., 1]), m.tensor([9.]).double())", "x.put(m.tensor([0, 12]), m.tensor([9., 8.]))",
    "x.put_(m.tensor([0]), m.tensor([9.]))", "d.clone().put_(m.tensor([-1, 3]), m.tensor([9., 8.]), accumulate=True)",
    "m.autograd.grad(x.put(m.tensor([0, 0]), s[0, :2], accumulate=True).sum(), (x, s))",
    "m.autograd.grad(x.put(m.tensor([0, 0]), s[0, :2]).sum(), (x, s))",
    "x.index_reduce(0, m.tensor([0, 0]), m.ones(2, 4), 'foo')",
    "x.index_reduce(0, m.tensor([0, 0]), m.ones(2, 2), 'prod')",
    "x.index_reduce(0, m.tensor([0, 5]), m.ones(2, 4), 'prod')",
    "x.index_reduce(0, m.tensor([[0, 1]]), m.ones(2, 4), 'prod')",
    "x.index_reduce(0, m.tensor([0, 1]).float(), m.ones(2, 4), 'prod')",
    "x.index_reduce(0, m.tensor([0, 1]), m.ones(2, 4).double(), 'prod')",
    "x.index_reduce(0, m.tensor([0, 1]), m.ones(3, 4), 'prod')",
    "x.index_reduce(0, m.tensor([0, 1, 9]), m.ones(3, 2), 'prod')",
    "x.index_reduce(2, m.tensor([0, 1]), m.ones(3, 2), 'prod')",
    "x.index_reduce(0, m.tensor([0, -1]).int(), m.ones(2, 4), 'mean')",
    "x.index_reduce(0, m.tensor([0, 2]).int(), m.ones(2, 4), 'mean')",
    "m.tensor(2.).index_reduce(0, m.tensor([0, 0]), m.tensor([3., 4]), 'prod')",
    "m.tensor(2.).index_reduce(0, m.tensor(0), m.tensor(3.), 'prod')",
    "d.clone().index_reduce_(1, m.tensor([3]), d[:, :1], 'amin')",
    "m.autograd.grad(x.index_reduce(1, m.tensor([0, 2, 0]), x[:, :3] * 2, 'amax', include_self=False).sum(), x)",
    "m.as_strided_scatter(x, m.zeros(3), (2,), (3,))", "m.as_strided_scatter(d, m.zeros(2).double(), (2,), (3,))",
    "m.as_strided_scatter(d, m.zeros(2), (2,), (3,), 1)", "m.as_strided_scatter(d, m.zeros(2), (2,), (3,), 11)",
    "m.autograd.grad((m.as_strided_scatter(x, s[0, :2], (2,), (2,), 0) * m.arange(12.).view(3, 4)).sum(), (x, s))",
    # fill_diagonal_
    "d.clone().fill_diagonal_(1, wrap=True)", "m.ones(7, 3).fill_diagonal_(2., wrap=True)",
    "m.ones(7, 3).fill_diagonal_(2.)", "m.ones(2, 3, 4).fill_diagonal_(2.)", "m.ones(3, 3, 3).fill_diagonal_(2.)",
    "m.ones(3).fill_diagonal_(2.)", "m.ones(3, 5).t().fill_diagonal_(0, wrap=True)", "x.fill_diagonal_(0)",
    "(x * 1).fill_diagonal_(0).grad_fn.name()", "m.autograd.grad((x * 1).fill_diagonal_(0, True).sum(), x)",
    # masked_select (its own node, broadcasting inside)
    "m.masked_select(x, x > 1.5)", "x.masked_select(m.tensor([True, False, True, False]))",
    "m.masked_select(x, m.tensor([1, 0, 1, 0]))", "m.masked_select(x, m.ones(3, dtype=m.bool))",
    "m.masked_select(x[0], m.ones(2, 4, dtype=m.bool))", "m.masked_select(d, m.tensor(True))",
    "m.masked_select(m.tensor(2.), m.tensor([True, True]))", "m.masked_select(x, x > 1.5, out=m.empty(0))",
    "m.masked_select(d, d > 1.5, out=m.empty(2))", "m.masked_select(d, d > 1.5, out=m.empty(0, dtype=m.float64))",
    "m.masked_select(x.t(), m.tensor([True, False, True]))",
    "m.autograd.grad((m.masked_select(x[:1], s[:, :4] > 1) ** 2).sum(), x)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_scatters_against_torch(expr):
    _same_as_torch(
        expr,
        lambda m: {
            "m": m,
            "x": m.tensor([[1.0, -2, 3, 0], [4, 5, -6, 2], [0, 8, 9, -1]], requires_grad=True),
            "d": m.tensor([[1.0, -2, 3, 0], [4, 5, -6, 2], [0, 8, 9, -1]]),
            "s": m.tensor([[1.0, 2, 0, 4, 5], [6, -7, 8, 9, 3]], requires_grad=True),
            "i": m.tensor([[0, 1, 0], [2, 2, 2]]),
        },
    )


def _graph_calls(m):
    x = m.tensor([[1.0, 2, 3], [4, 5, 6]], requires_grad=True)
    i = m.tensor([0, 0])
    y = x * 1
    y[i] = m.tensor([1.0, 2, 3], requires_grad=True)
    i.add_(1)  # torch saves the index tensors: a write to one is a version error at backward
    try:
        y.sum().backward()
        out = ["ok"]
    except RuntimeError as e:
        out = [str(e)]
    y = x.scatter(1, m.tensor([[0], [1]]), 5.0)
    y.sum().backward()
    try:
        y.sum().backward()
    except RuntimeError as e:
        out.append(str(e))
    return out


def test_saved_index_tensors():
    import torch

    import torchish

    assert _graph_calls(torchish) == _graph_calls(torch)


@st.composite
def _bad_index_cases(draw):
    """A 3x4 tensor (or its transpose), an index tensor with some bad entries (2-D ones possibly transposed),
    where it goes, and the value's layout."""
    transposed = draw(st.booleans())
    rows, cols = (4, 3) if transposed else (3, 4)
    where = draw(st.sampled_from(["rows", "cols", "both"]))
    size = rows if where != "cols" else cols
    shape = draw(st.sampled_from([(2,), (3,), (2, 2), (2, 3)]))
    entries = st.integers(-size, size - 1) | st.sampled_from([size, size + 5, -size - 1])
    index = draw(hnp.arrays(np.int64, shape, elements=entries))
    return transposed, where, index, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=max(15, settings().max_examples // 4))
@given(case=_bad_index_cases())
def test_an_out_of_bounds_index_fails_where_torch_visits_it(case):
    """torch checks indices as its index kernels visit the elements, in the order their TensorIterator sorts the
    dims by (self restrided, a put's value, the indices): the bad index it reports, and for a put the elements it
    wrote before it."""
    transposed, where, index, index_transposed, value_transposed = case

    def fn(m):
        x = m.arange(12.0).reshape(3, 4).t() if transposed else m.arange(12.0).reshape(3, 4)
        i = m.tensor(index.T.copy()).t() if index_transposed and index.ndim == 2 else m.tensor(index)
        key = {"rows": (i,), "cols": (slice(None), i), "both": (i, i.clamp(0, 2) if transposed else i.clamp(0, 3))}
        out = []
        try:
            out.append(x[key[where]])
        except IndexError as e:
            out.append(str(e))
        shape = x[tuple(k.clamp(0, 0) if isinstance(k, m.Tensor) else k for k in key[where])].shape
        value = -m.arange(1.0, 1 + math.prod(shape)).reshape(shape)
        if value_transposed and value.dim() >= 2:
            value = value.transpose(0, -1).contiguous().transpose(0, -1)
        try:
            x[key[where]] = value
        except IndexError as e:
            out.append(str(e))
        return out, x, x._version

    check(fn)
