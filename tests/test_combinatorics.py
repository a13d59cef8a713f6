"""tril/triu_indices, cartesian_prod, combinations, isin, unique_consecutive, nbytes/itemsize against torch: values,
dtypes, histories (StackBackward0 where torch composes them), errors; isin and unique_consecutive also on drawn
inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish

from .test_ops_composites import _same_as_torch

# x is [1., 2., 3.] requiring grad, i a long vector with runs
_CALLS = [
    "m.tril_indices(3, 3)", "m.tril_indices(-1, 3)", "m.tril_indices(3, -2)", "m.tril_indices(3, 4, -1)",
    "m.triu_indices(4, 3, 1)", "m.triu_indices(3, 3, dtype=m.int32)", "m.tril_indices(3, 3, dtype=m.float32)",
    "m.tril_indices(0, 3)", "m.tril_indices(3, 3, 10)", "m.triu_indices(3, 3, -10)", "m.triu_indices(2, 5, 3)",
    "m.isin(i, m.tensor([2, 5]))", "m.isin(i, 2)", "m.isin(2, m.tensor([1, 2]))", "m.isin(x, m.tensor([2]))",
    "m.isin(i.view(2, 4), m.tensor([[4]]), invert=True)", "m.isin(2, 3)", "m.isin(m.tensor([True]), m.tensor([1]))",
    "m.isin(m.tensor([1.5, float('nan')]), m.tensor([1.5, float('nan')]))", "m.isin(x, 2.0, assume_unique=True)",
    "m.isin(i, m.tensor([1 + 0j]))", "i.isin(m.tensor([1]))",
    "m.cartesian_prod(x, x[:2])", "m.cartesian_prod(x)", "m.cartesian_prod(x) is x",
    "m.cartesian_prod(x, x.view(3, 1))",
    "m.cartesian_prod()", "m.cartesian_prod(x, i, x[:1])", "m.cartesian_prod(x, i.float(), x[:1])",
    "m.combinations(x)", "m.combinations(x, 3)", "m.combinations(x, 2, True)", "m.combinations(x, 0)",
    "m.combinations(x, -1)", "m.combinations(x.view(3, 1))", "m.combinations(x, 4)", "m.combinations(x, 1)",
    "m.combinations(i, with_replacement=True).shape",
    "m.autograd.grad(m.combinations(x, 2, True).pow(2).sum(), x)",
    "m.autograd.grad(m.cartesian_prod(x, x).prod(1).sum(), x)",
    "m.unique_consecutive(i)", "m.unique_consecutive(i, return_inverse=True, return_counts=True)",
    "m.unique_consecutive(i.view(4, 2), dim=0, return_counts=True)", "m.unique_consecutive(i.view(4, 2), dim=1)",
    "m.unique_consecutive(i.view(2, 4), return_inverse=True)", "m.unique_consecutive(x)", "x.unique_consecutive()",
    "m.unique_consecutive(m.tensor(3.))", "m.unique_consecutive(m.tensor([]), return_counts=True)",
    "m.unique_consecutive(i.view(2, 4), dim=2)", "m.unique_consecutive(m.zeros(0, 2), dim=0, return_inverse=True)",
    "m.autograd.grad(m.unique_consecutive(x).sum(), x)",
    "m.unique_consecutive(x * 2).grad_fn.next_functions[0][0].name()",
    "x.nbytes", "x.itemsize", "i.nbytes", "m.zeros(2, 3, dtype=m.float16).nbytes", "x[::2].nbytes",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_against_torch(expr):
    _same_as_torch(
        expr,
        lambda m: {
            "m": m,
            "x": m.tensor([1.0, 2.0, 3.0], requires_grad=True),
            "i": m.tensor([1, 1, 2, 2, 3, 1, 1, 4]),
        },
    )


_small_ints = st.lists(st.integers(-2, 2), min_size=0, max_size=12)


@given(a=_small_ints, b=_small_ints, invert=st.booleans(), floats=st.booleans())
def test_isin_drawn(a, b, invert, floats):
    dt = "float64" if floats else "int64"
    got = torchish.isin(torchish.tensor(np.array(a, dt)), torchish.tensor(np.array(b, dt)), invert=invert)
    want = torch.isin(torch.tensor(np.array(a, dt)), torch.tensor(np.array(b, dt)), invert=invert)
    assert got.dtype.__repr__() == repr(want.dtype) and got.tolist() == want.tolist()


@given(a=st.lists(st.integers(0, 2), min_size=0, max_size=12), rows=st.sampled_from([1, 2]), along=st.booleans())
def test_unique_consecutive_drawn(a, rows, along):
    if len(a) % rows:
        a = a[: len(a) - len(a) % rows]
    shape = (rows, len(a) // rows)
    kw = {"return_inverse": True, "return_counts": True, "dim": 1 if along else None}
    got = torchish.unique_consecutive(torchish.tensor(np.array(a, "int64").reshape(shape)), **kw)
    want = torch.unique_consecutive(torch.tensor(np.array(a, "int64").reshape(shape)), **kw)
    assert [t.tolist() for t in got] == [t.tolist() for t in want]
