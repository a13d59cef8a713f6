"""Helpers of the engine tests (test_engine.py, test_engine_state.py): a scenario is a function of the module
(torch or torchish) and of hypothesis-drawn float32 arrays; `check` runs it on both and compares what it returned
(values with a tight float32 tolerance, dtypes, shapes, requires_grad, is_leaf, grad_fn names, identities the
scenario reports as booleans, raised errors)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish

RTOL, ATOL = 1e-5, 1e-6

# a scenario builds a graph per example: keep the per-test budget a fraction of the profile's
FEW = settings(max_examples=max(10, settings().max_examples // 10))


def floats(lo=-2.0, hi=2.0):
    # (no subnormals: XLA on CPU flushes them to zero, a platform difference test_subnormal_values keeps in view;
    # here one would tie a max that torch does not)
    return st.floats(lo, hi, width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(shape, lo=-2.0, hi=2.0):
    return hnp.arrays(np.float32, shape, elements=floats(lo, hi))


def nonzero_arrays(shape):
    return hnp.arrays(np.float32, shape, elements=floats(0.25, 2.0) | floats(-2.0, -0.25))


def leaf(m, a, requires_grad=True):
    return m.tensor(np.array(a, dtype=np.float32), requires_grad=requires_grad)


def grad_fn_name(t, m):
    fn = t.grad_fn
    if fn is None:
        return None
    return fn.name()  # the same observable on both sides (qualified for CopySlices, CopyBackwards)


def observe(v, m):
    if isinstance(v, (torch.Tensor, torchish.Tensor)):
        arr = np.asarray(v.detach().numpy())
        return ("T", str(v.dtype), tuple(v.shape), arr, v.requires_grad, v.is_leaf, grad_fn_name(v, m))
    if isinstance(v, (tuple, list)):
        return tuple(observe(x, m) for x in v)
    if isinstance(v, dict):
        return {k: observe(x, m) for k, x in v.items()}
    return v


def node_names(fn):
    """A node's name and its next_functions' names and input numbers."""
    if fn is None:
        return None
    return fn.name(), tuple((None if f is None else f.name(), k) for f, k in fn.next_functions)


def graph_names(fn, depth=3):
    """The names of a node and the nodes below it, depth levels deep."""
    if fn is None or depth == 0:
        return None if fn is None else fn.name()
    return fn.name(), tuple(graph_names(f, depth - 1) for f, _ in fn.next_functions)


def assert_same(actual, expected, rtol=RTOL, atol=ATOL, path="out"):
    if isinstance(expected, tuple) and expected and expected[0] == "T":
        assert isinstance(actual, tuple) and actual and actual[0] == "T", f"{path}: {actual!r} vs tensor"
        _, dt, shape, arr, rg, il, name = expected
        _, dt2, shape2, arr2, rg2, il2, name2 = actual
        assert (dt2, shape2) == (dt, shape), f"{path}: dtype/shape {(dt2, shape2)} != {(dt, shape)}"
        np.testing.assert_allclose(arr2, arr, rtol=rtol, atol=atol, err_msg=path)
        assert (rg2, il2, name2) == (rg, il, name), f"{path}: (requires_grad, is_leaf, grad_fn) differ"
    elif isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), f"{path}: {actual!r} vs {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, rtol, atol, f"{path}[{i}]")
    elif isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), path
        for k in expected:
            assert_same(actual[k], expected[k], rtol, atol, f"{path}[{k!r}]")
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=rtol, abs=atol), path
    else:
        assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def run(fn, m, *args):
    try:
        return ("ok", observe(fn(m, *args), m))
    except Exception as e:  # noqa: BLE001 - the error is the observable
        return ("raised", type(e).__name__, str(e))


def check(fn, *args, rtol=RTOL, atol=ATOL):
    expected = run(fn, torch, *args)
    actual = run(fn, torchish, *args)
    if expected[0] == "raised" or actual[0] == "raised":
        assert actual == expected
    else:
        assert_same(actual[1], expected[1], rtol, atol)


CUSTOM_FUNCTIONS = ("double", "square", "square-ctx")
_FUNCTION_CACHE: dict = {}


def custom_functions(m):
    """torch.autograd.Function subclasses written once against either library (as a user would)."""
    if m in _FUNCTION_CACHE:
        return _FUNCTION_CACHE[m]

    class Double(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class Square(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    class SquareSetupContext(m.autograd.Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g if ctx.needs_input_grad[0] else None

    _FUNCTION_CACHE[m] = {"double": Double, "square": Square, "square-ctx": SquareSetupContext}
    return _FUNCTION_CACHE[m]
