"""Engine states the autograd state machine found wanting, each a small scenario against torch: hooks of
sibling outputs, views and their rebased histories, create_graph inputs, buffers torch returns, dead ends."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine_common import FEW, arrays, check, leaf

# state the autograd state machine found wanting: each a small scenario against torch


@FEW
@given(arrays((3,)))
def test_detach_shares_storage(a):
    def fn(m, a):
        x = leaf(m, a, requires_grad=False)
        d = x.detach()
        x.exp_()
        after_base_write = d.clone()
        d.add_(1)
        return after_base_write, x, d, x._version, d._version

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_detach_of_a_dropped_view_still_shares_the_base(a):
    def fn(m, a):
        x = leaf(m, a, requires_grad=False)
        v = x[1:]
        d = v.detach()
        dd = d.detach()
        del v, d  # (freed at once: nothing holds them in a cycle)
        dd.add_(1)  # the view and the first alias are gone: the write still reaches x
        return x, dd, x._version

    check(fn, a)


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


@FEW
@given(arrays((2, 3)), st.sampled_from(["add", "mul", "view", "sum", "sum1", "sum1-keepdim-t", "permute", "squeeze"]))
def test_autograd_grad_returns_the_root_gradient_or_a_view_of_it(a, how):
    """torch's formulas pass the incoming gradient on (add) or view it (sum's expand, view's reshape, t): the
    result is then grad_outputs itself or a view of it made in no_grad mode, sharing its storage."""

    def fn(m, a):
        y = leaf(m, a)
        out, shape = {
            "add": (lambda: y + 1, (2, 3)),
            "mul": (lambda: y * 1, (2, 3)),
            "view": (lambda: y.view(6), (6,)),
            "sum": (lambda: y.sum(), ()),
            "sum1": (lambda: y.sum(1), (2,)),
            "sum1-keepdim-t": (lambda: y.sum(1, keepdim=True).t(), (1, 2)),
            "permute": (lambda: y.permute(1, 0), (3, 2)),
            "squeeze": (lambda: y.unsqueeze(0).squeeze(), (2, 3)),
        }[how]
        v = m.full(shape, 0.5)
        (g,) = m.autograd.grad(out(), y, v)
        seen = [g is v, g._is_view(), g._base is v, g.stride(), g._version]
        try:
            g.add_(leaf(m, a))  # a view made in no_grad mode, modified with grad
        except RuntimeError as e:
            seen.append(str(e))
        g.mul_(2)
        return seen, g, v, v._version

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
@given(arrays((2, 3)))
def test_a_write_into_an_expanded_gradient_lands_in_its_one_element(a):
    def fn(m, a):
        x = leaf(m, a)
        (g,) = m.autograd.grad(x.sum(), x)  # expanded from the implicit tensor(1.)
        g[0, 1] = 1.25
        b = m.zeros(3)
        e = b.expand(2, 3)
        e[1] = m.tensor([3.0, 4.0, 5.0])
        return g, g._base, e, b, b._version

    check(fn, a)


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
def test_view_made_in_no_grad_of_requires_grad_tensor(a):
    def fn(m, a):
        x = leaf(m, a)
        y = x * 1
        with m.no_grad():
            v = x.unsqueeze(-1)
            w = y[0:2]
        return v, w

    check(fn, a)


@FEW
@given(arrays((3,)))
def test_view_grad_fn_after_base_inplace_under_no_grad(a):
    def fn(m, a):
        x = leaf(m, a)
        v = x[None]
        u = (x * 1).view(3)
        with m.no_grad():
            x.add_(1)
            u._base.mul_(2)
        return v, u

    check(fn, a)


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
@given(arrays((2, 3)), st.sampled_from(["leaf", "interior", "backward", "create_graph"]))
def test_gradient_through_a_rebased_view_is_a_view_of_its_own(a, how):
    """as_strided_backward returns a view of fresh zeros of its input's storage size (backward()'s
    AccumulateGrad steals a detached alias of it instead)."""

    def fn(m, a, how):
        x = leaf(m, a)
        y = x if how != "interior" else x * 1
        v = y[0]
        with m.no_grad():
            y.add_(1)
        if how == "backward":
            v.sum().backward()
            return x.grad, x.grad._base is None, x.grad._version
        (g,) = m.autograd.grad(v.sum(), y, create_graph=how == "create_graph")  # (a gradient with no history)
        try:
            g.detach_()
        except RuntimeError as e:
            refused = str(e)
        return g, g._base, g._version, g._is_view(), refused

    check(fn, a, how)


@FEW
@given(arrays((3,)), st.booleans())
def test_a_returned_view_of_the_root_gradient_has_the_backward_grad_mode(a, create_graph):
    """torch's engine runs the backward in create_graph's grad mode: a view it returns was made in no_grad mode
    (and refuses a recorded in-place write) only without create_graph."""

    def fn(m, a, create_graph):
        y = leaf(m, a) + 2
        (g,) = m.autograd.grad(y.view(3).sum(), y, create_graph=create_graph)
        g.mul_(leaf(m, a) * 1)
        return g, g._base is not None

    check(fn, a, create_graph)


@FEW
@given(arrays((2, 3, 4)), st.sampled_from(["permute", "transpose", "t", "view", "reshape_0d"]))
def test_gradient_viewed_from_an_intermediate_is_a_view(a, how):
    """A view formula applied to a gradient another formula made gives a view of that (hidden) tensor."""

    def fn(m, a, how):
        x = leaf(m, a)
        w = m.tensor(a.reshape(4, 6)).exp()
        make = {
            "permute": lambda: x.permute(2, 0, 1),
            "transpose": lambda: x.transpose(0, 2),
            "t": lambda: x[0].t(),
            "view": lambda: x.view(6, 4),
            "reshape_0d": lambda: x[0, 0, :1].reshape(()),
        }
        y = make[how]()
        (g,) = m.autograd.grad((y * w.reshape(-1)[: y.numel()].reshape(y.shape)).sum(), x)
        return g, None if g._base is None else tuple(g._base.shape), g._version, g.stride()

    check(fn, a, how)


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


@FEW
@given(arrays((3,)))
def test_view_requires_grad_follows_base(a):
    def fn(m, a):
        x = leaf(m, a, requires_grad=False)
        v = x.reshape(3)
        x.requires_grad_(True)
        return v, v.requires_grad, v.is_leaf

    check(fn, a)


def _node_names(fn):
    if fn is None:
        return None
    return fn.name(), tuple((None if f is None else f.name(), k) for f, k in fn.next_functions)


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
        return _node_names(y.grad_fn), y._version

    check(fn)


def _graph_names(fn, depth=3):
    if fn is None or depth == 0:
        return None if fn is None else fn.name()
    return fn.name(), tuple(_graph_names(f, depth - 1) for f, _ in fn.next_functions)


@pytest.mark.parametrize("key", ["None", "None,None", "None,:", ":", "...", "1:"])
@pytest.mark.parametrize("value", ["x", "x[None]", "x[0]", "x[None,1:]", "2.0"])
def test_setitem_value_edges(key, value):
    """torch's copy_to copies a value of the same sizes as is, fills from a 0-dim one, else views it without its
    leading 1s and expands that: the value's path in the graph shows those nodes."""
    keys = {"None": None, "None,None": (None, None), "None,:": (None, slice(None)), ":": slice(None), "...": ...}
    keys["1:"] = slice(1, None)

    def fn(m):
        x = m.ones(3, requires_grad=True)
        values = {"x": x, "x[None]": x[None], "x[0]": x[0], "x[None,1:]": x[None, 1:], "2.0": 2.0}
        y = x * 2
        y.view(3)[keys[key]] = values[value]
        return _graph_names(y.grad_fn), y

    check(fn)


