"""median, nanmedian, kthvalue, mode, sort and quantile against torch: the index each picks among equal values (rows
long enough for libstdc++'s introsort and TH's quickselect to partition, NaNs included), their gradients, and their
errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish
from tests.engine_common import check

# each example compiles its own tie layout: an eighth of the profile's budget (ci: 12, thorough: 125)
FEW = settings(max_examples=max(6, settings().max_examples // 16))

# few distinct values, so that rows are full of ties; NaN among them
_TIED = st.sampled_from([0.0, 1.0, 2.0, -1.0, float("nan")])


@st.composite
def _tied_rows(draw):
    rows, n = draw(st.integers(1, 3)), draw(st.integers(1, 40))
    values = draw(hnp.arrays(np.float32, (rows, n), elements=_TIED))
    return values, draw(st.integers(1, n)), draw(st.booleans())


_PICKS = {
    "sort": lambda m, x, k: m.sort(x, 1),
    "sort descending": lambda m, x, k: m.sort(x, 1, descending=True),
    "sort dim 0": lambda m, x, k: m.sort(x, 0, descending=k % 2 == 0),
    "argsort": lambda m, x, k: (m.argsort(x, 1, descending=k % 2 == 1), x.sum()),
    "msort": lambda m, x, k: m.msort(x.t()),
    "median": lambda m, x, k: m.median(x, 1),
    "nanmedian": lambda m, x, k: m.nanmedian(x, 1),
    "kthvalue": lambda m, x, k: m.kthvalue(x, k, 1),
    "mode": lambda m, x, k: m.mode(x, 1),
    "median all": lambda m, x, k: m.median(x),
    "nanmedian all": lambda m, x, k: m.nanmedian(x),
}


@pytest.mark.parametrize("op", sorted(_PICKS))
@FEW
@given(case=_tied_rows())
def test_picks_among_ties(op, case):
    """The value and index torch's CPU kernel picks, and the gradient that reaches that index (or, for a whole
    tensor's median, is shared by the elements equal to it)."""
    values, k, without_nan = case
    if without_nan:
        values = np.nan_to_num(values, nan=3.0)

    def fn(m):
        x = m.tensor(values, requires_grad=True)
        out = _PICKS[op](m, x, k)
        picked = out if isinstance(out, m.Tensor) else out[-1] if op == "argsort" else out.values
        (g,) = m.autograd.grad(picked.sum(), x)
        return (out if isinstance(out, m.Tensor) else tuple(out)), g

    check(fn)


@given(hnp.arrays(np.int64, st.integers(1, 40), elements=st.integers(0, 3)), st.booleans())
def test_mode_of_integers_and_bools(values, as_bool):
    def fn(m):
        x = m.tensor(values.astype(bool) if as_bool else values)
        return tuple(m.mode(x))

    check(fn)


# x is [[1, 2, 5, 1], [3, nan, 1, 0]] (see _same)
_CALLS = [
    "m.median(x)", "m.nanmedian(x)", "x.median(1)", "x.nanmedian(1)", "x.median(0, keepdim=True)",
    "m.median(m.tensor([]))", "m.median(m.tensor([]), 0)", "m.median(m.zeros(2, 0), 1)", "m.median(m.zeros(2, 0), 0)",
    "x.median(2)", "m.median(m.tensor([True]))", "m.median(m.tensor([1, 2, 3]))", "m.median(m.tensor(3.), 0)",
    "m.median(m.tensor(3.))", "m.median(x, dim=None)", "m.median(x, keepdim=True)", "m.median(x, 1, True)",
    "m.median(m.tensor([1, 2]), dim=0.5)", "m.nanmedian(m.tensor([float('nan')] * 5), 0)",
    "m.nanmedian(m.tensor([float('nan')] * 5))", "m.nanmedian(m.tensor([True]))", "m.nanmedian(m.tensor([True]), 0)",
    "m.kthvalue(x, 2, 1)", "m.kthvalue(x, 5, 1)", "m.kthvalue(x, 0, 1)", "m.kthvalue(m.tensor([]), 1)",
    "x.kthvalue(1)", "m.kthvalue(m.tensor(3.), 1)", "m.kthvalue(m.tensor([True, False]), 1)", "x.kthvalue(1, 5)",
    "m.kthvalue(m.zeros(0, 3), 1, 1)", "m.kthvalue(m.zeros(0, 3), 4, 1)", "m.mode(x, 1)", "m.mode(x)",
    "m.mode(m.tensor([]))", "m.mode(m.tensor(3.))", "m.mode(m.tensor([True, False, True]))", "m.mode(m.zeros(2, 0), 1)",
    "m.mode(m.zeros(2, 0), 0)", "x.mode(5)", "m.mode(x, keepdim=True)", "x.median(1).indices.grad_fn",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_calls_and_errors(expr):
    _same(expr)


# (each example compiles a sort and a gather for its shape: 10 in CI, 100 under the thorough profile)
QUANTILE_EXAMPLES = settings(max_examples=max(10, settings().max_examples // 10))


@QUANTILE_EXAMPLES
@given(
    hnp.arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 6)), elements=_TIED),
    # (subnormal q: XLA on CPU flushes them to zero, README's known differences)
    st.one_of(
        st.floats(0, 1, width=32, allow_subnormal=False),
        st.lists(st.floats(0, 1, width=32, allow_subnormal=False), min_size=1, max_size=3),
    ),
    st.sampled_from([None, 0, 1, -1]),
    st.booleans(),
    st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
    st.booleans(),
)
def test_quantile(values, q, dim, keepdim, interpolation, ignore_nan):
    """quantile / nanquantile op by op as ATen composes them: values, the SqueezeBackward4 / LerpBackward1 / Gather
    history, and gradients."""

    def fn(m):
        x = m.tensor(values, requires_grad=True)
        qs = m.tensor(q) if isinstance(q, list) else q
        f = m.nanquantile if ignore_nan else m.quantile
        r = f(x, qs, dim, keepdim, interpolation=interpolation)
        (g,) = m.autograd.grad(r.sum(), x)
        return r, g

    check(fn)


_QUANTILE_CALLS = [
    "m.quantile(x, 1.5)", "m.quantile(x.int(), 0.5)", "m.quantile(x, m.tensor([0.5], dtype=m.float64))",
    "m.quantile(x.detach().nan_to_num(), 0.3, 1).grad_fn", "m.quantile(x, 0.3, 1, interpolation='foo')",
    "m.quantile(m.tensor([]), 0.5)", "m.quantile(x, m.ones(2, 2) * 0.5)", "m.quantile(x, m.tensor([0.5, 1.5]))",
    "m.quantile(m.tensor(3.), 0.5)", "m.quantile(m.tensor(3.), 0.5, 0, True)",
    "m.nanquantile(m.tensor([float('nan')] * 3), 0.5)", "x.quantile(0.3, 1).grad_fn.next_functions[0][0].name()",
]  # fmt: skip


@pytest.mark.parametrize("expr", _QUANTILE_CALLS)
def test_quantile_calls_and_errors(expr):
    _same(expr)


def _same(expr):
    """expr under torch and torchish: the same repr, or the same error."""
    results = []
    for m in (torch, torchish):
        scope = {"m": m, "x": m.tensor([[1.0, 2.0, 5.0, 1.0], [3.0, float("nan"), 1.0, 0.0]], requires_grad=True)}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(repr(eval(expr, scope)))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]
