"""The backward engine against torch: retain_graph, accumulation, higher orders, roots, inputs=, hooks that
show which nodes run, and the structure cache (a repeated training step compiles its backward once).

Each scenario is a function of the module (torch or torchish) and of hypothesis-drawn float32 arrays; it
returns what it observed, and both runs must agree (values with a tight float32 tolerance, dtypes, shapes,
requires_grad, is_leaf, grad_fn names, identities the scenario reports as booleans, raised errors).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish
from tests.engine_common import FEW, arrays, check, leaf

# ------------------------------------------------------------------------------------------------
# retain_graph and accumulation


@FEW
@given(arrays((3,)))
def test_retain_graph_allows_second_backward(a):
    def fn(m, a):
        x = leaf(m, a)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        first = x.grad.clone()
        y.backward()
        return first, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_second_backward_without_retain_graph_fails(a):
    def fn(m, a):
        x = leaf(m, a)
        y = (x.sin() * x).sum()
        y.backward()
        y.backward()

    check(fn, a)


@FEW
@given(arrays((3,), -1.0, 1.0), arrays((3,), -1.0, 1.0), arrays((3,)))
def test_accumulation_across_backward_calls(a, b, c):
    """tanh's argument stays in [-1.5, 1.5]: XLA's float32 tanh is up to 2 ulp off torch's, and torch's
    derivative 1 - y*y turns that into a relative error of 4e-4 where tanh saturates (tanh(6)), which is
    float rounding, not accumulation (README, known differences)."""

    def fn(m, a, b, c):
        x, w = leaf(m, a), leaf(m, b)
        seen = []
        for k in range(3):
            ((x * w + 0.25 * k).tanh() * leaf(m, c, False)).sum().backward()
            seen.append((x.grad.clone(), w.grad.clone()))
        return seen

    check(fn, a, b, c)


@FEW
@given(arrays((2, 3)))
def test_grad_identity_kept_on_accumulation(a):
    """torch adds later gradients into the existing .grad in place: same object, values updated."""

    def fn(m, a):
        x = leaf(m, a)
        (x * x).sum().backward()
        g = x.grad
        g_before = g.clone()
        (x * 3).sum().backward()
        return x.grad is g, g, g_before, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_grad_identity_replaced_after_none(a):
    def fn(m, a):
        x = leaf(m, a)
        (x * x).sum().backward()
        g = x.grad
        x.grad = None
        (x * 3).sum().backward()
        return x.grad is g, g, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_user_assigned_grad_is_accumulated_into(a):
    def fn(m, a):
        x = leaf(m, a)
        mine = m.ones(3)
        x.grad = mine
        (x * x).sum().backward()
        return x.grad is mine, mine

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_zero_grad_in_place_then_accumulate(a):
    def fn(m, a):
        x = leaf(m, a)
        (x * x).sum().backward()
        g = x.grad
        x.grad.zero_()
        (x.exp()).sum().backward()
        return x.grad is g, x.grad

    check(fn, a)


@pytest.mark.parametrize(
    "op",
    ["add", "mul_scalar", "exp", "identity", "view", "sum_mul"],
)
def test_accumulated_grad_version_counter(op):
    """torch steals a fresh contiguous gradient (version 0) and copies any other (version 1); every later
    accumulation is an in-place add (version + 1)."""
    ops = {
        "add": lambda x: x + 1,
        "mul_scalar": lambda x: x * 2,
        "exp": lambda x: x.exp(),
        "identity": lambda x: x,
        "view": lambda x: x.view(3),
        "sum_mul": lambda x: x.sum() * 1.0,
    }

    def fn(m):
        x = m.ones(3, requires_grad=True)
        versions = []
        for _ in range(3):
            ops[op](x).sum().backward()
            versions.append(x.grad._version)
        return versions

    check(fn)


@pytest.mark.parametrize("op", ["x*x", "x+x", "exp", "x*2", "sum"])
def test_computed_gradient_version_counter(op):
    """torch's engine sums several contributions into one buffer in place: x * x gives a gradient at
    version 1, a single contribution gives version 0."""
    ops = {
        "x*x": lambda x: x * x,
        "x+x": lambda x: x + x,
        "exp": lambda x: x.exp(),
        "x*2": lambda x: x * 2,
        "sum": lambda x: x,
    }

    def fn(m):
        x = m.ones(3, requires_grad=True)
        (g,) = m.autograd.grad(ops[op](x).sum(), x)
        return g._version

    check(fn)


# ------------------------------------------------------------------------------------------------
# create_graph: higher orders


def _nth_grads(m, x, y, n):
    out = []
    for _ in range(n):
        (y,) = m.autograd.grad(y.sum(), x, create_graph=True)
        out.append(y)
    return out


@FEW
@given(arrays((3,)))
@pytest.mark.parametrize(
    "f",
    [
        pytest.param(lambda x: x**4, id="pow4"),
        pytest.param(lambda x: x.sin(), id="sin"),
        pytest.param(lambda x: x.exp(), id="exp"),
        pytest.param(lambda x: x * x * x * x, id="x*x*x*x"),
        pytest.param(lambda x: (x * x).tanh(), id="tanh_sq"),
        pytest.param(lambda x: x.sigmoid() * x, id="sigmoid_x"),
    ],
)
def test_third_order(f, a):
    def fn(m, a):
        x = leaf(m, a)
        return _nth_grads(m, x, f(x), 3)

    check(fn, a, rtol=1e-4, atol=1e-4)


@FEW
@given(arrays((3,)), arrays((3,)), arrays((3,)))
def test_third_order_product_of_several_tensors(a, b, c):
    def fn(m, a, b, c):
        x, y, z = leaf(m, a), leaf(m, b), leaf(m, c)
        out = (x * x * y * z * z * z).sum()
        gx, gy, gz = m.autograd.grad(out, (x, y, z), create_graph=True)
        (gxz,) = m.autograd.grad(gx.sum(), z, create_graph=True)
        (gxzz,) = m.autograd.grad(gxz.sum(), z, create_graph=True)
        return gx, gy, gz, gxz, gxzz

    check(fn, a, b, c, rtol=1e-4, atol=1e-4)


@FEW
@given(arrays((3,)))
def test_create_graph_backward_accumulates_differentiable_grad(a):
    def fn(m, a):
        x = leaf(m, a)
        (x**3).sum().backward(create_graph=True)
        g = x.grad
        out = (g.requires_grad, g.is_leaf)
        x.grad = None
        g.sum().backward()
        return out, g, x.grad

    check(fn, a, rtol=1e-4, atol=1e-4)


@FEW
@pytest.mark.parametrize("shape", [(), (1, 3), (3,), (2, 1), (1, 1)], ids=str)
@given(arrays((2, 3)))
def test_create_graph_gradient_of_broadcast_input(shape, b):
    # torch's sum_to: sum() to a 0-dim shape, a keepdim sum, then a view when leading dims were added
    def fn(m, b):
        x, y = m.ones(shape, requires_grad=True), leaf(m, b)
        (g,) = m.autograd.grad(((x + y) * y).sum(), x, create_graph=True)
        return g, m.autograd.grad(g.sum(), y)

    check(fn, b, rtol=1e-4, atol=1e-4)


# ops whose torch formula reads their saved result (of z, x shifted away from relu's kink and into sqrt's domain)
_SAVES_RESULT = {
    "exp": lambda z: z.exp(),
    "tanh": lambda z: z.tanh(),
    "sigmoid": lambda z: z.sigmoid(),
    "relu": lambda z: (z - 1.5).relu(),
    "sqrt": lambda z: z.sqrt(),
    "rsqrt": lambda z: z.rsqrt(),
    "expm1": lambda z: z.expm1(),
    "reciprocal": lambda z: z.reciprocal(),
    "tan": lambda z: (z / 4).tan(),
    "softmax": lambda z: z.softmax(0),
    "log_softmax": lambda z: z.log_softmax(0),
    "2**z": lambda z: 2**z,
    "0.5**z": lambda z: 0.5**z,
    "exp2": lambda z: z.exp2(),
    "std": lambda z: z.std(),
    "std dim": lambda z: z.view(1, 3).std(1),
    "logsumexp": lambda z: z.logsumexp(0),
    "norm": lambda z: z.norm(),
    "norm 1": lambda z: z.norm(1),
    "norm 3": lambda z: z.norm(3),
    "norm 0.5": lambda z: z.norm(0.5),
    "norm inf": lambda z: z.norm(float("inf")),
    "z**(z+1)": lambda z: z ** (z + 1),
    "z**c": lambda z: z ** z.new_tensor([2.0, -1.0, 0.0]),
}


@FEW
@pytest.mark.parametrize("op", sorted(_SAVES_RESULT))
@given(arrays((3,)))
def test_double_backward_runs_through_the_saved_result(op, a):
    """torch's formula reads the op's result: a create_graph gradient depends on that result (autograd.grad
    with respect to it), and its hooks and retain_grad see what flows back through it."""

    def fn(m, a):
        x = leaf(m, a)
        y = _SAVES_RESULT[op](x.abs() + 0.5)
        y.retain_grad()
        (g,) = m.autograd.grad((y * y).sum(), x, create_graph=True)
        (through_y,) = m.autograd.grad(g.sum(), y, retain_graph=True)
        g.sum().backward()
        return g.grad_fn.name(), through_y, y.grad, x.grad

    check(fn, a, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("second", ["inputs=[g]", "through again"])
@pytest.mark.parametrize("f", ["x*x", "x**3", "exp", "x*x viewed"])
def test_backward_into_a_freed_create_graph_gradient(f, second):
    """backward(inputs=[g]) of a create_graph gradient whose graph was freed runs only g's own node: torch's last
    formula node, which fails only if it saved tensors (MulBackward0 does, AddBackward0 and views do not)."""

    def fn(m):
        x = m.zeros(3, requires_grad=True) + 0.5
        y = {"exp": lambda: x.exp(), "x**3": lambda: x**3}.get(f, lambda: x * x)()
        (g,) = m.autograd.grad(y.sum(), x, create_graph=True, retain_graph=False)
        g = g.view(3) if f == "x*x viewed" else g
        g.backward(m.ones_like(g) * 0.5, retain_graph=False)
        if second == "inputs=[g]":
            g.sum().backward(inputs=[g])
        else:
            g.sum().backward()
        return g.grad

    check(fn)


@FEW
@given(arrays((3,)))
def test_double_backward_via_backward_twice(a):
    """create_graph=True, then backward of the gradient accumulates the second derivative into .grad."""

    def fn(m, a):
        x = leaf(m, a)
        (g,) = m.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
        (g * g).sum().backward()
        return g, x.grad

    check(fn, a, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------------------------------
# roots


@FEW
@given(arrays((3,)), arrays((3,)), arrays((3,)))
def test_several_roots(a, b, c):
    def fn(m, a, b, c):
        x, w = leaf(m, a), leaf(m, b)
        y1 = (x * w).exp()
        y2 = (x - w).sum()
        m.autograd.backward([y1, y2], [leaf(m, c, False), None])
        return x.grad, w.grad

    check(fn, a, b, c)


@FEW
@given(arrays((3,)))
def test_dependent_roots(a):
    def fn(m, a):
        x = leaf(m, a)
        y1 = x * 2
        y2 = (y1 * y1).sum()
        m.autograd.backward([y1, y2], [m.ones(3), None])
        return x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_duplicate_roots(a):
    def fn(m, a):
        x = leaf(m, a)
        y = (x * x).sum()
        m.autograd.backward([y, y])
        g1 = x.grad.clone()
        y2 = (x.exp()).sum()
        g2 = m.autograd.grad([y2, y2], x)
        return g1, g2

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_duplicate_inputs(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x * x
        return m.autograd.grad(y.sum(), [x, y, x, y])

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_root_is_leaf(a):
    def fn(m, a):
        x = leaf(m, a)
        x.backward(m.full((3,), 2.0))
        return x.grad, m.autograd.grad(x, x, grad_outputs=m.ones(3))

    check(fn, a)


# ------------------------------------------------------------------------------------------------
# inputs=


@FEW
@given(arrays((3,)), arrays((3,)))
def test_backward_inputs_on_leaves(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        (x * w).sum().backward(inputs=[x])
        return x.grad, w.grad

    check(fn, a, b)


@FEW
@given(arrays((3,)), arrays((3,)))
def test_backward_inputs_on_non_leaf_accumulates_into_its_grad(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        y = x * w
        z = (y.exp()).sum()
        z.backward(inputs=[y], retain_graph=True)
        first = y.grad.clone()
        z.backward(inputs=[y, w])
        return first, y.grad, x.grad, w.grad, y.retains_grad

    check(fn, a, b)


@FEW
@given(arrays((3,)), arrays((3,)))
def test_autograd_grad_of_non_leaf_inputs(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        y = x * w
        z = y.sin()
        out = (z * y).sum()
        gy, gz, gx = m.autograd.grad(out, [y, z, x])
        return gy, gz, gx, x.grad

    check(fn, a, b)


@FEW
@given(arrays((2, 3)))
def test_autograd_grad_does_not_touch_dot_grad(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x.exp()
        y.retain_grad()
        (g,) = m.autograd.grad(y.sum(), x)
        return g, x.grad, y.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_grad_of_view_input(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x * 1
        v = y[1:]
        out = (v * v).sum() + y.sum()
        return m.autograd.grad(out, [v, y])

    check(fn, a)


# ------------------------------------------------------------------------------------------------
# materialize_grads, is_grads_batched


@FEW
@given(arrays((3,)), arrays((2,)))
def test_materialize_grads(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        return m.autograd.grad((x * 2).sum(), [x, w], materialize_grads=True)

    check(fn, a, b)


@FEW
@given(arrays((3,)), arrays((2,)))
def test_allow_unused(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        return m.autograd.grad((x * 2).sum(), [x, w], allow_unused=True)

    check(fn, a, b)


@FEW
@given(arrays((3,)), arrays((4, 3)))
def test_is_grads_batched(a, cts):
    def fn(m, a, cts):
        x = leaf(m, a)
        y = x.sin() * x
        return m.autograd.grad(y, x, grad_outputs=m.tensor(cts), is_grads_batched=True)

    check(fn, a, cts)


@FEW
@given(arrays((2, 3)), arrays((5, 2, 2)))
def test_is_grads_batched_matmul(a, cts):
    def fn(m, a, cts):
        x = leaf(m, a)
        y = x @ x.t()
        return m.autograd.grad(y, x, grad_outputs=m.tensor(cts), is_grads_batched=True, retain_graph=True)

    check(fn, a, cts)


# ------------------------------------------------------------------------------------------------
# which nodes run: hooks as probes


@FEW
@given(arrays((3,)), arrays((3,)))
def test_unreachable_nodes_not_evaluated(a, b):
    """A branch that does not lead to the requested inputs is not run: its hooks never fire."""

    def fn(m, a, b):
        calls = []
        x, w = leaf(m, a), leaf(m, b)
        xb = x * 2
        wb = w * 3
        xb.register_hook(lambda g: calls.append("x-branch"))
        wb.register_hook(lambda g: calls.append("w-branch"))
        wb.grad_fn.register_prehook(lambda go: calls.append("w-node-pre"))
        out = (xb + wb).sum()
        (gx,) = m.autograd.grad(out, x, retain_graph=True)
        first = list(calls)
        out.backward(inputs=[x])
        return gx, first, calls, x.grad, w.grad

    check(fn, a, b)


@FEW
@given(arrays((3,)))
def test_freed_branch_not_needed_does_not_fail(a):
    """After a backward frees a branch, a later backward that does not need that branch still works."""

    def fn(m, a):
        x, w = leaf(m, a), leaf(m, a)
        side = (w.exp()).sum()
        main = (x * 2).sum()
        total = side + main
        side.backward()
        (g,) = m.autograd.grad(total, x)
        return g, w.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_hook_order_and_values(a):
    def fn(m, a):
        calls = []
        x = leaf(m, a)
        x.register_hook(lambda g: calls.append(("leaf", g.clone())))
        y = x.exp()
        y.register_hook(lambda g: calls.append(("y1", g.clone())))
        y.register_hook(lambda g: g * 2)
        y.register_hook(lambda g: calls.append(("y3", g.clone())))
        z = (y * y).sum()
        z.backward()
        return calls, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_post_accumulate_grad_hook(a):
    def fn(m, a):
        calls = []
        x = leaf(m, a)
        x.register_post_accumulate_grad_hook(lambda p: calls.append(p.grad.clone()))
        (x * x).sum().backward()
        (x * 3).sum().backward()
        return calls

    check(fn, a)


# ------------------------------------------------------------------------------------------------
# structure cache


def test_repeated_training_step_compiles_backward_once():
    rng = np.random.default_rng(0)
    w_np = rng.standard_normal((4, 3)).astype(np.float32)
    b_np = rng.standard_normal(3).astype(np.float32)
    steps = [
        (rng.standard_normal((5, 4)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32))
        for _ in range(10)
    ]

    def train(m, on_step):
        w, b = leaf(m, w_np), leaf(m, b_np)
        for k, (xs, ys) in enumerate(steps):
            pred = (m.tensor(xs) @ w + b).tanh()
            loss = ((pred - m.tensor(ys)) ** 2).mean()
            loss.backward()
            with m.no_grad():
                w -= 0.1 * w.grad
                b -= 0.1 * b.grad
            w.grad = None
            b.grad = None
            on_step(k)
        return w, b

    compiles = []
    tw, tb = train(torch, lambda k: None)
    qw, qb = train(torchish, lambda k: compiles.append(torchish.autograd.stats()["compiles"]))
    np.testing.assert_allclose(qw.detach().numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(qb.detach().numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert compiles[1:] == [compiles[0]] * 9, compiles


def test_same_structure_new_leaves_hits_cache():
    def step(a):
        x = torchish.tensor(a, requires_grad=True)
        (x.sin() * x).sum().backward()
        return x.grad

    step(np.ones(3, np.float32))
    before = torchish.autograd.stats()["compiles"]
    for k in range(5):
        step(np.full(3, k, np.float32))
    assert torchish.autograd.stats()["compiles"] == before


def test_retain_graph_second_backward_hits_cache():
    x = torchish.ones(3, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    before = torchish.autograd.stats()["compiles"]
    y.backward()
    assert torchish.autograd.stats()["compiles"] == before


# ------------------------------------------------------------------------------------------------
# deep graphs: iterative, never recursive


def test_deep_chain():
    def fn(m):
        x = m.ones(3, requires_grad=True)
        y = x
        for _ in range(1200):  # deeper than Python's recursion limit
            y = y * 1.0001
        y.sum().backward()
        return x.grad

    check(fn, rtol=1e-4)


@FEW
@given(arrays((3,)), st.integers(1, 4))
def test_grad_mode_inside_backward_hook(a, k):
    """Hooks run with grad mode as torch sets it (disabled unless create_graph)."""

    def fn(m, a, k):
        modes = []
        x = leaf(m, a)
        y = x * k
        y.register_hook(lambda g: modes.append(m.is_grad_enabled()))
        y.sum().backward(retain_graph=True)
        y.sum().backward(create_graph=True)
        return modes

    check(fn, a, k)


_VARIABLE_CALLS = {
    "requires_grad": lambda m, V, t: V(t, requires_grad=True),
    "positional flag": lambda m, V, t: V(t, 1),
    "plain": lambda m, V, t: V(t),
    "of a non-leaf": lambda m, V, t: V(t * m.ones(2, requires_grad=True)),
    "empty": lambda m, V, t: V(),
    "float flag": lambda m, V, t: V(t, 1.5),
    "list data": lambda m, V, t: V([1.0, 2.0]),
    "integer data requiring grad": lambda m, V, t: V(t.long(), requires_grad=True),
}


@pytest.mark.parametrize("case", sorted(_VARIABLE_CALLS))
def test_legacy_variable(case):
    """torch.autograd.Variable (still in old scripts): a detached leaf sharing the data; any tensor is one."""

    def fn(m):
        t = m.tensor([1.0, 2.0])
        try:
            v = _VARIABLE_CALLS[case](m, m.autograd.Variable, t)
        except (TypeError, RuntimeError) as e:
            return type(e).__name__, str(e)
        t.add_(1)  # the data is shared
        out = [v, v is t, v.requires_grad, v.is_leaf, v.grad_fn, isinstance(t, m.autograd.Variable)]
        if v.requires_grad:
            (v * v).sum().backward()
            out.append(v.grad)
        return out

    check(fn)