@pytest.mark.parametrize("key", ["...", "()"])
def test_setitem_0d_self_from_0d_value_copies(key):
    """copy_to checks equal sizes before the 0-dim value's fill_: a 0-dim self takes copy_."""

    def fn(m):
        x = m.tensor(0.0)
        y = m.tensor(1.0, requires_grad=True) + 2
        x[... if key == "..." else ()] = y
        return _node_names(x.grad_fn), x

    check(fn)


@pytest.mark.parametrize("op", ["x*x", "exp", "sin", "tanh", "sigmoid", "pow3"])
def test_create_graph_result_grad_fn(op):
    """What grad_fn a create_graph gradient reports: torch's backward formulas' own nodes."""
    ops = {
        "x*x": lambda x: x * x,
        "exp": lambda x: x.exp(),
        "sin": lambda x: x.sin(),
        "tanh": lambda x: x.tanh(),
        "sigmoid": lambda x: x.sigmoid(),
        "pow3": lambda x: x**3,
    }

    def fn(m):
        x = m.ones(3, requires_grad=True)
        (g,) = m.autograd.grad(ops[op](x).sum(), x, create_graph=True)
        return _node_names(g.grad_fn)

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


@pytest.mark.parametrize("view", ["reshape-same", "view", "t", "transpose", "permute"])
def test_create_graph_gradient_through_a_view_is_a_view(view):
    """With create_graph, torch's view formula still views the gradient it got: the result is a view (its
    grad_fn the view op's) of a hidden tensor that carries the backward's history. Writes, detach_ and a
    second derivative go through it."""
    ops = {
        "reshape-same": lambda x: x.reshape(2, 3),
        "view": lambda x: x.view(6),
        "t": lambda x: x.t(),
        "transpose": lambda x: x.transpose(0, 1),
        "permute": lambda x: x.permute(1, 0),
    }

    def fn(m):
        x = m.tensor([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]], requires_grad=True)
        y = ops[view](x).exp()
        (g,) = m.autograd.grad((y * y).sum(), x, create_graph=True)
        seen = (g._is_view(), g._base.shape, g._base.grad_fn.name(), _node_names(g.grad_fn), g._version)
        (gg,) = m.autograd.grad((g * g).sum(), x, retain_graph=True)
        try:
            g.detach_()
        except RuntimeError as e:
            seen += (str(e),)
        g.mul_(2)
        (g2,) = m.autograd.grad(g.sum(), x)
        return seen, gg, g2, g._version, g.grad_fn.name(), g._base.grad_fn.name()

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


