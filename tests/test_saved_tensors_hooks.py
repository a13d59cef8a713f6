"""torch.autograd.graph.saved_tensors_hooks, save_on_cpu and disable_saved_tensors_hooks against torch: which
tensors are packed and unpacked (and when), what the backward then computes, and torch's errors."""

from __future__ import annotations

import pytest

from tests.engine_common import check, custom_functions


def _logging_hooks(m, log, unpacked=lambda p: p):
    def pack(t):
        log.append(("pack", tuple(t.shape), t.requires_grad, t.grad_fn and t.grad_fn.name()))
        return t

    def unpack(p):
        log.append(("unpack", tuple(p.shape)))
        return unpacked(p)

    return m.autograd.graph.saved_tensors_hooks(pack, unpack)


_GRAPHS = {
    "square": lambda m, x, w: x * x,
    "mv then exp": lambda m, x, w: (w @ x).exp(),
    "mm": lambda m, x, w: w @ w.t(),
    "sin plus one": lambda m, x, w: x.sin() + 1,
    "scalar mul": lambda m, x, w: x * 2,
    "constant times x": lambda m, x, w: m.ones(2) * x,
    "pow and tanh": lambda m, x, w: x.pow(3) + m.tanh(x),
    "in-place exp_": lambda m, x, w: (x * 1).exp_(),
    "in-place sin_": lambda m, x, w: (x * 1).sin_(),
    "in-place sin_ of a view": lambda m, x, w: _write_through_view(x * 1),
}


def _write_through_view(base):
    base[:1].sin_()
    return base


@pytest.mark.parametrize("unpacked", ["as packed", "times ten"])
@pytest.mark.parametrize("graph", sorted(_GRAPHS))
def test_pack_and_unpack(graph, unpacked):
    def fn(m):
        log = []
        x = m.tensor([0.5, -1.0], requires_grad=True)
        w = m.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        how = (lambda p: p) if unpacked == "as packed" else (lambda p: p * 10)
        with _logging_hooks(m, log, how):
            y = _GRAPHS[graph](m, x, w)
        log.append("backward")
        y.sum().backward()
        return log, x.grad, w.grad

    check(fn)


def test_packed_tensors_are_not_version_checked():
    """The backward reads what unpack_hook returns, as it is then: an identity hook sees later writes."""

    def fn(m):
        x = m.tensor([0.5, -1.0], requires_grad=True)
        w = x * 1
        with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            y = w.sin()
        w.add_(1)
        y.sum().backward()
        with m.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda p: p):
            z = x.cos()
        with m.no_grad():
            x.mul_(3)
        z.sum().backward()
        return x.grad

    check(fn)


@pytest.mark.parametrize("case", ["not a tensor", "saved attribute", "freed", "retained", "nested", "save_on_cpu"])
def test_unpack_cases(case):
    def fn(m):
        log = []
        x = m.tensor([0.5, -1.0], requires_grad=True)
        try:
            if case == "not a tensor":
                with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: 3):
                    y = x.exp()
                y.sum().backward()
            elif case == "saved attribute":
                with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p * 10):
                    y = x.sin() * 1
                s = y.grad_fn.next_functions[0][0]._saved_self
                return s, s.requires_grad, s.grad_fn, s.is_leaf
            elif case == "freed":
                with _logging_hooks(m, log):
                    y = x.sin()
                y.sum().backward()
                y.grad_fn._saved_self  # noqa: B018
            elif case == "retained":
                with _logging_hooks(m, log):
                    y = x.sin() * x.cos()
                y.sum().backward(retain_graph=True)
                y.sum().backward()
            elif case == "nested":
                with _logging_hooks(m, log), m.autograd.graph.saved_tensors_hooks(lambda t: t * 2, lambda p: p):
                    y = x.sin()
                y.sum().backward()
            else:
                with m.autograd.graph.save_on_cpu():
                    y = (x * x).exp()
                y.sum().backward()
        except (RuntimeError, TypeError) as e:
            log.append((type(e).__name__, str(e)))
        return log, x.grad

    check(fn)


def test_disable_saved_tensors_hooks():
    def fn(m):
        out = []
        with m.autograd.graph.disable_saved_tensors_hooks("no hooks in here"):
            try:
                with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
                    out.append("entered")
            except RuntimeError as e:
                out.append(str(e))
        with m.autograd.graph.saved_tensors_hooks(lambda t: t, lambda p: p):
            out.append("entered after")
        return out

    check(fn)


@pytest.mark.parametrize("style", ["double", "square", "square-ctx"])
def test_custom_function_saved_tensors(style):
    """ctx.save_for_backward packs when apply returns; each ctx.saved_tensors unpacks."""

    def fn(m):
        log = []
        fns = custom_functions(m)
        x = m.tensor([0.5, -1.0], requires_grad=True)
        with _logging_hooks(m, log, lambda p: p * 3):
            y = fns[style].apply(x)
        log.append("backward")
        y.sum().backward()
        return log, x.grad

    check(fn)


@pytest.mark.parametrize("second_root", ["the leaf", "a product made later"])
def test_unpack_waits_for_the_leaves_torch_accumulates_first(second_root):
    """torch's engine runs a node (and its unpack hooks) when it reaches it: after an AccumulateGrad that is
    ready earlier, whose post-accumulate hooks run first."""

    def fn(m):
        log = []
        x = m.zeros(3, requires_grad=True)
        x.register_post_accumulate_grad_hook(lambda t: log.append("accumulated"))
        y = m.tensor(0.5, requires_grad=True)
        with _logging_hooks(m, log):
            z = y.tanh()
        other = x if second_root == "the leaf" else x * 2
        m.autograd.backward([z.sum(), other], [None, m.ones_like(other)])
        return log, x.grad, y.grad

    check(fn)


_SCALAR_FIRST = {
    "2 ** v": lambda m, v: 2**v,
    "2 - v": lambda m, v: 2 - v,
    "2 / v": lambda m, v: 2 / v,
    "v * 2": lambda m, v: v * 2,
    "v ** 2": lambda m, v: v**2,
    "remainder": lambda m, v: m.remainder(v, 2.0),
    "v * v": lambda m, v: v * v,
    "atan2": lambda m, v: m.atan2(v, m.ones(3, 2)),
}


@pytest.mark.parametrize("op", sorted(_SCALAR_FIRST))
def test_what_a_view_requiring_grad_through_its_base_saves(op):
    """A view made in no_grad mode of a tensor that requires grad requires grad itself but has no edge: torch saves
    for it only what its op's codegen saves unguarded, every formula of a differentiable input reading it (a
    Scalar overload's number has no formula)."""
    log = []

    def fn(m):
        log.clear()
        a = m.arange(1.0, 7.0, requires_grad=True) * 2
        with m.no_grad():
            v = a.view(3, 2)
        with _logging_hooks(m, log):
            y = _SCALAR_FIRST[op](m, v)
        return y.requires_grad, y.grad_fn.name(), tuple(log)

    check(fn)
