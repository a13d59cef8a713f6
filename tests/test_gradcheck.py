"""Differential tests of gradcheck / gradgradcheck and of anomaly mode: torchish against real torch.

Each check runs the same user code under both libraries; verdicts, exception types and texts (which
print the numerical and analytical Jacobians) and warnings must agree.
"""

from __future__ import annotations

import os
import sys
import types
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import torchish
import torchish.autograd.gradcheck  # noqa: F401  (the attribute is the function, as in torch)
from tests.engine_common import custom_functions
from torchish.autograd import anomaly as ish_anomaly
from torchish.autograd.function import Function as IshFunction

ish_gc = sys.modules["torchish.autograd.gradcheck"]

if not os.path.exists(os.path.join(os.path.dirname(__file__), "conftest.py")):
    settings.register_profile("ci", max_examples=100, deadline=None)
    settings.register_profile("thorough", max_examples=1000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# finite differences call the function 2 * numel times per input: keep the examples few and small
FEW = settings(max_examples=max(4, settings().max_examples // 10), deadline=None)
SHAPES = [(2,), (2, 2)]


def api(m) -> types.SimpleNamespace:
    if m is torch:
        ag = torch.autograd
        return types.SimpleNamespace(
            Function=ag.Function,
            gradcheck=ag.gradcheck,
            gradgradcheck=ag.gradgradcheck,
            GradcheckError=sys.modules["torch.autograd.gradcheck"].GradcheckError,
            detect_anomaly=ag.detect_anomaly,
            set_detect_anomaly=ag.set_detect_anomaly,
            is_anomaly_enabled=torch.is_anomaly_enabled,
            is_anomaly_check_nan_enabled=torch.is_anomaly_check_nan_enabled,
        )
    return types.SimpleNamespace(
        Function=IshFunction,
        gradcheck=ish_gc.gradcheck,
        gradgradcheck=ish_gc.gradgradcheck,
        GradcheckError=ish_gc.GradcheckError,
        detect_anomaly=ish_anomaly.detect_anomaly,
        set_detect_anomaly=ish_anomaly.set_detect_anomaly,
        is_anomaly_enabled=ish_anomaly.is_anomaly_enabled,
        is_anomaly_check_nan_enabled=ish_anomaly.is_anomaly_check_nan_enabled,
    )


def build(m):
    """Custom Functions written once against module m: right ones and deliberately wrong ones."""
    Function = api(m).Function
    Sq = custom_functions(m)["square"]

    class WrongSq(Sq):  # first derivative off by 3/2
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x * g

    class DetachedSq(Sq):  # first derivative right, second wrong: backward detaches x
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x.detach() * g

    class MulPair(Function):  # two inputs, two outputs
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b, a + b

        @staticmethod
        def backward(ctx, gp, gs):
            a, b = ctx.saved_tensors
            return gp * b + gs, gp * a + gs

    class WrongSecondInput(MulPair):
        @staticmethod
        def backward(ctx, gp, gs):
            a, b = ctx.saved_tensors
            return gp * b + gs, gp * a

    class IgnoresGrad(Function):  # the right Jacobian for a sum, but not multiplied by grad_output
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return x * 0 + 1

    class NaNBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    return locals()


T = build(torch)
I = build(torchish)


def both(fn):
    """fn(m, ns, api) under each library: ((result, exception, warnings), ...)."""
    out = []
    for m, ns in ((torch, T), (torchish, I)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                out.append((fn(m, ns, api(m)), None, w))
            except Exception as e:  # noqa: BLE001 - the exception is what is compared
                out.append((None, e, w))
    return out


def same(fn):
    """Same result, or same exception type name and text."""
    (tr, te, _), (ir, ie, _) = both(fn)
    if te is None:
        assert ie is None, f"torchish raised {type(ie).__name__}: {ie}"
        assert ir == tr
        return tr
    assert ie is not None, f"torchish did not raise; torch raised {type(te).__name__}: {te}"
    assert type(ie).__name__ == type(te).__name__
    assert isinstance(ie, RuntimeError) == isinstance(te, RuntimeError)
    assert str(ie) == str(te)
    return te


def vals(shape, lo=-2.0, hi=2.0):
    n = int(np.prod(shape))
    return st.lists(st.floats(lo, hi).filter(lambda v: abs(v) > 1e-3), min_size=n, max_size=n).map(
        lambda v: np.asarray(v, dtype="float64").reshape(shape)
    )


arrays = st.sampled_from(SHAPES).flatmap(vals)


def leaf(m, a, rg=True):
    return m.tensor(a, requires_grad=rg)


# ---------------------------------------------------------------------------------------------- gradcheck


@FEW
@given(a=arrays, b=arrays)
def test_gradcheck_passes_on_correct_functions(a, b):
    b = b.reshape(-1)[: a.size].reshape(a.shape) if b.size >= a.size else np.resize(b, a.shape)
    assert same(lambda m, ns, A: A.gradcheck(lambda x: (x.sin() * x).sum(), (leaf(m, a),))) is True
    assert same(lambda m, ns, A: A.gradcheck(ns["Sq"].apply, (leaf(m, a),))) is True
    assert same(lambda m, ns, A: A.gradcheck(ns["MulPair"].apply, (leaf(m, a), leaf(m, b)))) is True
    assert same(lambda m, ns, A: A.gradcheck(lambda x, k, y: x * k + y.exp(), (leaf(m, a), 3, leaf(m, b, False))))


@FEW
@given(a=arrays)
def test_gradgradcheck_passes(a):
    assert same(lambda m, ns, A: A.gradgradcheck(ns["Sq"].apply, (leaf(m, a),))) is True
    assert same(lambda m, ns, A: A.gradgradcheck(lambda x: (x.exp() * x).sum(), (leaf(m, a),))) is True


@FEW
@given(a=arrays)
def test_gradcheck_reports_the_jacobians(a):
    e = same(lambda m, ns, A: A.gradcheck(ns["WrongSq"].apply, (leaf(m, a),)))
    assert str(e).startswith("Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor(")
    assert type(e).__name__ == "GradcheckError"
    assert same(lambda m, ns, A: A.gradcheck(ns["WrongSq"].apply, (leaf(m, a),), raise_exception=False)) is False


@FEW
@given(a=arrays)
def test_gradcheck_names_output_and_input(a):
    e = same(lambda m, ns, A: A.gradcheck(ns["WrongSecondInput"].apply, (leaf(m, a), leaf(m, a * 0.5 + 1))))
    assert str(e).startswith("Jacobian mismatch for output 1 with respect to input 1,")


@FEW
@given(a=arrays)
def test_gradgradcheck_reports_wrong_second_derivative(a):
    go = np.linspace(-1, 1, a.size).reshape(a.shape)
    e = same(lambda m, ns, A: A.gradgradcheck(ns["DetachedSq"].apply, (leaf(m, a),), (leaf(m, go),)))
    assert str(e).startswith("Jacobian mismatch for output 0 with respect to input 0,")


def test_gradcheck_errors_and_warnings():
    a = np.array([0.5, -1.5])
    same(lambda m, ns, A: A.gradcheck(lambda x: x * 2, (leaf(m, a, False),)))  # ValueError: nothing requires grad
    same(lambda m, ns, A: A.gradcheck(ns["IgnoresGrad"].apply, (leaf(m, a),)))  # backward not multiplied
    same(lambda m, ns, A: A.gradcheck(lambda x: (x * 2).detach(), (leaf(m, a),)))  # expected to be zero
    same(lambda m, ns, A: A.gradcheck(lambda x: x * 2, (leaf(m, a).detach().requires_grad_(False),)))
    (_, _, tw), (_, _, iw) = both(
        lambda m, ns, A: A.gradcheck(lambda x: x * 2, (m.tensor(a, dtype=m.float32, requires_grad=True),), atol=0.1)
    )
    assert [str(w.message) for w in iw] == [str(w.message) for w in tw] and len(tw) == 1
    assert same(lambda m, ns, A: issubclass(A.GradcheckError, RuntimeError)) is True


def test_gradcheck_fast_mode_verdicts():
    a = np.array([0.5, -1.5, 2.0])
    assert same(lambda m, ns, A: A.gradcheck(ns["Sq"].apply, (leaf(m, a),), fast_mode=True)) is True
    assert (
        same(lambda m, ns, A: A.gradcheck(ns["WrongSq"].apply, (leaf(m, a),), fast_mode=True, raise_exception=False))
        is False
    )


def test_gradcheck_batched_grad():
    a = np.array([0.5, -1.5, 2.0])
    assert same(lambda m, ns, A: A.gradcheck(ns["Sq"].apply, (leaf(m, a),), check_batched_grad=True)) is True
    assert same(lambda m, ns, A: A.gradcheck(lambda x: x.sin(), (leaf(m, a),), check_batched_grad=True)) is True


def test_gradcheck_nonreentrant_backward():
    def run(m, ns, A):
        calls = []

        class Drifting(A.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 2

            @staticmethod
            def backward(ctx, g):
                calls.append(1)
                # a backward that depends on Python state must show it (here by printing) to run eagerly in
                # torchish; silently, the state read by the first trace would be baked into the cached backward
                print(".", end="")
                return g * (2 + 1e-6 * len(calls))

        return A.gradcheck(Drifting.apply, (leaf(m, np.array([1.0, 2.0])),))

    e = same(run)
    assert str(e).startswith("Backward is not reentrant")


# ---------------------------------------------------------------------------------------------- anomaly mode


@pytest.fixture(autouse=True)
def _anomaly_off():
    yield
    torch.autograd.set_detect_anomaly(False)
    ish_anomaly.set_detect_anomaly(False)


def test_anomaly_flags_and_warning():
    def run(m, ns, A):
        states = [(A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled())]
        with A.detect_anomaly():
            states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
            with A.set_detect_anomaly(False):
                states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
            states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
        with A.detect_anomaly(check_nan=False):
            states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
        A.set_detect_anomaly(True, check_nan=False)
        states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
        A.set_detect_anomaly(False)
        states.append((A.is_anomaly_enabled(), A.is_anomaly_check_nan_enabled()))
        return states

    (t, _, tw), (i, _, iw) = both(run)
    assert i == t
    assert [(w.category, str(w.message)) for w in iw] == [(w.category, str(w.message)) for w in tw]


CASES = {
    "sqrt_at_zero": lambda m, x, y: (x.sqrt() * 0).sum(),
    "div_by_zero": lambda m, x, y: (x / y * 0).sum(),
    "mul_inf": lambda m, x, y: (x.exp().exp() * y * 0).sum(),
    "fine": lambda m, x, y: (x * y).sum(),
}


@settings(max_examples=max(6, settings().max_examples // 8), deadline=None)
@given(
    case=st.sampled_from(sorted(CASES)),
    x0=st.sampled_from([0.0, 1.0, 9.0]),
    y0=st.sampled_from([0.0, 2.0]),
    check_nan=st.booleans(),
)
def test_anomaly_nan_detection(case, x0, y0, check_nan):
    def run(m, ns, A):
        x = m.tensor([x0, 1.0], requires_grad=True)
        y = m.tensor([y0, 1.0], requires_grad=True)
        with A.set_detect_anomaly(True, check_nan=check_nan):
            CASES[case](m, x, y).backward()
        return np.nan_to_num(x.grad.numpy(), nan=-7.0).tolist(), np.nan_to_num(y.grad.numpy(), nan=-7.0).tolist()

    (tr, te, tw), (ir, ie, iw) = both(run)
    assert (te is None) == (ie is None), (te, ie)
    if te is not None:
        assert type(ie) is type(te) and str(ie) == str(te)
        # torch first warns where the failing node was created; the node name must agree
        assert [str(w.message).split(".")[0] for w in iw] == [str(w.message).split(".")[0] for w in tw]
    else:
        assert ir == tr


def test_anomaly_nan_in_custom_function_names_it():
    def run(m, ns, A):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        with A.detect_anomaly():
            y = ns["NaNBackward"].apply(x)
            y.sum().backward()

    (_, te, tw), (_, ie, iw) = both(run)
    assert str(ie) == str(te) == "Function 'NaNBackwardBackward' returned nan values in its 0th output."
    first = [str(w.message).split("\n")[0] for w in tw[1:]]
    assert [str(w.message).split("\n")[0] for w in iw[1:]] == first
    assert first == ["Error detected in NaNBackwardBackward. Traceback of forward call that caused the error:"]


def test_anomaly_off_leaves_nan_alone():
    def run(m, ns, A):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        ns["NaNBackward"].apply(x).sum().backward()
        return np.isnan(x.grad.numpy()).tolist()

    assert same(run) == [True, True]