@pytest.mark.parametrize("shape", [(), (1,), (2,)])
@pytest.mark.parametrize(
    "path", ["x[None].sum()", "x.unsqueeze(0).sum()", "x.sum()", "x[None].sum(0)", "x.reshape(-1, 1).t().sum()"]
)
def test_grad_version_after_views_of_an_expanded_gradient(shape, path):
    """AccumulateGrad steals a gradient that obeys the layout contract (a 0-dim view of the expanded root
    gradient does: it has no strides), else copies it in (version 1)."""

    def fn(m):
        x = m.zeros(shape, requires_grad=True)
        eval(path, {"x": x}).sum().backward()
        return x.grad, x.grad._version

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("second", ["reshape", "t", "permute"])
def test_gradients_viewed_twice_share_the_hidden_base(create_graph, second):
    """y = view of x1, z = view of y: autograd.grad(f(z), (x1, y)) returns two views of the same hidden
    gradient (the one z's view formula got), so a write through one shows in the other."""
    views = {"reshape": lambda t: t.reshape(3, 2), "t": lambda t: t.t(), "permute": lambda t: t.permute(1, 0)}

    def fn(m):
        x = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        x1 = x * 2
        y = views[second](x1)
        z = y.reshape(6)
        gx, gy = m.autograd.grad((z * z).sum(), (x1, y), create_graph=create_graph)
        seen = (gx._is_view(), gy._is_view(), gx._base is gy._base, gx._base.shape, gx._version)
        with m.no_grad():
            gy.view(gy.shape)[0] = -1.0
        return seen, gx, gy, gx._version, gy._version, gx._base.grad_fn is None

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("write", ["setitem", "view-mul", "index_put", "two", "view-add-then-use-view", "view-add"])
def test_grad_version_through_copy_slices(write, create_graph):
    """CopySlices copies the whole gradient into a new tensor, then copies (or zeroes) the slice: version 2.
    Its other inputs get the wrapped op's gradients of a clone of the slice: new tensors."""

    def fn(m):
        x = m.zeros(3, requires_grad=True)
        w = m.ones(3, requires_grad=True)
        b = x + 0
        out = b
        if write == "view-add":
            w = m.ones(2, requires_grad=True)
            b[1:].add_(w)
        elif write == "setitem":
            b[0] = w[0] * 3
        elif write == "view-mul":
            b[1:].mul_(w[1:])
        elif write == "index_put":
            b[m.tensor([0, 2])] = w[:2]
        elif write == "two":
            b[0] = w[0]
            b[1:].mul_(2)
        else:
            v = b[1:]
            v.add_(2)
            out = m.tensor(0.0) + v
        gx, gw = m.autograd.grad((out * 2).sum(), (x, w), allow_unused=True, create_graph=create_graph)
        # (a create_graph gradient's own grad_fn is JAX's derivative graph: DESIGN.md, create_graph)
        return gx.detach(), gx.requires_grad, gx._version, None if gw is None else gw._version

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("shape", [(), (1, 3, 1), (2, 3)])
@pytest.mark.parametrize(
    "path",
    ["unsqueeze(0)", "unsqueeze(-1)", "squeeze()", "squeeze(0)", "squeeze((0, 2))", "unsqueeze(0).t().squeeze(1)"],
)
def test_squeeze_and_unsqueeze_formulas_view_the_gradient(path, shape, create_graph):
    """unsqueeze's formula squeezes the gradient, squeeze's unsqueezes it (or passes it on when nothing was
    squeezed): views whose create_graph grad_fn names the op torch's formula used."""

    def fn(m):
        y = m.zeros(shape, requires_grad=True) * 1
        z = eval(f"y.{path}", {"y": y})
        (g,) = m.autograd.grad((z * z).sum() + z.sum(), y, create_graph=create_graph)
        base = g._base
        return g.detach(), g._is_view(), g.grad_fn and g.grad_fn.name(), base is not None and base.shape, g._version

    check(fn)


