"""Layouts and checks at the engine's edges against torch: root gradients validated against their nodes' records,
the tensors tensor hooks see and return (laid out as torch's buffers), CopySlices' buffer laid out as its base, and
the strides in-place view ops leave, and the layout of an advanced index's result."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tests.engine_common import check


@pytest.mark.parametrize("via", ["backward", "autograd.grad"])
@pytest.mark.parametrize("root", ["the leaf", "its sum", "a second root"])
def test_a_root_gradient_is_checked_against_the_recorded_shape(via, root):
    """torch's engine checks every root's gradient against the shape its node recorded before the graph runs
    (index: the root's position), a leaf's AccumulateGrad included; a leaf that took a new shape in no_grad mode
    while a graph held its accumulator fails there, not in a node below."""

    def fn(m):
        x = m.zeros(2, 3, requires_grad=True)
        kept = x + x  # (holds x's accumulator, made with shape [2, 3])
        with m.no_grad():
            x.t_()
        y = (x * 2).t()  # recorded as [2, 3]
        with m.no_grad():
            y.t_()
        roots = {"the leaf": [x], "its sum": [y.sum(), y], "a second root": [kept.sum(), y]}[root]
        grads = [m.ones_like(r) for r in roots]
        if via == "backward":
            m.autograd.backward(roots, grads)
            return x.grad, kept.shape
        return m.autograd.grad(roots, [x], grads, allow_unused=True)

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("formula", ["sum", "x * x", "t", "exp * 2"])
def test_hooks_of_a_leaf_input_see_the_gradient_autograd_grad_returns(create_graph, layout, formula):
    """autograd.grad captures a leaf input's gradient after its tensor hooks: the hooks see the very tensor it
    then returns (sum's expand of the root's gradient, a buffer laid out as the leaf, at its version)."""
    seen = []

    def fn(m):
        seen.clear()
        x = m.zeros(2, 3).requires_grad_() if layout == "contiguous" else m.zeros(2, 3).t_().requires_grad_()
        x.register_hook(lambda g: seen.append((g.stride(), g._version, g.requires_grad)))
        out = {"sum": lambda: x.sum(), "x * x": lambda: (x * x).sum(), "t": lambda: x.t().sum()}.get(
            formula, lambda: (x.exp() * 2).sum()
        )()
        (g,) = m.autograd.grad(out, x, create_graph=create_graph)
        return g, g.stride(), g._version, tuple(seen)

    check(fn)


@pytest.mark.parametrize("base", ["contiguous", "t_", "transpose_ of 3-d", "permuted view"])
@pytest.mark.parametrize("write", ["row add_", "setitem", "column mul_"])
def test_copy_slices_writes_into_a_buffer_laid_out_as_the_base(base, write):
    """CopySlices' backward copies the gradient into new_empty_strided of the base's sizes and strides (as the base
    was when its view was written), then the slice: what a leaf steals from it, and the hooks and results see."""
    seen = []

    def fn(m):
        seen.clear()
        x = (
            m.zeros(2, 3, 4, requires_grad=True)
            if "3-d" in base or "permuted" in base
            else m.zeros(2, 3, requires_grad=True)
        )
        a = x * 2
        if base == "t_":
            a.t_()
        elif base == "transpose_ of 3-d":
            a.transpose_(0, 2)
        elif base == "permuted view":
            a = a.permute(2, 0, 1)
        if write == "row add_":
            a[0].add_(1.0)
        elif write == "setitem":
            a[1] = 5.0
        else:
            a.select(-1, 0).mul_(3.0)
        x.register_hook(lambda g: seen.append((g.stride(), g._version)))
        (g,) = m.autograd.grad(a, x, m.ones_like(a), retain_graph=True)
        a.backward(m.ones_like(a))
        return x.grad, x.grad.stride(), x.grad._version, g.stride(), tuple(seen)

    check(fn)


@pytest.mark.parametrize("base", ["t_", "permuted sum", "contiguous"])
@pytest.mark.parametrize("source", ["written view", "as_strided of a transpose", "as_strided of a slice"])
def test_as_strided_backward_lays_its_gradient_out_as_its_input(base, source):
    """as_strided_backward returns a view of its zeros with the input's geometry: a view regenerated after a
    write (AsStridedBackward0 of its base) gives the base's strides, an explicit as_strided its input's."""

    def fn(m):
        x = m.tensor([[-1.5, 0.0, 2.0], [0.25, 0.0, 1.0]], requires_grad=True)
        with m.no_grad():
            if base == "t_":
                x.t_()
        a = x + 2 if base != "permuted sum" else (x * 1).t() + 1
        if source == "written view":
            v = a[0]
            v.add_(2.0)
        else:
            src = a.t() if source == "as_strided of a transpose" else a[:, 1:]
            v = src.as_strided((2,), (1,) if source == "as_strided of a transpose" else (3,), src.storage_offset())
            a = src
        (g,) = m.autograd.grad((v * v).sum(), [a], retain_graph=True)
        (v * v).sum().backward()
        return g, g.stride(), g._version, x.grad, x.grad.stride(), x.grad._version

    check(fn)


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
@pytest.mark.parametrize("first", ["t_", "transpose_(0, 1) of 3-d", "none"])
def test_strides_after_an_in_place_unsqueeze(first, dim):
    """unsqueeze_ gives the new size-1 dim torch's stride (the size times the stride of the dim it goes before),
    also on a tensor an in-place transpose laid out anew; a gradient the leaf then steals has its own layout."""

    def fn(m):
        x = m.zeros(2, 3, 4) if "3-d" in first else m.zeros(2, 3)
        if first == "t_":
            x.t_()
        elif "3-d" in first:
            x.transpose_(0, 1)
        before = x.stride()
        x.requires_grad_()
        y = x.as_strided((2,), (1,))  # (its gradient, a view of zeros, is stolen where it obeys the layout)
        with m.no_grad():
            x.unsqueeze_(dim)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return before, x.stride(), str(e)
        return before, x.stride(), x.grad.shape, x.grad.stride()

    check(fn)


@pytest.mark.parametrize("hook", ["observe", "double", "contiguous double", "transposed double"])
@pytest.mark.parametrize("root_grad", ["ones_like", "ones"])
def test_a_hook_on_a_permuted_root_sees_and_returns_laid_out_gradients(hook, root_grad):
    """A tensor hook sees the root's gradient tensor as laid out (ones_like keeps a permuted root's order), also
    after a backward of the same graph without the hook; an elementwise result it returns keeps that layout, so
    the transposing formula hands the leaf a gradient it steals (version 0) or copies (version 1)."""
    seen = []
    hooks = {
        "observe": lambda g: seen.append((g.stride(), g._version)),
        "double": lambda g: seen.append(g.stride()) or g * 2,
        "contiguous double": lambda g: g.contiguous() * 2,
        "transposed double": lambda g: (g.t().contiguous() * 2).t(),
    }

    def fn(m):
        seen.clear()
        out = []
        for hooked in (False, True):
            x = m.zeros(2, 3, requires_grad=True)
            p = x.permute(1, 0)
            if hooked:
                p.register_hook(hooks[hook])
            p.backward(m.ones_like(p) * 0.5 if root_grad == "ones_like" else m.ones(3, 2))
            out.append((x.grad, x.grad.stride(), x.grad._version))
        return out, tuple(seen)

    check(fn)


@st.composite
def _advanced_indexing_cases(draw):
    """A 2x3x4 tensor seen through a permutation, and a key of one entry per dim (slices, ints, None between
    them, long index tensors of a few shapes, possibly transposed, or a bool mask) with at least one tensor."""
    perm = draw(st.permutations(range(3)))
    sizes = [(2, 3, 4)[p] for p in perm]
    entries = []
    for size in sizes:
        kind = draw(st.sampled_from(["all", "step", "int", "index", "index", "mask"]))
        shape = draw(st.sampled_from([(2,), (2, 2), (1, 2), (2, 1)]))
        values = draw(hnp.arrays(np.int64, shape, elements=st.integers(-size, size - 1)))
        entries.append((kind, values, draw(st.booleans()), draw(st.booleans())))
    if not any(kind in ("index", "mask") for kind, *_ in entries):
        entries[draw(st.integers(0, 2))] = ("index",) + entries[0][1:]
    return perm, entries, draw(st.sampled_from([None, 0, 1, 2, 3]))


@settings(max_examples=max(25, settings().max_examples // 2))
@given(case=_advanced_indexing_cases())
def test_an_advanced_index_result_is_laid_out_as_torch_visits_it(case):
    """torch's index kernel allocates its result in the order its TensorIterator visits the elements: the dims
    sorted by the strides of self restrided (the basic indexing applied: a None's stride the unsqueeze's, 0 along
    the indexed dims), then by each index tensor's, expanded to their common shape and reshaped with 1s around."""
    perm, entries, none_at = case

    def fn(m):
        x = m.arange(24.0).reshape(2, 3, 4).permute(*perm)
        key = []
        for size, (kind, values, transposed, masked_true) in zip(x.shape, entries):
            if kind == "all":
                key.append(slice(None))
            elif kind == "step":
                key.append(slice(None, None, 2))
            elif kind == "int":
                key.append(int(values.flat[0]))
            elif kind == "mask":
                key.append(m.arange(size) % 2 == (0 if masked_true else 1))
            else:
                i = m.tensor(values.T.copy()).t() if transposed and values.ndim == 2 else m.tensor(values)
                key.append(i)
        if none_at is not None:
            key.insert(none_at, None)
        try:
            y = x[tuple(key)]
        except IndexError as e:  # (index tensors that do not broadcast together)
            return str(e)
        return y, y.shape, y.stride(), y.contiguous().view(-1)

    check(fn)


@pytest.mark.parametrize(
    "shape, strides",
    [((0, 2), (1, 3)), ((2, 0), (1, 1)), ((3, 0, 2), (1, 3, 3)), ((1, 0, 2), (3, 1, 3)), ((2, 0, 3), (1, 6, 2))],
)
def test_elementwise_results_of_empty_tensors_take_the_iterators_strides(shape, strides):
    """An empty dim makes TensorIterator's outer strides 0 (a product of sizes, no max(size, 1))."""

    def fn(m):
        x = m.empty_strided(shape, strides)
        return (x * 2).stride(), (x + x).stride(), x.exp().stride()

    check(fn)
