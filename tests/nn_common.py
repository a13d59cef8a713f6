"""Helpers shared by test_nn.py and test_optim.py: run a scenario under torch and torchish, compare."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish
import torchish.nn
import torchish.optim

MODULES = (torch, torchish)


def grad_fn_name(t) -> str | None:
    fn = t.grad_fn
    if fn is None:
        return None
    return fn.name()  # the same observable on both sides (qualified for CopySlices, CopyBackwards)


def observe(v):
    """A comparable record of a value: tensors become (dtype, shape, array, requires_grad, grad_fn name)."""
    if isinstance(v, (torch.Tensor, torchish.Tensor)):
        arr = np.array(v.detach().numpy())
        return ("T", str(v.dtype), tuple(v.shape), arr, v.requires_grad, grad_fn_name(v))
    if isinstance(v, (tuple, list)):
        return type(v)(observe(x) for x in v)
    if isinstance(v, dict):
        return {k: observe(x) for k, x in v.items()}
    if isinstance(v, BaseException):
        return ("E", type(v).__name__, str(v))
    return v


def assert_same(actual, expected, rtol=1e-5, atol=1e-6, path="out", exact=False):
    """actual: torchish's observation, expected: torch's."""
    if isinstance(expected, tuple) and expected and expected[0] == "T":
        assert isinstance(actual, tuple) and actual[0] == "T", f"{path}: {actual!r} vs tensor"
        assert actual[1] == expected[1], f"{path}: dtype {actual[1]} != {expected[1]}"
        assert actual[2] == expected[2], f"{path}: shape {actual[2]} != {expected[2]}"
        assert actual[4] == expected[4], f"{path}: requires_grad {actual[4]} != {expected[4]}"
        assert actual[5] == expected[5], f"{path}: grad_fn {actual[5]} != {expected[5]}"
        a, e = actual[3], expected[3]
        if exact or a.dtype.kind not in "fc":
            assert np.array_equal(a, e, equal_nan=a.dtype.kind in "fc"), f"{path}: values differ\n{a}\n{e}"
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True, err_msg=path)
        return
    if isinstance(expected, (tuple, list)):
        assert isinstance(actual, (tuple, list)) and len(actual) == len(expected), f"{path}: {actual!r} vs {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, rtol, atol, f"{path}[{i}]", exact)
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and list(actual) == list(expected), f"{path}: keys {actual!r} vs {expected!r}"
        for k in expected:
            assert_same(actual[k], expected[k], rtol, atol, f"{path}[{k!r}]", exact)
        return
    if isinstance(expected, float) and not exact:
        assert isinstance(actual, float), f"{path}: {actual!r} vs float {expected!r}"
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=path)
        return
    if isinstance(expected, np.ndarray):
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=path)
        return
    assert actual == expected, f"{path}: {actual!r} != {expected!r}"


def run_both(scenario, *args, **kwargs):
    """Run scenario(m, *args) for torch and torchish; exceptions and warnings are part of the result."""
    out = []
    for m in (torch, torchish):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                res = observe(scenario(m, *args, **kwargs))
            except Exception as e:  # the error is the observation
                res = observe(e)
        out.append((res, [str(w.message) for w in caught if w.category is not DeprecationWarning]))
    return out[1], out[0]


def check(scenario, *args, rtol=1e-5, atol=1e-6, exact=False, warns=True, **kwargs):
    (got, got_w), (want, want_w) = run_both(scenario, *args, **kwargs)
    assert_same(got, want, rtol, atol, exact=exact)
    if warns:
        assert got_w == want_w, f"warnings differ:\n{got_w}\n{want_w}"
    return got


FEW = settings(max_examples=max(2, settings().max_examples // 50))


def floats(lo=-3.0, hi=3.0):
    return st.floats(lo, hi, width=32, allow_nan=False, allow_infinity=False)


def _flush(a):
    """No tiny values: XLA's CPU backend flushes subnormals to zero, torch keeps them."""
    return np.where(np.abs(a) < 1e-6, np.float32(0), a).astype(np.float32)


def arrays(shape, lo=-3.0, hi=3.0):
    return hnp.arrays(np.float32, shape, elements=floats(lo, hi)).map(_flush)


def leaf(m, a, requires_grad=True):
    a = np.asarray(a)
    return m.tensor(a, requires_grad=requires_grad and a.dtype.kind == "f")


def fwd_bwd(m, fn, *arrays, grad=None):
    """fn(m, F, *tensors) -> output; returns output and the gradients of every float input."""
    grad = grad if grad is not None else [np.asarray(a).dtype.kind == "f" for a in arrays]
    xs = [leaf(m, a, g) for a, g in zip(arrays, grad)]
    out = fn(m, m.nn.functional, *xs)
    y = out[0] if isinstance(out, tuple) else out
    if y.requires_grad:
        w = np.linspace(0.5, 1.5, max(y.numel(), 1), dtype=np.float32).reshape(tuple(y.shape))
        (y * m.tensor(w)).sum().backward()
    return out, [x.grad if g else None for x, g in zip(xs, grad)]