@pytest.mark.parametrize("leaf", ["x[:, 0]", "x.t()", "x[:, ::2]", "x", "x[0]", "x[:, :1]"])
@pytest.mark.parametrize("root", ["sum", "mul"])
def test_first_grad_version_of_a_strided_leaf(leaf, root):
    """AccumulateGrad copies a gradient it cannot steal: copy_ into the layout of a dense leaf (version 1), a
    contiguous clone for any other (version 0)."""

    def fn(m):
        x = m.zeros(2, 3)
        v = eval(leaf, {"x": x}).detach().requires_grad_(True)
        (v.sum() if root == "sum" else (v * 2).sum()).backward()
        return v.grad, v.grad._version

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


def test_index_put_that_fails_on_a_bad_index_keeps_views_histories():
    """torch's index_put_ kernel writes the elements before a bad index, then raises: the data changes, but no
    version is bumped, so views keep their grad_fn."""

    def fn(m):
        x = m.zeros(3, requires_grad=True)
        b = x * 1
        v = b.view(3)
        try:
            b.view(3)[m.tensor([0, 5])] = m.tensor([1.0, 2.0])
        except IndexError as e:
            err = str(e)
        return err, b, v, v.grad_fn.name(), b._version

    check(fn)


@pytest.mark.parametrize("write", ["storage", "alias"])
def test_view_of_a_detached_alias_sees_writes_to_the_storage(write):
    """detach() shares the version counter: a view of the alias regenerates its grad_fn after any write."""

    def fn(m):
        x = m.tensor([1.0, 2.0])
        a = x.detach().requires_grad_(True)
        v = a.reshape(2)
        (x if write == "storage" else a.detach()).add_(1)
        return v, v.grad_fn.name(), v._version

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


def test_aliases_go_on_sharing_storage_after_their_source_dies():
    """detach() and .data share the storage, which outlives the tensor they came from."""

    def fn(m):
        x = m.tensor([1.0, 2.0])
        a, b, c = x.data, x.detach(), x.data
        v = b[1:]
        del x
        gc.collect()
        a.exp_()
        first = (a.clone(), b.clone(), c.clone(), v.clone(), a._version, b._version, v._version)
        del a
        gc.collect()
        b.mul_(2)
        return first, b, c, v

    check(fn)


