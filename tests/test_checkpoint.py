"""torch.utils.checkpoint against torch: both variants' values, gradients, graph, warnings and errors."""

from __future__ import annotations

import warnings

import pytest

from tests.engine_common import check


def _f(t, s=1.0):
    return (t.exp() * s).sin()


_CALLS = {
    "reentrant": dict(use_reentrant=True),
    "non-reentrant": dict(use_reentrant=False),
    "use_reentrant not passed": {},
    "keyword argument": dict(use_reentrant=False, s=2.0),
    "keyword argument, reentrant": dict(use_reentrant=True, s=2.0),
    "debug, reentrant": dict(use_reentrant=True, debug=True),
    "unknown determinism_check": dict(use_reentrant=False, determinism_check="x"),
    "preserve_rng_state=False": dict(use_reentrant=False, preserve_rng_state=False),
}


@pytest.mark.parametrize("case", sorted(_CALLS))
def test_checkpoint(case):
    def fn(m):
        x = m.tensor([0.1, 0.2], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = m.utils.checkpoint.checkpoint(_f, x, **_CALLS[case])
            y.sum().backward()
        return y, y.grad_fn.name(), x.grad, [str(w.message) for w in caught]

    check(fn)


def test_reentrant_checkpoint_without_inputs_that_need_grad_warns():
    def fn(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = m.utils.checkpoint.checkpoint(_f, m.tensor([0.1]), use_reentrant=True)
        return y, [str(w.message) for w in caught]

    check(fn)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_under_autograd_grad(use_reentrant):
    """The reentrant variant refuses a backward that does not run every node (torch's is_checkpoint_valid)."""

    def fn(m):
        x = m.tensor([0.1, 0.2], requires_grad=True)
        y = m.utils.checkpoint.checkpoint(_f, x, use_reentrant=use_reentrant)
        return m.autograd.grad(y.sum(), x)

    check(fn)


def test_reentrant_checkpoint_replays_the_forward_random_state():
    def fn(m):
        m.manual_seed(0)
        x = m.ones(8, requires_grad=True)
        y = m.utils.checkpoint.checkpoint(lambda t: m.nn.functional.dropout(t * 2, 0.5), x, use_reentrant=True)
        y.sum().backward()
        return y, x.grad

    check(fn)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_sequential(use_reentrant):
    def fn(m):
        m.manual_seed(0)
        seq = m.nn.Sequential(m.nn.Linear(3, 3), m.nn.ReLU(), m.nn.Linear(3, 2), m.nn.Tanh())
        x = m.ones(2, 3, requires_grad=True)
        y = m.utils.checkpoint.checkpoint_sequential(seq, 2, x, use_reentrant=use_reentrant)
        y.sum().backward()
        return y, x.grad, seq[0].weight.grad, y.grad_fn.name()

    check(fn)


def _recomputed(m, log, scale=None):
    """A checkpointed function that notes when it runs, how far, and with what random numbers."""

    def f(x, y):
        log.append("start")
        a = (x * y).sin()
        if scale is not None:  # (a function whose recomputation differs from its forward)
            a = a * scale.pop(0)
        b = a.exp() * m.nn.functional.dropout(x, 0.5)
        log.append("end")
        return b.sum()

    return f


_RECOMPUTATIONS = {
    "backward twice": lambda m, out, x, y: (out.backward(retain_graph=True), out.backward()),
    "autograd.grad": lambda m, out, x, y: m.autograd.grad(out, (x, y)),
    "backward without early stop": lambda m, out, x, y: out.backward(),
    "saved tensor read outside a backward": lambda m, out, x, y: out.grad_fn._saved_self,
}


@pytest.mark.parametrize("case", sorted(_RECOMPUTATIONS))
def test_non_reentrant_checkpoint_recomputes_in_backward(case):
    """The first unpack of a backward call reruns the function, with the forward's random state, until it has saved
    as many tensors as the forward did (the rest of the function does not run again, unless early stop is off)."""

    def fn(m):
        m.manual_seed(0)
        log = []
        x, y = m.tensor([0.5, 1.0, -2.0], requires_grad=True), m.tensor([2.0, -1.0, 0.25], requires_grad=True)
        with m.utils.checkpoint.set_checkpoint_early_stop(case != "backward without early stop"):
            out = m.utils.checkpoint.checkpoint(_recomputed(m, log), x, y, use_reentrant=False)
        forward = list(log)
        result = _RECOMPUTATIONS[case](m, out, x, y)
        return forward, log, x.grad, y.grad, result, m.rand(2)

    check(fn)


_MISMATCHES = {
    "another shape": lambda m: [m.ones(3), m.ones(1)],
    "another dtype": lambda m: [m.ones(3), m.ones(3, dtype=m.float64)],
    # (other values, the same metadata: the backward reads the recomputed ones)
    "other values": lambda m: [m.ones(3), m.full((3,), 2.0)],
    "other values, no determinism check": lambda m: [m.ones(3), m.full((3,), 2.0)],
}


@pytest.mark.parametrize("case", sorted(_MISMATCHES))
def test_non_reentrant_checkpoint_checks_what_the_recomputation_saves(case):
    """torch's CheckpointError (a RuntimeError) when the recomputation saves tensors of other metadata; other values
    are what the backward reads."""

    def fn(m):
        x, y = m.tensor([0.5, 1.0, -2.0], requires_grad=True), m.tensor([2.0, -1.0, 0.25], requires_grad=True)
        check = "none" if "no determinism check" in case else "default"
        f = _recomputed(m, [], _MISMATCHES[case](m))
        out = m.utils.checkpoint.checkpoint(f, x, y, use_reentrant=False, determinism_check=check)
        out.backward()
        return x.grad

    check(fn)
