"""When torch's engine runs each AccumulateGrad: the order of leaves' hooks among themselves and among the hooks
of nodes that run after them (torch's ready queue, autograd/schedule.py), and what the nodes it ran before one
that fails computed."""

from __future__ import annotations

import pytest

from tests.engine_common import check

_LEAF_ORDERS = {
    "leaf roots first": lambda m, a, b, c: [a, b * 2, c],
    "leaf root also fed by a node": lambda m, a, b, c: [a, b * 2, c, a * c],
    "leaf root after nodes": lambda m, a, b, c: [b * a, c * 1, a],
    "only leaves": lambda m, a, b, c: [c, b, a],
    "one leaf twice": lambda m, a, b, c: [a, c, a],
    "one node, three leaves": lambda m, a, b, c: [a * b * c],
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", sorted(_LEAF_ORDERS))
@pytest.mark.parametrize("inputs", [False, True])
def test_leaves_accumulate_in_the_order_torch_reaches_them(case, inputs, create_graph):
    """torch's ready queue runs an AccumulateGrad as soon as it is ready (a root leaf no node feeds: at once), in
    its heap's order among those ready together: their hooks and post-accumulate hooks run in that order, whatever
    order inputs= lists them in."""

    def fn(m):
        calls = []
        leaves = [m.tensor(v, requires_grad=True) for v in (1.0, 2.0, 3.0)]
        for name, t in zip("abc", leaves):
            t.register_hook(lambda g, name=name: calls.append("hook " + name))
            t.register_post_accumulate_grad_hook(lambda t, name=name: calls.append("acc " + name))
        roots = _LEAF_ORDERS[case](m, *leaves)
        m.autograd.backward(roots, inputs=leaves[::-1] if inputs else None, create_graph=create_graph)
        return calls, [t.grad for t in leaves]

    check(fn)


_INTERLEAVED = {
    "a leaf ready before a hooked node": lambda m, a, b, c: [a * 2, (b * 3).hook("w") * 4],
    "the hooked node created first": lambda m, a, b, c: [(b * 3).hook("w") * 4, a * 2],
    "leaf roots around a hooked node": lambda m, a, b, c: [a, (b * 2).hook("w"), c, a * c],
    "a post-hook after the leaf": lambda m, a, b, c: [(a * 2).node_hook(), (b * c).hook("w") * 5],
    "leaf ready after the last hook": lambda m, a, b, c: [((a * b).hook("w") * c).hook("v")],
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", sorted(_INTERLEAVED))
def test_leaf_hooks_interleave_with_node_hooks_as_torch_runs_them(case, create_graph):
    """torch runs an AccumulateGrad as soon as its gradient is complete, before nodes still in the queue: a leaf's
    hooks and post-accumulate hooks come before the hooks of nodes that run later, and see the .grad of leaves
    accumulated before them."""

    def fn(m):
        calls = []
        leaves = [m.tensor(v, requires_grad=True) for v in (1.0, 2.0, 3.0)]

        def hook(t, name):  # (t.hook(name): t with a logging tensor hook; t.node_hook(): its grad_fn with a post-hook)
            t.register_hook(lambda g: calls.append(("hook " + name, g)))
            return t

        def node_hook(t):
            t.grad_fn.register_hook(lambda gi, go: calls.append(("post", [x.grad for x in leaves])))
            return t

        m.Tensor.hook, m.Tensor.node_hook = hook, node_hook
        try:
            for name, t in zip("abc", leaves):
                t.register_hook(lambda g, name=name: calls.append(("hook " + name, g)))
                t.register_post_accumulate_grad_hook(lambda t, name=name: calls.append(("acc " + name, t.grad)))
            m.autograd.backward(_INTERLEAVED[case](m, *leaves), create_graph=create_graph)
        finally:
            del m.Tensor.hook, m.Tensor.node_hook
        return calls, [t.grad for t in leaves]

    check(fn)


@pytest.mark.parametrize("failure", ["freed", "version"])
def test_a_node_run_before_the_failing_one_computes_what_it_sends_on(failure):
    """torch's engine runs nodes until the one that fails; a node it ran computed every gradient it sends on,
    also to nodes it never reached, and its post-hooks saw them."""

    def fn(m):
        log = []
        x = m.zeros(2, 3, requires_grad=True)
        a = x + x
        b = x + x
        v = b.view(6)
        v.clamp_(max=0.5)  # (b's CopySlices saves its input)
        if failure == "freed":
            m.autograd.grad((v + 1).sum(), x)
        a.clamp_(max=0.5)  # (created after: torch's engine reaches it first)
        a.grad_fn.register_hook(lambda gi, go: log.append([None if g is None else g * 1 for g in gi]))
        if failure == "version":
            b.mul_(2)
        sel = a[0]
        try:
            m.autograd.backward([b.sum(), sel], [None, m.ones_like(sel)])
        except RuntimeError as e:
            log.append(str(e))
        return log, x.grad

    check(fn)


# a: a leaf root; b: fed only by a node torch runs before the failing one; c: fed through the failing node
def _first_of_two(pair):
    pair[1].hook()  # (torch calls it with None: the chunk's node runs for the other output)
    return [pair[0].sum()]


_RAISING = {
    "tensor hook": lambda m, a, b, c: [a, b * 2, (c * 3).hook() * 4],
    "hook of an unused sibling output": lambda m, a, b, c: _first_of_two(m.stack([b * 1, c]).chunk(2)) + [a],
    "node pre-hook": lambda m, a, b, c: [(c * 3).pre_hook() * 4, b * 2, a],
    "custom backward": lambda m, a, b, c: [b * 2, m.Raising.apply(c) * 4, a],
    "hook before a leaf": lambda m, a, b, c: [(b * 2).hook(), a * c],
}


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", sorted(_RAISING))
def test_leaves_accumulated_before_python_raises_keep_their_grad(case, create_graph):
    """A hook or custom backward that raises stops torch's engine there: the leaves it accumulated before (a root
    leaf at once, a leaf whose gradient was complete) keep their .grad, the others stay None."""

    def fn(m):
        leaves = [m.tensor(v, requires_grad=True) for v in (1.0, 2.0, 3.0)]

        def fail(*_):
            raise ValueError("raised in Python")

        class Raising(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * 1

            @staticmethod
            def backward(ctx, g):
                fail()

        def hook(t):
            t.register_hook(fail)
            return t

        def pre_hook(t):
            t.grad_fn.register_prehook(fail)
            return t

        m.Tensor.hook, m.Tensor.pre_hook, m.Raising = hook, pre_hook, Raising
        try:
            roots = _RAISING[case](m, *leaves)
            m.autograd.backward(roots, [m.ones_like(r) for r in roots], create_graph=create_graph)
        except ValueError as e:
            error = str(e)
        finally:
            del m.Tensor.hook, m.Tensor.pre_hook, m.Raising
        return error, [t.grad for t in leaves]

    check(fn)