@pytest.mark.parametrize("order", ["part first", "whole first", "parts only"])
def test_aliases_of_parts_go_on_sharing_storage_after_their_source_dies(order):
    """A view's detach() shares the storage too: it keeps seeing writes through the other aliases (and they its
    writes) once the tensor and the view it came from are gone."""

    def fn(m):
        x = m.arange(6.0).reshape(2, 3)
        part = x[0, 1:].detach()
        column = x[:, 1].detach()
        whole = None if order == "parts only" else x.t().detach()
        del x
        gc.collect()
        if order == "whole first":
            whole.view(-1)[1].add_(100)
        column.mul_(10)
        part.sub_(1)
        if whole is not None:
            inner = whole[1:].detach()
            del whole
            gc.collect()
            inner.neg_()
            return part, column, inner, part._version, column._version, inner._version
        return part, column, part._version, column._version

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


_SHARED_ELEMENT_WRITES = {
    "unfold div_": lambda m, x: x.unfold(0, 2, 1).div_(0.5),
    "unfold add_": lambda m, x: x.unfold(0, 3, 1).add_(1),
    "as_strided mul_ by a tensor": lambda m, x: x.as_strided((3, 2), (1, 1)).mul_(m.tensor([2.0, 3.0])),
    "as_strided sigmoid_": lambda m, x: x.as_strided((2, 3), (2, 1)).sigmoid_(),
    "2-d unfold pow_": lambda m, x: x.view(2, 3).unfold(1, 2, 1).pow_(2),
}


@pytest.mark.parametrize("case", sorted(_SHARED_ELEMENT_WRITES))
def test_inplace_on_a_view_whose_elements_share_memory(case):
    """torch's kernel writes element by element: an element a view reaches twice is computed twice."""

    def fn(m):
        x = m.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        v = _SHARED_ELEMENT_WRITES[case](m, x)
        return x, v

    check(fn)


_SELF_COPIES = {
    "setitem ellipsis from the base": lambda x: x[None].__setitem__(Ellipsis, x),
    "copy_ from the base": lambda x: x[None].copy_(x),
    "setitem 0 from the base": lambda x: x[None].__setitem__(0, x),
    "copy_ from the same view": lambda x: x[None].copy_(x[None]),
    "add_ of the base": lambda x: x[None].add_(x),
    "setitem of a part": lambda x: x[None].__setitem__((0, slice(None, 2)), x[:2]),
    "setitem of a shifted part": lambda x: x[None].__setitem__((0, slice(1, None)), x[:2]),
    "copy_ of an expanded view into itself": lambda x: x.expand(2, 3).copy_(x.expand(2, 3)),
    "setitem of an expanded view from its base": lambda x: x.expand(2, 3).__setitem__(None, x),
    "setitem of an expanded view from elsewhere": lambda x: x.expand(2, 3).__setitem__(None, x * 2),
    "fill of an expanded view": lambda x: x.expand(2, 3).__setitem__(Ellipsis, 1.0),
}


@pytest.mark.parametrize("case", sorted(_SELF_COPIES))
def test_writes_from_the_same_memory(case):
    """Full overlap (the same elements in the same layout, the expanded value included) is allowed; anything
    else is torch's partial-overlap error."""

    def fn(m):
        x = m.tensor([1.0, 2.0, 3.0])
        try:
            _SELF_COPIES[case](x)
        except RuntimeError as e:
            return str(e), x, x._version
        return x, x._version

    check(fn)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize(
    "source, size, stride, offset",
    [
        ("y", (2, 2), (2, 1), 1),
        ("y[3:10]", (2, 2), (2, 1), 5),
        ("y.view(4, 6)[1:, 2:].t()", (2, 2), (6, 1), 8),
        ("y.view(4, 6)[:, 1]", (2,), (6,), 7),
        ("y", (3, 3), (1, 1), 0),
    ],
)
def test_gradient_through_as_strided(source, size, stride, offset, create_graph):
    """as_strided_backward: zeros over the input's storage extent, viewed with the input's geometry (under
    create_graph an AsStridedBackward0 over the history of the backward)."""

    def fn(m):
        w = m.arange(24.0, requires_grad=True)
        src = eval(source, {"y": w * 1})
        v = src.as_strided(size, stride, offset)
        (g,) = m.autograd.grad((v * v).sum(), src, create_graph=create_graph)
        out = [g, g.stride(), g.storage_offset(), g._version, g._base is not None and tuple(g._base.shape)]
        if create_graph:
            out += [g.grad_fn.name(), m.autograd.grad((g * g).sum(), w)]
        return out

    check(fn)


