"""The gradient tensors torch's formulas and engine make views of (sum's expand, a broadcast input's summed
gradient) and how that shows: autograd.grad's results, their bases, versions, and in-place writes into them."""

from __future__ import annotations

import pytest

from tests.engine_common import check


@pytest.mark.parametrize("reduction", ["sum keepdim", "sum dim", "sum", "sum of a product", "sum of exp"])
def test_autograd_grad_returns_sums_expand_of_an_intermediate_gradient(reduction):
    """sum's formula expands the gradient it gets: of an intermediate gradient, autograd.grad returns that expanded
    view (stride 0, a _base at version 1): writing into it or detaching it in place fails as in torch."""

    def fn(m):
        x = m.ones(2, 3, requires_grad=True)
        y = {
            "sum keepdim": lambda: x.sum(-1, keepdim=True),
            "sum dim": lambda: x.sum(0),
            "sum": lambda: x.sum(),
            "sum of a product": lambda: (x * 2).sum(),
            "sum of exp": lambda: x.exp().sum(1),
        }[reduction]()
        (g,) = m.autograd.grad((y * y).sum(), x)
        out = [g, g.stride(), g._version, None if g._base is None else (g._base.shape, g._base._version)]
        for write in (lambda: g.add_(1), lambda: g.detach_()):
            try:
                write()
                out.append("ok")
            except RuntimeError as e:
                out.append(str(e))
        return out

    check(fn)


@pytest.mark.parametrize("reduction", ["sum 0", "sum 1", "sum"])
def test_create_graph_expand_of_an_intermediate_gradient(reduction):
    """With create_graph, the expanded view's grad_fn is ExpandBackward0 and its hidden base carries the history of
    the formula that made it (MulBackward0 for the square's gradient)."""

    def fn(m):
        x = m.ones(2, 3, requires_grad=True)
        y = x * 2
        s = {"sum 0": lambda: y.sum(0), "sum 1": lambda: y.sum(1), "sum": lambda: y.sum()}[reduction]()
        (g,) = m.autograd.grad((s**2).sum(), y, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x)
        return g, g.stride(), g.grad_fn.name(), g._base.grad_fn.name(), g._base.shape, h

    check(fn)


_VIEWED_CONTRIBUTIONS = {
    "unsqueeze's squeeze": lambda m, x: (x.unsqueeze(-1) * 2).sum(),
    "view": lambda m, x: (x.view(3, 1) * 2).sum(),
    "t": lambda m, x: (x.view(1, 3).t() * 2).sum(),
    "no view": lambda m, x: (x * 2).sum(),
}


@pytest.mark.parametrize("other", ["select", "mul", "exp"])
@pytest.mark.parametrize("case", sorted(_VIEWED_CONTRIBUTIONS))
def test_a_viewed_gradient_keeps_its_base_alive_in_the_input_buffer(case, other):
    """A view a formula made of an intermediate gradient keeps that tensor alive (torch's ViewInfo): its storage has
    two tensors, so InputBuffer sums a second contribution out of place (version 0) instead of into it."""

    def fn(m):
        x = m.tensor([0.0, 0.5, 1.0], requires_grad=True)
        first = {"select": lambda: (x + 2)[-1], "mul": lambda: (x * 3).sum(), "exp": lambda: x.exp().sum()}[other]()
        m.autograd.backward([first, _VIEWED_CONTRIBUTIONS[case](m, x)])
        return x.grad, x.grad._version

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("case", ["mul", "add", "mul by a tensor that needs grad", "size-1 dim", "two leading dims"])
def test_a_broadcast_input_gets_a_view_of_the_summed_gradient(case, create_graph):
    """torch's engine sums a broadcast input's gradient to its shape with keepdim, then views away the leading
    dims: autograd.grad returns that view (its _base the keepdim sum); .grad is no view."""

    def fn(m):
        x = m.ones(2, 1) if case == "size-1 dim" else m.ones(3)
        x.requires_grad_()
        y = m.ones(4, 2, 3) if case == "two leading dims" else m.ones(2, 3)
        w = y.clone().requires_grad_()
        out = {"add": lambda: x + y, "mul by a tensor that needs grad": lambda: x * w}.get(case, lambda: x * y)()
        (g,) = m.autograd.grad(out.sum(), x, create_graph=create_graph, retain_graph=True)
        base = g._base
        out.sum().backward()
        return g, g._version, base is not None and (base.shape, base.grad_fn and base.grad_fn.name()), x.grad._base

    check(fn)
