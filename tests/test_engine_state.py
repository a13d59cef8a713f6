"""Engine states the autograd state machine found wanting, each a small scenario against torch: hooks of
sibling outputs, retain_grad, create_graph inputs and histories, node names, dead ends. (Storage and views:
test_engine_storage.py; gradients that are views: test_gradient_views.py.)"""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine_common import FEW, arrays, check, custom_functions, graph_names, leaf, node_names

# state the autograd state machine found wanting: each a small scenario against torch


@FEW
@given(arrays((3,)))
def test_leaf_that_stopped_requiring_grad_gets_no_grad(a):
    def fn(m, a):
        x, w = leaf(m, a), leaf(m, a)
        y = x * 2 + w
        z = x * 3 + w
        x.requires_grad_(False)
        y.sum().backward()
        w.detach_()
        z.sum().backward()
        return x.grad, w.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_backward_inputs_non_leaf_sets_retains_grad(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x * 2
        before = y.retains_grad
        (y * y).sum().backward(inputs=[y])
        return before, y.retains_grad, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_retain_grad_follows_inplace(a):
    """retain_grad() of a tensor later modified in place reports the gradient of its new value."""

    def fn(m, a):
        x = leaf(m, a)
        y = x * 1
        y.retain_grad()
        y.mul_(2)
        (y * y).sum().backward()
        return y.grad, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_retain_grad_of_view_survives_base_inplace(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x + 2
        v = y[0]
        v.retain_grad()
        y.add_(x)
        (v * 3).backward()
        return v.grad, x.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_autograd_grad_runs_root_hooks_even_when_input_unreachable(a):
    def fn(m, a):
        calls = []
        x = leaf(m, a)
        other = leaf(m, a) * 1
        y = x * 2
        y.retain_grad()
        y.register_hook(lambda g: calls.append(g.clone()))
        res = m.autograd.grad(y, other, grad_outputs=m.ones(3), allow_unused=True)
        return res, calls, y.grad

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_leaf_hooks_run_for_autograd_grad_inputs(a):
    def fn(m, a):
        calls = []
        x = leaf(m, a)
        x.register_hook(lambda g: calls.append(g.clone()))
        x.register_hook(lambda g: g * 3)
        (g,) = m.autograd.grad((x * x).sum(), x)
        return g, calls, x.grad

    check(fn, a)


@FEW
@given(arrays((2, 3)), st.sampled_from(["unbind", "split", "var_mean", "max"]))
def test_hooks_of_an_unused_sibling_output_see_none(a, how):
    """A node with several outputs runs when one is used; torch calls the others' tensor hooks with None."""

    def fn(m, a):
        calls = []
        x = leaf(m, a)
        outs = {
            "unbind": lambda: (x * 2).unbind(0),
            "split": lambda: (x * 2).split(1),
            "var_mean": lambda: m.var_mean(x, 0),
            "max": lambda: (x * 2).max(0),
        }[how]()
        used, unused = outs[-1], outs[0]
        if how == "max":
            used, unused = outs[0], None  # indices take no gradient: no hook can be registered
        if unused is not None:
            unused.retain_grad()
            unused.register_hook(lambda g: calls.append(("unused", g)))
        used.register_hook(lambda g: calls.append(("used", g.clone())))
        used.grad_fn.register_prehook(lambda gs: calls.append(("pre", gs)))
        used.sum().backward()
        return calls, x.grad, None if unused is None else unused.grad

    check(fn, a)


@FEW
@given(arrays((2, 3)), st.sampled_from(["grad", "grad-and-leaf", "inputs"]))
def test_a_captured_sibling_output_runs_what_feeds_its_node(a, how):
    """Asking for p's gradient where only its unbind sibling q is used: torch still runs the nodes that feed
    the shared node (q's hooks run), and p's gradient is None."""

    def fn(m, a):
        calls = []
        x = leaf(m, a)
        y = x * 2
        p, q = y.unbind(0)
        y.register_hook(lambda g: calls.append(("y", g.clone())))
        q.register_hook(lambda g: calls.append(("q", g.clone())))
        if how == "inputs":
            q.sum().backward(inputs=[p])
            return calls, p.grad, x.grad
        inputs = [p, x] if how == "grad-and-leaf" else [p]
        return calls, m.autograd.grad(q.sum(), inputs, allow_unused=True)

    check(fn, a)


def _hooks_then_inplace(m, case, calls):
    def hook(tag):
        return lambda g: calls.append((tag, g.clone()))

    x = m.ones(3, requires_grad=True)
    if case == "nonleaf-inplace":  # hooks before the write stay on the old node
        t = x * 2
        t.register_hook(hook(1))
        t.mul_(3)
        t.register_hook(hook(2))
        t.sum().backward()
    elif case in ("leaf-hook-then-interior", "interior-hook"):  # a leaf moved into the graph interior
        y = x * 2
        if case == "leaf-hook-then-interior":
            x.register_hook(hook(1))  # reset by the in-place op below: never runs
        x.requires_grad_(False)
        x.sub_(m.ones(3, requires_grad=True))
        if case == "interior-hook":
            x.register_hook(hook(2))  # also runs at the old AccumulateGrad, before its error
        try:
            y.sum().backward()
        except RuntimeError as e:
            calls.append(str(e))
        x.sum().backward()
    elif case == "view-regenerated":  # added to the dict of the old node: torch resets it only when read
        b = x * 2
        v = b[0:2]
        v.register_hook(hook(1))
        with m.no_grad():
            b.mul_(2)
        v.register_hook(hook(2))
        w = v * 5
        v.register_hook(hook(3))
        w.sum().backward()
    else:  # "base-copyslices": the base's hooks before a write through its view stay on its old node
        b = x * 2
        v = b[0:2]
        b.register_hook(hook(1))
        v.register_hook(hook(2))
        v.mul_(2)
        b.register_hook(hook(3))
        (b * 5).sum().backward()
    return calls, x.grad


@pytest.mark.parametrize(
    "case", ["nonleaf-inplace", "leaf-hook-then-interior", "interior-hook", "view-regenerated", "base-copyslices"]
)
def test_which_node_runs_a_hook_after_the_grad_fn_changes(case):
    """torch's _backward_hooks dict: registered on the grad_fn the tensor had when the dict was made, reset
    when an in-place op gives it a new one (or when a regenerated view grad_fn is first read)."""
    check(lambda m: _hooks_then_inplace(m, case, []))


@FEW
@given(arrays((3,), 0.5, 2.0), st.sampled_from(["hook", "version"]))
def test_backward_runs_a_dead_end_node(a, how):
    """backward() without inputs runs every node it reaches, even one that leads to no leaf: a view's grad_fn
    regenerated over a base that stopped requiring grad has no next edge, yet its hooks run (and a saved
    tensor modified below it raises)."""

    def fn(m, a):
        calls = []
        x = leaf(m, a)
        v = x.view(3)
        x.requires_grad_(False)
        with m.no_grad():
            x.mul_(2)
        w = v.exp() if how == "version" else v
        out = 2 / w  # (before the hook: torch 2.13 crashes registering one on a view never read since the write)
        v.register_hook(lambda g: calls.append(g.clone()))
        if how == "version":
            w.add_(1)  # exp saved its result
        try:
            out.sum().backward()
        except RuntimeError as e:
            calls.append(str(e))
        return calls

    check(fn, a)


@FEW
@given(arrays((3,)), st.sampled_from(["reshape", "sin"]))
def test_create_graph_input_gradient_feeds_the_later_ones(a, op):
    """autograd.grad(..., (x, y), create_graph=True) with y computed from x: torch's gradient of x is
    computed from y's (the very tensor returned), so it depends on it."""

    def fn(m, a):
        x = leaf(m, a)
        (first,) = m.autograd.grad((x * x).sum(), x, create_graph=True)
        y = first.reshape(1, 3) if op == "reshape" else (first * 2).sin()
        gx, gy = m.autograd.grad((y * y).sum(), (x, y), create_graph=True)
        (dx_dy,) = m.autograd.grad(gx.sum(), gy, allow_unused=True)
        return gx, gy, dx_dy

    check(fn, a)


@FEW
@given(arrays((3,)), arrays((3,)))
def test_work_done_before_an_error_is_kept(a, b):
    """torch raises when it reaches the failing node: hooks and leaves processed before it already ran."""

    def fn(m, a, b):
        calls = []
        x, w = leaf(m, a), leaf(m, b)
        s = (w * 1).sigmoid()
        s.add_(1)
        out = s + x * 3
        out.register_hook(lambda g: calls.append(g.clone()))
        try:
            out.sum().backward()
            raised = None
        except RuntimeError as e:
            raised = str(e)
        return raised, calls, x.grad, w.grad

    check(fn, a, b)


@FEW
@given(arrays((3,)), arrays((3,)))
def test_work_done_before_a_freed_graph_error_is_kept(a, b):
    def fn(m, a, b):
        x, w = leaf(m, a), leaf(m, b)
        s = (w * 1).exp()
        out = (s + x * 3).sum()
        s.sum().backward()
        try:
            out.backward()
            raised = None
        except RuntimeError as e:
            raised = str(e)
        return raised, x.grad, w.grad

    check(fn, a, b)


@FEW
@given(arrays((3,)))
def test_an_input_listed_twice_after_a_graph_of_the_same_structure(a):
    """The versions of autograd.grad's results are cached by graph structure: which inputs repeat is part of it."""

    def fn(m, a):
        x, u = leaf(m, a), leaf(m, a)
        unused = m.autograd.grad((x * x).sum(), (x, u), allow_unused=True)
        twice = m.autograd.grad((x * x).sum(), (x, x))
        return unused[0]._version, twice, [g._version for g in twice], twice[0] is twice[1]

    check(fn, a)


@FEW
@given(arrays((3,)), st.booleans(), st.booleans())
def test_an_input_whose_node_runs_is_captured_before_its_hooks(a, below, create_graph):
    """torch captures the gradient of a non-leaf input before its tensor hooks when its node also runs for an
    input below it; alone, after them."""

    def fn(m, a, below, create_graph):
        x = leaf(m, a)
        y = x.clone()
        y.register_hook(lambda g: g * 2)
        inputs = (x, y) if below else (y,)
        return m.autograd.grad((y * 3).sum(), inputs, create_graph=create_graph)

    check(fn, a, below, create_graph)


@FEW
@given(arrays((3,)))
def test_retain_grad_again_on_a_refused_view_does_nothing(a):
    def fn(m, a):
        y = leaf(m, a) * 1
        _, b, _ = y.unbind(0)
        b.retain_grad()
        with m.no_grad():
            y.mul_(2)
        b.retain_grad()  # torch returns before it reads the refused grad_fn
        return b.retains_grad, b.requires_grad

    check(fn, a)


@pytest.mark.parametrize(
    "case",
    [
        "rsub",
        "rpow",
        "index",
        "zero_",
        "copy_slices",
        "copy_slices_index_put",
        "mul_scalar",
        "add_scalar",
        "matmul_1d_2d",
    ],
)
def test_grad_fn_names_and_edges(case):
    def fn(m):
        x = m.ones(3, requires_grad=True)
        if case == "rsub":
            y = 2 - x
        elif case == "rpow":
            y = 2**x
        elif case == "index":
            y = x[m.tensor([0, 1])]
        elif case == "zero_":
            y = x * 1
            y.zero_()
        elif case == "copy_slices":
            y = x * 1
            y[0] = 2.0
        elif case == "copy_slices_index_put":  # the index tensor gets no edge
            y = x * 1
            y.view(3)[m.tensor([0, 1])] = 1.25
        elif case == "mul_scalar":
            y = x * 2
        elif case == "add_scalar":
            y = x + 2
        else:
            y = x @ m.ones(3, 2)
        return node_names(y.grad_fn), y._version

    check(fn)


# x is [0.5, 1, 1.5]; a create_graph gradient's history, three nodes deep
_CREATE_GRAPH_HISTORIES = {
    "x*x": lambda x: x * x,
    "exp": lambda x: x.exp(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "pow3": lambda x: x**3,
    "square": lambda x: x.square(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "reciprocal": lambda x: x.reciprocal(),
    "expm1": lambda x: x.expm1(),
    "x/(x+1)": lambda x: x / (x + 1),
    "relu": lambda x: x.relu(),
    "abs*x": lambda x: x.abs() * x,
    "neg*x": lambda x: (-x) * x,
    "(x+2x)*x": lambda x: (x + 2 * x) * x,
    "sum*x": lambda x: x.sum() * x,
    "mean*x": lambda x: x.mean() * x,
    "mm": lambda x: x.view(1, 3) @ x.view(3, 1),
    "t": lambda x: (x.view(3, 1).t() * x).sum(0),
    "softmax": lambda x: x.softmax(0),
    "log_softmax": lambda x: x.log_softmax(0),
    "2**x": lambda x: 2**x,
    "0**(x-1)": lambda x: 0 ** (x - 1),
    "std": lambda x: x.std(),
    "logsumexp": lambda x: x.logsumexp(0),
    "norm": lambda x: x.norm(),
    "norm 3": lambda x: x.norm(3),
    "norm 0.5": lambda x: x.norm(0.5),
    "norm inf dim": lambda x: x.view(1, 3).norm(float("inf"), dim=1),
    "std dim": lambda x: x.view(1, 3).std(1),
    "x**(x+1)": lambda x: x ** (x + 1),
    # torch's formulas written in its terms (where JAX's rule composes otherwise)
    "tan": lambda x: x.tan(),
    "rsqrt": lambda x: x.rsqrt(),
    "asin": lambda x: x.asin(),
    "acos": lambda x: x.acos(),
    "atan": lambda x: x.atan(),
    "asinh": lambda x: x.asinh(),
    "log2": lambda x: x.log2(),
    "log10": lambda x: x.log10(),
    "erf": lambda x: x.erf(),
    "erfc": lambda x: x.erfc(),
    "erfinv": lambda x: x.erfinv(),
    "digamma": lambda x: x.digamma(),
    "lgamma": lambda x: x.lgamma(),
    "i0": lambda x: x.i0(),
    "mean dim": lambda x: x.view(1, 3).mean(1) * x,
    "pow 2.5": lambda x: x**2.5,
    "select": lambda x: x[1] * x,
    "slice": lambda x: x[1:] * x[:2],
    "narrow": lambda x: x.narrow(0, -2, 2).pow(2),
    "dot": lambda x: x.dot(x),
    "mv": lambda x: x.view(3, 1).expand(3, 3).mv(x),
    "bmm": lambda x: x.view(1, 1, 3).bmm(x.view(1, 3, 1)),
    "mm of a column-major mat2": lambda x: x.view(1, 3) @ x.view(1, 3).t(),
    "mm of a column-major mat1": lambda x: x.view(3, 1).t() @ x.view(3, 1),
    "addmm": lambda x: x.view(1, 1).addmm(x.view(1, 3), x.view(3, 1), beta=2, alpha=0.5),
    # the selecting ops' gradients written into zeros by the inverse op, as torch's formulas do
    "gather": lambda x: x.view(1, 3).gather(1, x.new_tensor([[2, 0]]).long()) ** 2,
    "index_select": lambda x: x.index_select(0, x.new_tensor([1, 1]).long()) ** 2,
    "take": lambda x: x.take(x.new_tensor([0, 2]).long()) ** 2,
    "masked_select": lambda x: x.masked_select(x > 0.7) ** 2,
    "kthvalue": lambda x: x.kthvalue(2)[0] * x,
    "mode": lambda x: x.mode()[0] * x,
    "masked_select broadcast": lambda x: x.view(1, 3).masked_select(x.view(3, 1) > 0.7) ** 2,
    "topk": lambda x: x.topk(2)[0] ** 2,
    "sort with ties": lambda x: (x * 0 + 1).sort()[0] * x,
    "cat": lambda x: _module_of(x).cat([x, x * 2]) ** 2,
    "stack": lambda x: _module_of(x).stack([x, x]) ** 2,
    "flip": lambda x: x.flip(0) ** 2,
    # the ops that move elements: the same op undoing the move
    "roll": lambda x: x.view(1, 3).roll((1, -1), (0, 1)) ** 2,
    "roll flattened": lambda x: x.roll(1) ** 2,
    "triu": lambda x: x.view(1, 3).expand(3, 3).triu(1) ** 2,
    "cumsum": lambda x: x.view(3, 1).expand(3, 2).cumsum(0) ** 2,
    "pad": lambda x: _module_of(x).nn.functional.pad(x.view(1, 3), (-1, 2, 1, 0)) ** 2,
    # an ATen *_backward op per formula (a node that requires grad where the value does not vary, leaky_relu's)
    **{
        name: (lambda f: lambda x: f(_module_of(x).nn.functional)(x))(f)
        for name, f in {
            "leaky_relu": lambda F: F.leaky_relu,
            "elu": lambda F: F.elu,
            "selu": lambda F: F.selu,
            "celu": lambda F: lambda x: F.celu(x, 0.5),
            "softplus": lambda F: F.softplus,
            "gelu": lambda F: F.gelu,
            "gelu tanh": lambda F: lambda x: F.gelu(x, approximate="tanh"),
            "hardtanh": lambda F: F.hardtanh,
            "relu6": lambda F: F.relu6,
            "hardswish": lambda F: F.hardswish,
            "logsigmoid": lambda F: F.logsigmoid,
            "threshold": lambda F: lambda x: F.threshold(x, 0.7, 2.0),
            "hardshrink": lambda F: F.hardshrink,
            "softshrink": lambda F: F.softshrink,
            "glu": lambda F: lambda x: F.glu(x[:2]),
            "mse_loss": lambda F: lambda x: F.mse_loss(x, x.flip(0)),
            "smooth_l1_loss": lambda F: lambda x: F.smooth_l1_loss(x, x.flip(0) * 2),
            "huber_loss": lambda F: lambda x: F.huber_loss(x, x.detach() * 3, delta=0.5),
            # (torch's infinitely differentiable formulas, op by op)
            "silu": lambda F: F.silu,
            "mish": lambda F: F.mish,
            "nll_loss": lambda F: lambda x: F.nll_loss(x.view(1, 3).log_softmax(1), x.new_tensor([2]).long()),
            "nll_loss weight": lambda F: (
                lambda x: F.nll_loss(x.view(1, 3).log_softmax(1), x.new_tensor([0]).long(), weight=x.detach() + 1)
            ),
            "nll_loss 2d": lambda F: (
                lambda x: F.nll_loss(x.view(1, 3, 1, 1).log_softmax(1), x.new_zeros(1, 1, 1).long())
            ),
            "cross_entropy smoothing": lambda F: (
                lambda x: F.cross_entropy(x.view(1, 3), x.new_tensor([1]).long(), label_smoothing=0.2)
            ),
            "bce": lambda F: lambda x: F.binary_cross_entropy(x.sigmoid(), x.detach() / 2),
            "bce weight": lambda F: lambda x: F.binary_cross_entropy(x.sigmoid(), x.detach() / 2, weight=x.detach()),
            "linear": lambda F: lambda x: F.linear(x.view(1, 3), x.view(1, 3) * 2),
            # (one node for all three gradients, no edge for mean and rstd)
            "layer_norm": lambda F: lambda x: F.layer_norm(x.view(1, 3), (3,), x * 2, x.flip(0)) * x.view(1, 3),
            "layer_norm bare": lambda F: lambda x: F.layer_norm(x.view(1, 3), (3,)) * x.view(1, 3),
        }.items()
    },
    # a formula's `1 - t` / an op's division by a Python number: a tensor torch fills, an edge of None
    "atanh": lambda x: (x / 2).atanh(),
    "pow -2": lambda x: x**-2,
    "pow -0.5": lambda x: x**-0.5,
    "dist 3": lambda x: _module_of(x).dist(x, x.flip(0), 3),
    "var": lambda x: x.var(),
    "var dim": lambda x: x.view(1, 3).var(1, correction=0),
    # (a mask outside the product; torch's division's own derivative formulas)
    "sinc": lambda x: x.sinc(),
    "copysign": lambda x: _module_of(x).copysign(x, x.detach() - 1),
    # (torch's zeros_like(other) for the sign's input: a tensor, an edge of None where it is summed)
    "copysign by itself": lambda x: _module_of(x).copysign(x, -x),
    # (an identity permute's gradient is still permuted: a PermuteBackward0 node)
    "einsum": lambda x: _module_of(x).einsum("i,i->", x, x),
    "identity permute": lambda x: x.permute(0) * x,
    # (torch's formula depends on the values: a quotient by an input without zeros, else exclusive products)
    "prod": lambda x: x.prod(),
    "prod dim": lambda x: x.view(1, 3).prod(1),
    "prod with a zero": lambda x: (x - 1).prod(),
    "prod dim with a zero": lambda x: (x - 1).view(3, 1).prod(0, keepdim=True),
    "cumprod": lambda x: x.cumprod(0),
    "cumprod with a zero": lambda x: (x - 1).cumprod(0),
    # (one _cdist_backward node per input, reading the transposed result for x2)
    "cdist": lambda x: _module_of(x).cdist(x.view(3, 1), x.view(3, 1).flip(0) * 2, 1.5),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(
    values=st.lists(st.sampled_from([0.0, 0.5, -1.25, 1.5, 3.0, -0.3, 0.7]), min_size=6, max_size=6),
    dim=st.sampled_from([0, 1, -1]),
)
def test_cumprod_gradient_is_torchs_formula(dtype, values, dim):
    """cumprod's gradient, bit for bit: torch's reversed cumsum of result * grad over the input, and its own
    masked formula around the zeros (JAX's derivative of a cumprod rounds otherwise)."""

    def fn(m):
        x = m.tensor(values, dtype=getattr(m, dtype)).view(2, 3).requires_grad_()
        y = x.cumprod(dim)
        (g,) = m.autograd.grad(y, x, m.arange(6.0, dtype=x.dtype).view(2, 3) - 2)
        return y, g

    check(fn, rtol=0, atol=0)


def _module_of(x):
    """torch or torchish, whichever x belongs to."""
    return __import__(type(x).__module__.split(".")[0])


@pytest.mark.parametrize("op", list(_CREATE_GRAPH_HISTORIES))
def test_create_graph_result_grad_fn(op):
    """What history a create_graph gradient has: a node per step of the lowered backward (torch: per op of its
    formulas), a node per formula torch has one for (TanhBackwardBackward0), the incoming gradient first."""

    def fn(m):
        x = m.tensor([0.5, 1.0, 1.5], requires_grad=True)
        (g,) = m.autograd.grad(_CREATE_GRAPH_HISTORIES[op](x).sum(), x, create_graph=True)
        return graph_names(g.grad_fn, 3)

    check(fn)


def test_grad_of_input_itself_is_an_ordinary_tensor():
    def fn(m):
        x = m.ones((), requires_grad=True)
        (g,) = m.autograd.grad(x, x)
        v = g.view(1)
        v.mul_(2)
        return g, v, g + 1

    check(fn)


def test_relu_of_nan():
    def fn(m):
        x = m.tensor([float("nan"), 1.0, -1.0], requires_grad=True)
        y = m.relu(x)
        y.sum().backward()
        z = x.detach().clone().relu_()
        return y, x.grad, z

    check(fn)


def test_subnormal_values():
    """torch on CPU keeps float32 subnormals; XLA on CPU flushes them to zero."""

    def fn(m):
        x = m.tensor([1e-45, 1e-40, 1.0], requires_grad=True)
        y = x / x
        (x * 1e-3).sum().backward()
        return y, x * 1, x.grad * 1e-40

    check(fn, rtol=0, atol=0)


@pytest.mark.parametrize("hook", ["observe", "double"])
def test_leaf_input_hook_decides_what_autograd_grad_returns(hook):
    """A leaf input's hook that returns None leaves torch's buffer (here a view of grad_outputs' implicit
    ones); one that returns a tensor makes that tensor the result, at its own version."""

    def fn(m):
        x = m.ones((), requires_grad=True)
        x.register_hook(lambda g: None if hook == "observe" else g * 2)
        (g,) = m.autograd.grad(x.view(()), x)
        (h,) = m.autograd.grad((x * x).sum(), x)
        return g, g._is_view(), g._version, h, h._version

    check(fn)


@pytest.mark.parametrize("write", ["inplace", "setitem", "setitem_view", "requires_grad_"])
def test_hooks_of_a_detached_tensor_that_regains_history(write):
    """detach_ keeps a tensor's hook dict. An in-place op on it resets the dict; a write through a view
    that did not require grad (torch's rebase_history via CopySlices) does not, so later hooks join the
    old grad_fn's dict and never run; a leaf runs them all."""

    def fn(m):
        calls = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        t = x * 1
        t.register_hook(lambda g: calls.append(("h0", g.tolist())))
        t.detach_()
        if write == "inplace":
            t.mul_(x)
        elif write == "setitem":
            t[0] = x[1]
        elif write == "setitem_view":
            t.view(2)[0] = x[1]
        else:
            t.requires_grad_(True)
        t.register_hook(lambda g: calls.append(("h1", g.tolist())))
        (t * 3).sum().backward()
        return calls, x.grad, t.grad_fn is None

    check(fn)


@pytest.mark.parametrize("order", ["second-first", "first-first"])
@pytest.mark.parametrize("capture", [False, True])
def test_sibling_output_hooks_run_in_registration_order(order, capture):
    """torch keeps one list of tensor pre-hooks per node: the hook dicts of its outputs run in the order they
    were first registered, not by output number; a sibling that got no gradient sees None."""

    def fn(m):
        calls = []
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a, b, c = (x * 1).unbind(0)
        first, second = (a, b) if order == "first-first" else (b, a)
        for t, name in ((first, "p"), (second, "q")):
            t.register_hook(lambda g, name=name: calls.append((name, None if g is None else g.tolist())))
        if capture:
            (g,) = m.autograd.grad(a * 3, a)
            return calls, g
        (a * 3).backward()
        return calls, x.grad

    check(fn)


@pytest.mark.parametrize("hook", ["prehook", "posthook", "tensor-hook"])
def test_node_hooks_of_a_node_that_is_only_captured(hook):
    """autograd.grad(y, y): torch's engine captures y's gradient at y's node without running it, so the node's
    pre- and post-hooks do not run (its tensor hooks do, before the capture)."""

    def fn(m):
        calls = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x[None]
        if hook == "prehook":
            y.grad_fn.register_prehook(lambda go: calls.append("pre") or tuple(g * 2 for g in go))
        elif hook == "posthook":
            y.grad_fn.register_hook(lambda gi, go: calls.append("post"))
        else:
            y.register_hook(lambda g: calls.append("tensor") or g * 3)
        (g,) = m.autograd.grad(y.sum(), y)
        (h,) = m.autograd.grad(y.sum(), x)
        return calls, g, h

    check(fn)


def test_two_roots_run_their_nodes_latest_created_first():
    """torch's ready queue runs the node created last first: with two roots, a node of the older root can run
    between nodes of the newer one, and hooks see that order."""

    def fn(m):
        calls = []
        x = m.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        s = x[0]
        s.grad_fn.register_prehook(lambda go: calls.append("slice"))
        r = 3 - x
        r.grad_fn.register_prehook(lambda go: calls.append("rsub"))
        a = s[...]
        a.grad_fn.register_prehook(lambda go: calls.append("alias"))
        m.autograd.backward([a.sum(), r], [None, m.ones_like(r)])
        return calls, x.grad

    check(fn)


@pytest.mark.parametrize("second", ["same root", "sum of two uses", "through a new node", "after zero_"])
def test_prehook_of_a_freed_node_runs_before_the_error(second):
    """A second backward through a freed node: torch's engine calls the node's pre-hooks, then fails."""

    def fn(m):
        calls = []
        a, w = m.tensor(2.0, requires_grad=True), m.tensor(3.0, requires_grad=True)
        y = a * w
        y.grad_fn.register_prehook(lambda go: calls.append([g.item() for g in go]))
        if second == "after zero_":
            y.zero_()
        y.backward()
        try:
            if second in ("same root", "after zero_"):
                y.backward()
            elif second == "sum of two uses":
                (y + y).backward()
            else:
                (y * 1).backward()
        except RuntimeError as e:
            calls.append(str(e))
        return calls

    check(fn)


@pytest.mark.parametrize("write", ["view mul_", "setitem"])
def test_retain_grad_moves_to_copy_slices(write):
    """retain_grad's hook follows the base to its CopySlices, even when the backward then fails below it."""

    def fn(m):
        out = []
        x = m.tensor([-0.5, 0.5, 1.25], requires_grad=True)
        b = m.cat([x, x * 3]).sigmoid()
        b.retain_grad()
        v = b.reshape(6)
        if write == "view mul_":
            b[-1:].mul_(2)
        else:
            b[-1] = x[0]
        (v * v).sum().backward(retain_graph=True)
        out.append(b.grad)
        with m.no_grad():
            b.sigmoid_()
        try:
            m.autograd.grad((v * v).sum(), x)
        except RuntimeError as e:
            out.append(str(e))
        return out, b.grad

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
def test_post_hook_of_a_node_whose_inputs_share_a_tensor(create_graph):
    """x + x: the node's post-hook sees each input's gradient, and the tensor gets their sum once."""

    def fn(m):
        calls = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x + x
        y.grad_fn.register_hook(lambda gi, go: calls.append([g.detach() for g in gi]))
        (g,) = m.autograd.grad((y + y * y).sum(), x, create_graph=create_graph)
        return calls, g.detach(), g.requires_grad

    check(fn)


@pytest.mark.parametrize("hook", ["node prehook", "tensor hook", "none"])
def test_an_input_listed_twice_gets_one_tensor_even_with_hooks(hook):
    def fn(m):
        x = m.tensor(2.0, requires_grad=True)
        y = 2**x
        if hook == "node prehook":
            y.grad_fn.register_prehook(lambda go: tuple(g * 2 for g in go))
        elif hook == "tensor hook":
            y.register_hook(lambda g: g * 5)
        g1, g2, g3 = m.autograd.grad(y * 2, (y, x, y), retain_graph=True)
        g4, g5 = m.autograd.grad(y, (y, y))
        return g1 is g3, g4 is g5, g1, g2, g4, g1._version

    check(fn)


@pytest.mark.parametrize("hook", ["observing", "replacing"])
def test_hooks_that_only_observe_keep_shared_gradient_tensors(hook):
    """autograd.grad returns one tensor for inputs that get the very same gradient (through an add); hooks
    that return None leave that so, a hook that replaces a gradient gives its own tensor."""

    def fn(m):
        x = m.tensor(0.5, requires_grad=True)
        a = x.view(1)
        b = a + x
        b.register_hook(lambda g: None if hook == "observing" else g * 2)
        b.grad_fn.register_hook(lambda gi, go: None)
        gb, ga = m.autograd.grad((b * b).sum(), (b, a))
        return gb is ga, gb, ga

    check(fn)


@pytest.mark.parametrize("prehook", ["replace", "drop", "observe"])
@pytest.mark.parametrize("create_graph", [False, True])
def test_accumulate_grad_node_hooks(prehook, create_graph):
    """A leaf's AccumulateGrad is one node while any graph holds it; backward runs its hooks in torch's order
    (tensor hooks, pre-hooks, .grad, post-accumulate hooks, post-hooks); autograd.grad only captures."""

    def fn(m):
        calls = []
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        acc = y.grad_fn.next_functions[0][0]
        returns = {"replace": lambda go: (go[0] * 3,), "drop": lambda go: (None,), "observe": lambda go: None}
        x.register_hook(lambda g: calls.append(("tensor", g.detach())))
        acc.register_prehook(lambda go: calls.append(("pre", [g.detach() for g in go if g is not None])))
        acc.register_prehook(returns[prehook])
        acc.register_hook(lambda gi, go: calls.append(("post", gi, [g is None for g in go])))
        x.register_post_accumulate_grad_hook(lambda t: calls.append(("acc", t.grad)))
        z = x.exp()
        same_node = z.grad_fn.next_functions[0][0] is acc
        (g,) = m.autograd.grad(z.sum(), x, retain_graph=True)
        y.sum().backward(create_graph=create_graph)
        first = x.grad, x.grad is not None and x.grad._version
        z.sum().backward()
        return calls, same_node, g, first, x.grad

    check(fn)


def test_accumulate_grad_post_hook_alone():
    def fn(m):
        seen = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        y.grad_fn.next_functions[0][0].register_hook(lambda gi, go: seen.append((gi, [g * 1 for g in go])))
        y.sum().backward()
        return seen, x.grad

    check(fn)


@pytest.mark.parametrize("returned", ["one value", "empty tuple", "not a tuple"])
def test_accumulate_grad_post_hook_returns(returned):
    def fn(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        r = {"one value": lambda gi, go: (go[0],), "empty tuple": lambda gi, go: (), "not a tuple": lambda gi, go: 1}
        y.grad_fn.next_functions[0][0].register_hook(r[returned])
        try:
            y.sum().backward()
        except (RuntimeError, TypeError) as e:
            return type(e).__name__, str(e), x.grad
        return x.grad

    check(fn)


@pytest.mark.parametrize("mode", ["keep", "keep alias", "replace and keep", "replace and keep alias", "in place"])
@pytest.mark.parametrize("leaf", ["x", "x.t()", "x[:, ::2]"])
def test_gradient_a_leaf_hook_saw_becomes_grad_unless_kept(mode, leaf):
    """AccumulateGrad steals the gradient tensor the leaf's hooks saw (or returned) when nothing else holds it:
    a detached alias a hook kept then shares .grad's storage; a kept reference makes it copy (version 1)."""

    def fn(m):
        store = []

        def hook(g):
            r = g * 3 if mode.startswith("replace") else g
            if mode.endswith("keep"):
                store.append(r)
            elif mode.endswith("alias"):
                store.append(r.detach())
            return g.mul_(2) if mode == "in place" else r if mode.startswith("replace") else None

        base = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        x = eval(leaf, {"x": base}).requires_grad_()
        x.register_hook(hook)
        (x * 2).sum().backward()
        first = x.grad._version
        (x * x).sum().backward()
        return first, x.grad._version, x.grad, store

    check(fn)


_CYCLE_WARNING_SCRIPT = """
import sys, warnings
m = __import__(sys.argv[1])
warnings.simplefilter("always")
x = m.tensor([1.0, 2.0], requires_grad=True)
with warnings.catch_warnings(record=True) as seen:
    m.autograd.grad((x * x).sum(), x, create_graph=True)
    (x * x).sum().backward(create_graph=True)
    (x * 3).sum().backward(create_graph=True, inputs=[x])
print([(w.category.__name__, str(w.message)) for w in seen])
"""


def test_backward_with_create_graph_warns_once_per_process():
    import subprocess
    import sys

    out = [
        subprocess.run([sys.executable, "-c", _CYCLE_WARNING_SCRIPT, m], capture_output=True, text=True, check=True)
        for m in ("torch", "torchish")
    ]
    assert "UserWarning" in out[0].stdout  # (the scenario does reach torch's warning)
    assert out[1].stdout == out[0].stdout


@pytest.mark.parametrize("hook", ["none", "node prehook", "node post-hook", "tensor hook", "returns its input"])
@pytest.mark.parametrize("graph", ["x + x", "x * 1 + x", "(x + 0) + x", "x.view(2) + x", "x.sum() + x"])
def test_gradient_a_hook_made_is_summed_into_in_place(graph, hook):
    """A hook's own tensor is held by nobody else, so a second contribution is added into it in place
    (version 1) where the caller's gradient or a shared pass-through would be summed out of place."""

    def fn(m):
        out = []
        x = m.tensor([1.0, 2.0], requires_grad=True)
        for run in ("grad", "backward"):
            y = eval(graph, {"x": x})
            if hook == "node prehook":
                y.grad_fn.register_prehook(lambda g: (g[0] * 1,))
            elif hook == "node post-hook":
                y.grad_fn.register_hook(lambda gi, go: tuple(None if g is None else g * 1 for g in gi))
            elif hook == "tensor hook":
                y.register_hook(lambda g: g * 1)
            elif hook == "returns its input":
                y.register_hook(lambda g: g)
            if run == "grad":
                (g,) = m.autograd.grad(y, x, m.ones(2))
                out.append((g, g._version))
            else:
                x.grad = None
                y.backward(m.ones(2))
                out.append((x.grad, x.grad._version))
        return out

    check(fn)


@pytest.mark.parametrize("f", ["norm", "vector_norm 3", "norm dim", "square sum", "exp sum", "x + x", "x - 2x"])
def test_second_derivative_through_a_create_graph_node_named_like_a_pass_through(f):
    """A create_graph history's node is named after JAX's last primitive (AddBackward0 for norm's gradient):
    the name must not make the version replay return grad_outputs as if an add had passed it on."""

    def fn(m):
        fs = {
            "norm": lambda x: m.norm(x),
            "vector_norm 3": lambda x: m.linalg.vector_norm(x, 3),
            "norm dim": lambda x: x.norm(dim=0),
            "square sum": lambda x: (x * x).sum(),
            "exp sum": lambda x: x.exp().sum(),
            "x + x": lambda x: (x.sin() + x.sin()).sum(),
            "x - 2x": lambda x: (x.sin() - 2 * x.cos()).sum(),
        }
        x = m.tensor([0.3, 0.4], requires_grad=True)
        (g,) = m.autograd.grad(fs[f](x), x, create_graph=True)
        (a,) = m.autograd.grad(g, x, m.ones(2), retain_graph=True)
        (b,) = m.autograd.grad(g.sum(), x)
        return a.detach(), b.detach()

    check(fn)


@pytest.mark.parametrize("after", ["nothing", "requires_grad_", "in-place"])
def test_retain_grad_hook_stays_on_the_node_a_tensor_was_detached_from(after):
    """detach_() leaves a retain_grad hook on the old grad_fn: .grad still fills when backward runs through it
    (an in-place op would move the hook to the new node)."""

    def fn(m):
        x = m.tensor(1.0, requires_grad=True)
        t = x + 2
        t.retain_grad()
        y = t * 2
        t.detach_()
        z = None
        if after == "requires_grad_":
            t.requires_grad_()
            z = t * 3
        elif after == "in-place":
            t.requires_grad_()
            z = (t * 1).mul_(3)
        if z is not None:
            z.backward(retain_graph=True)
        y.backward()
        return t.grad, t.retains_grad, x.grad

    check(fn)


@pytest.mark.parametrize("shape", [(), (1,), (2,)])
@pytest.mark.parametrize("op", ["squeeze_()", "unsqueeze_(0)", "t_()", "transpose_(0, -1)"])
def test_retain_grad_hook_stays_behind_an_inplace_view_op(op, shape):
    """An in-place view op gives the tensor a new grad_fn without moving its retain_grad hook (torch's set_history):
    .grad is the gradient at the old node, of the old shape."""

    def fn(m):
        x = m.full(shape, 0.5, requires_grad=True)
        y = x * 1
        y.retain_grad()
        eval("y." + op)
        (y * 3).sum().backward()
        return y.grad, x.grad, y.retains_grad

    check(fn)


def test_each_formula_node_is_a_class_of_its_own():
    """type(grad_fn).__name__ is the node's name (what graph printers such as torchviz show), and every node,
    AccumulateGrad included, is a torch.autograd.graph.Node."""

    def fn(m):
        x = m.ones(2, 3, requires_grad=True)
        z = x.clone()
        z[0] = 1
        w = x.clone()
        w[m.tensor([0])] = 1
        ys = [x * 2, x.sum(), x.t(), x @ x.t(), z, w, x.exp().mean(0), m.relu(x)]
        acc = ys[0].grad_fn.next_functions[0][0]
        nodes = [y.grad_fn for y in ys] + [acc]
        return [type(n).__name__ for n in nodes], [isinstance(n, m.autograd.graph.Node) for n in nodes]

    check(fn)


@pytest.mark.parametrize("hook", ["none", "observe", "double", "in place"])
@pytest.mark.parametrize("inputs", ["c", "c and x"])
def test_captured_gradient_version_around_tensor_hooks(inputs, hook):
    """autograd.grad's input c, whose node also feeds x: torch captures c's summed gradient buffer (version 1)
    before c's hooks run; when c's node only captures, the hooks' tensor is what is returned. A hook that writes
    into the buffer in place changes what was captured too."""

    def fn(m):
        x = m.tensor([[1.0, -2.0, 0.5], [0.25, 1.5, -1.0]], requires_grad=True)
        c = m.cat([x, x], -1)
        if hook == "double":
            c.register_hook(lambda g: g * 2)
        elif hook == "observe":
            c.register_hook(lambda g: None)
        elif hook == "in place":
            c.register_hook(lambda g: g.mul_(2))
        grads = m.autograd.grad((c * c).sum(), (c,) if inputs == "c" else (c, x))
        return [(g, g._version) for g in grads]

    check(fn)


_NODE_CALLS = {
    "exp": lambda m, x: x.exp(),
    "x*x": lambda m, x: x * x,
    "x*c": lambda m, x: x * m.tensor([3.0, 4.0]),
    "sum": lambda m, x: x.sum(),
    "view": lambda m, x: x.view(2, 1),
    "tanh": lambda m, x: x.tanh(),
    "div": lambda m, x: x / (x + 1),
}


@pytest.mark.parametrize("mode", ["grad", "no_grad", "grad requires"])
@pytest.mark.parametrize("op", sorted(_NODE_CALLS))
def test_calling_a_node(op, mode):
    """grad_fn(*grads) runs the node's formula in the current grad mode: in grad mode its results have the
    formula's history (through what it saved), and can be differentiated again."""

    def fn(m):
        x = m.tensor([0.5, 1.5], requires_grad=True)
        y = _NODE_CALLS[op](m, x)
        g = m.ones(y.shape, requires_grad=mode == "grad requires") * 0.5
        with m.no_grad() if mode == "no_grad" else contextlib.nullcontext():
            out = y.grad_fn(g)
        outs = out if isinstance(out, tuple) else (out,)
        seen = [(o, o.requires_grad, None if o.grad_fn is None else o.grad_fn.name()) for o in outs if o is not None]
        first = next(o for o in outs if o is not None)
        if first.requires_grad:
            seen.append(m.autograd.grad(first.sum(), x, allow_unused=True))
        return seen, len(outs)

    check(fn)


@pytest.mark.parametrize("function", ["custom", "mul"])
@pytest.mark.parametrize("hooked", [False, True])
def test_detach_lets_go_of_the_node_its_hooks_were_registered_on(function, hooked):
    """After y.detach_() nothing holds y's old node: the AccumulateGrad it held dies with it (a post-hook registered
    through a throwaway graph is gone with it), whether or not y had tensor hooks (thorough SM seed 289)."""

    def fn(m):
        log = []
        x = m.zeros(2, 3, requires_grad=True)
        y = custom_functions(m)["double"].apply(x) if function == "custom" else x * 2
        if hooked:
            y.register_hook(lambda g: None)
        (x * 1).grad_fn.next_functions[0][0].register_hook(lambda gi, go: log.append("post"))
        y.detach_()
        x.backward(m.ones(2, 3))
        return log, x.grad, y.requires_grad, y.grad_fn

    check(fn)


@pytest.mark.parametrize("op", ["cat", "stack"])
@pytest.mark.parametrize("via", ["autograd.grad", "backward"])
def test_cat_and_stack_hooks_see_every_inputs_gradient(op, via):
    """torch's cat/stack formula slices the gradient for every input once one needs it: a post-hook of the node
    sees a gradient for an input that does not require grad too."""
    log = []

    def fn(m):
        log.clear()
        x = m.zeros(3, requires_grad=True)
        y = getattr(m, op)([x, m.ones(3), x * 2])
        y.grad_fn.register_hook(lambda gi, go: log.append(tuple(None if g is None else g.shape for g in gi)))
        loss = (y * y).sum()
        if via == "backward":
            loss.backward()
            return x.grad, tuple(log)
        return m.autograd.grad(loss, x), tuple(log)

    check(fn)


@pytest.mark.parametrize(
    "op", ["topk", "kthvalue", "mode", "sort", "sort with ties", "take", "masked_select", "gather", "index_select"]
)
def test_the_selecting_ops_have_an_edge_for_their_input_alone(op):
    """torch's nodes of the ops that select by an index or a mask have no edge for it (next_functions: the input's)."""

    def fn(m):
        x = m.tensor([3.0, 1.0, 2.0], requires_grad=True)
        i = m.tensor([0, 2])
        y = {
            "topk": lambda: x.topk(2)[0],
            "kthvalue": lambda: x.kthvalue(2)[0],
            "mode": lambda: x.mode()[0],
            "sort": lambda: x.sort()[0],
            "sort with ties": lambda: (x * 0).sort()[0],
            "take": lambda: x.take(i),
            "masked_select": lambda: x.masked_select(x > 1.5),
            "gather": lambda: x.gather(0, i),
            "index_select": lambda: x.index_select(0, i),
        }[op]()
        return graph_names(y.grad_fn, 2)

    check(fn)
