"""Bit for bit: the reductions and scans whose rounding depends on the order torch's CPU kernels combine in.

prod multiplies the elements of a contiguous line in four SIMD-vector accumulators (one by one below four
vectors), and a strided line one by one; cumsum and cumprod keep one running value per line in double.
Their gradients are torch's formulas made of those same kernels. (Not bit for bit: cumprod's gradient at the
first zero of a line, which torch's sum adds up in its cascade order; test_ops compares it to a tolerance.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish

from .engine_common import check

_SHAPES = [(6,), (2, 3), (5, 40), (40, 5), (3, 40, 2), (2, 3, 70), (100, 1), (1000,), (33, 17)]


@st.composite
def _lines(draw, zeros=st.booleans()):
    shape = draw(st.sampled_from(_SHAPES))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    zeros = draw(zeros)
    values = np.random.default_rng(seed).uniform(0.5, 1.5, shape) * draw(st.sampled_from([1, -1]))
    if zeros:
        values.flat[seed % values.size] = 0.0
    return values, dim


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["prod", "prod dim", "prod keepdim", "cumsum", "cumprod"])
@given(data=st.data())
def test_values_and_gradients_are_torchs_bits(op, dtype, data):
    values, dim = data.draw(_lines(st.just(False)) if op == "cumprod" else _lines())

    def fn(m):
        x = m.tensor(values, dtype=getattr(m, dtype), requires_grad=True)
        y = {
            "prod": lambda: x.prod(),
            "prod dim": lambda: x.prod(dim),
            "prod keepdim": lambda: x.prod(dim, keepdim=True),
            "cumsum": lambda: x.cumsum(dim),
            "cumprod": lambda: x.cumprod(dim),
        }[op]()
        (g,) = m.autograd.grad(y, x, m.ones_like(y) * 0.75 - (y.detach() > 0).to(y.dtype))
        return y, g

    check(fn, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=_lines(st.just(True)))
def test_cumprod_of_lines_with_zeros_is_torchs_bits(dtype, case):
    values, dim = case

    def fn(m):
        return m.tensor(values, dtype=getattr(m, dtype)).cumprod(dim)

    check(fn, rtol=0, atol=0)


def test_a_strided_line_is_multiplied_in_order():
    """A line whose elements are a row apart: one running product (no vector lanes)."""
    values = np.random.default_rng(0).uniform(0.5, 1.5, (70, 3))
    got = torchish.tensor(values).prod(0)
    assert got.tolist() == torch.tensor(values).prod(0).tolist()