def test_view_requiring_grad_through_its_base_saves_for_backward():
    """A view made before its base required grad has no edge, yet torch's node saves it (and checks it)."""

    def fn(m):
        base = m.ones(2, 3)
        v = base.squeeze()
        base.requires_grad_(True)
        y = v.pow(3)
        with m.no_grad():
            v.add_(1)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return str(e), y.grad_fn.next_functions
        return y.grad_fn.next_functions

    check(fn)


@pytest.mark.parametrize("src_dtype", ["float32", "float64"])
def test_copy_passes_the_gradient_on_to_its_source(src_dtype):
    """CopyBackwards gives src grad.to(src's dtype): the very tensor where the dtypes agree."""

    def fn(m):
        x = m.zeros(3, requires_grad=True, dtype=getattr(m, src_dtype))
        a = m.zeros(3) + 2
        a[...] = x
        (g,) = m.autograd.grad((a * a).sum(), x)
        b = m.zeros(3) + 2
        b.copy_(x)
        gx, gb = m.autograd.grad((b * 3).sum(), (x, b))
        return g, g._version, gx._version, gx is gb

    check(fn)


def test_write_through_data_keeps_views_histories():
    """.data has a version counter of its own: a write through it leaves the views' grad_fn as they were
    (a detach() shares the counter: its write regenerates them)."""

    def fn(m):
        x = m.zeros(2, 3, requires_grad=True)
        a, _ = x.chunk(2)
        y = x * 1
        v = y[0]
        y.data[0].add_(1)
        before = (a.grad_fn.name(), a.is_leaf, v.grad_fn.name(), y._version)
        y.detach()[1].add_(1)
        return before, v.grad_fn.name(), y._version, a, v

    check(fn)


@pytest.mark.parametrize("target", ["data of the base", "fresh"])
def test_inplace_reads_a_stale_multi_output_view_before_its_overlap_check(target):
    """An in-place op that records collects its inputs' histories before TensorIterator's checks: a stale
    chunk output is refused with the multi-output view error, not the memory-overlap one."""

    def fn(m):
        x = m.zeros(2, 3, requires_grad=True)
        a, _ = x.chunk(2)
        x.detach().add_(1)
        dest = x.data if target == "data of the base" else m.zeros(2, 3)
        try:
            dest.add_(a)
        except RuntimeError as e:
            return str(e)
        return dest

    check(fn)


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


@pytest.mark.parametrize("op", ["narrow", "slice", "view", "detach"])
def test_view_op_on_a_stale_multi_output_view(op):
    """narrow (a composite: its checks, then a slice) still reads the stale chunk output's history first."""

    def fn(m):
        x = m.zeros(3, requires_grad=True)
        a, _ = x.chunk(2)
        x.detach_()
        x[0] = 1.25
        ops = {"narrow": lambda t: t.narrow(0, 0, 1), "slice": lambda t: t[0:1], "view": lambda t: t.view(2)}
        ops["detach"] = lambda t: t.detach()
        try:
            r = ops[op](a)
        except RuntimeError as e:
            return str(e)
        return r, r.grad_fn

    check(fn)


@pytest.mark.parametrize("then", ["view add_", "sub-view mul_", "write through an alias", "alias, then read grad_fn"])
def test_version_error_names_the_views_node_while_it_lives(then):
    """exp_ on a view saves its result with the view's rebuilt AsStrided node held weakly; torch rebuilds a
    view's history lazily, so that node lives until the view's grad_fn is read again (or the view itself is
    written), and the version error names it while it lives, else Exp."""

    def fn(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = x * 1
        v = b.view(3)
        v.exp_()
        if then == "view add_":
            v.add_(2)
        elif then == "sub-view mul_":
            v[1:].mul_(2)
        else:
            b.detach().add_(1)
            if then == "alias, then read grad_fn":
                v.grad_fn  # noqa: B018
        try:
            m.autograd.grad(b.sum(), x)
        except RuntimeError as e:
            return str(e)

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
