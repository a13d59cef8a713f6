"""The gradient tensors torch's formulas and engine make views of (sum's expand, a broadcast input's summed
gradient, view formulas, CopySlices) and how that shows: autograd.grad's results, their bases, versions, and
in-place writes into them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engine_common import FEW, arrays, check, leaf, node_names, nonzero_arrays


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
@pytest.mark.parametrize(
    "case",
    [
        "mul",
        "add",
        "mul by a tensor that needs grad",
        "size-1 dim",
        "two leading dims",
        "0-dim input",
        "expand",
        "used twice",
    ],
)
def test_a_broadcast_input_gets_a_view_of_the_summed_gradient(case, create_graph):
    """torch's engine (and expand's formula) sums a broadcast input's gradient to its shape with keepdim, then
    views away the leading dims: autograd.grad returns that view (its _base the keepdim sum); .grad is no view.
    To a 0-dim input, sum_to is a plain sum(): no view. A second contribution is summed out of place."""

    def fn(m):
        x = m.ones(2, 1) if case == "size-1 dim" else m.ones(()) if case == "0-dim input" else m.ones(3)
        x.requires_grad_()
        y = m.ones(4, 2, 3) if case == "two leading dims" else m.ones(2, 3)
        w = y.clone().requires_grad_()
        out = {"add": lambda: x + y, "mul by a tensor that needs grad": lambda: x * w}.get(case, lambda: x * y)()
        if case == "expand":  # (expand's formula is sum_to too)
            out = x.expand(2, 3) * x.expand(2, 3)
        elif case == "used twice":  # (a view is never summed into in place: its base holds the storage too)
            out = x * y + x * y
        (g,) = m.autograd.grad(out.sum(), x, create_graph=create_graph, retain_graph=True)
        base = g._base
        out.sum().backward()
        return g, g._version, base is not None and (base.shape, base.grad_fn and base.grad_fn.name()), x.grad._base

    check(fn)


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


@FEW
@given(
    arrays((2, 3)),
    st.sampled_from(["tensor hook", "prehook", "two hooks", "hook then write", "hook keeps a view"]),
    st.sampled_from(["itself", "add", "view", "reshape_0d", "t", "sum", "mul", "twice"]),
)
def test_autograd_grad_returns_a_hooks_tensor_or_a_view_of_it(a, hook, path):
    """A hook's own tensor flows on as torch's root gradient does: a formula passing it on returns that very
    tensor, a view formula a view of it made in no_grad mode (its _base, detach_ and in-place errors)."""

    def fn(m, a):
        x = leaf(m, a)
        made = []

        def double(g):
            made.append(g * 2)
            if hook == "hook then write":
                made[-1].add_(1)
            if hook == "hook keeps a view":
                made[-1][0]
            return made[-1]

        ins, y = {
            "itself": lambda: ([x], x * 1),
            "add": lambda: ([x], x + 1),
            "view": lambda: ([x], x.view(6)),
            "reshape_0d": lambda: ([x[0, :1]], x[0, :1].reshape(())),
            "t": lambda: ([x], x.t()),
            "sum": lambda: ([x], x.sum()),
            "mul": lambda: ([x], x * 3),
            "twice": lambda: ([x, x], x.view(3, 2)),
        }[path]()
        if path == "itself":
            ins = [y]
        if hook == "prehook":
            y.grad_fn.register_prehook(lambda gs: (double(gs[0]),))
        else:
            y.register_hook(double)
            if hook == "two hooks":
                y.register_hook(double)
        gs = m.autograd.grad(y, ins, m.full(y.shape, 0.5))
        out = []
        for g in gs:
            out += [g, g is made[-1], g._is_view(), g._base is made[-1], g._version, g.stride()]
            for write in (lambda: g.detach_(), lambda: g.add_(leaf(m, a).sum()), lambda: g.mul_(2)):
                try:
                    write()
                    out.append("ok")
                except RuntimeError as e:
                    out.append(str(e))
        return out, made[-1], made[-1]._version, gs[0] is gs[-1]

    check(fn, a)


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
        seen = (g._is_view(), g._base.shape, g._base.grad_fn.name(), node_names(g.grad_fn), g._version)
        (gg,) = m.autograd.grad((g * g).sum(), x, retain_graph=True)
        try:
            g.detach_()
        except RuntimeError as e:
            seen += (str(e),)
        g.mul_(2)
        (g2,) = m.autograd.grad(g.sum(), x)
        return seen, gg, g2, g._version, g.grad_fn.name(), g._base.grad_fn.name()

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


@pytest.mark.parametrize("hook", ["none", "observe", "keep", "in place", "replace", "post-accumulate add_"])
@pytest.mark.parametrize("how", ["view", "t", "permute of a permuted root", "unsqueeze then squeeze", "mul"])
def test_backward_steals_a_view_of_the_root_gradient(how, hook):
    """A view's formula views the root's gradient tensor: that view is what the leaf's hooks see (a write into
    it reaches the caller's tensor) and, where it obeys the leaf's layout and nobody kept it, what
    AccumulateGrad steals as .grad, sharing the root tensor's storage and version counter."""

    def fn(m):
        kept = []
        x = m.zeros(2, 3, requires_grad=True)
        y = {
            "view": lambda: x.view(6),
            "t": lambda: x.t(),
            "permute of a permuted root": lambda: x.permute(1, 0),
            "unsqueeze then squeeze": lambda: x.unsqueeze(0).squeeze(0),
            "mul": lambda: x * 1,
        }[how]()
        hooks = {
            "observe": lambda g: None,
            "keep": kept.append,
            "in place": lambda g: g.mul_(2) and None,
            "replace": lambda g: g * 3,
        }
        if hook in hooks:
            x.register_hook(hooks[hook])
        elif hook == "post-accumulate add_":
            x.register_post_accumulate_grad_hook(lambda t: [t.grad.add_(1)] and None)
        g = m.ones_like(y) if how == "permute of a permuted root" else m.ones(y.shape)  # (ones_like: y's strides)
        y.backward(g)
        seen = [x.grad._version, g._version, x.grad.stride()]
        g.add_(1)
        return seen, x.grad, x.grad._version, g

    check(fn)


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("op", ["cat", "stack"])
@pytest.mark.parametrize("inputs", ["x twice", "x and w"])
def test_grad_version_of_cats_and_stacks_views(op, dim, inputs):
    """cat's narrow and stack's unbind view the incoming gradient: a view that lays the leaf out as it is gets
    stolen (its version), one that does not is copied (version 1); two views of one gradient for the same leaf
    sum out of place (version 0), the storage being shared."""

    def fn(m):
        x = m.zeros(2, 3, requires_grad=True)
        w = m.zeros(2, 3, requires_grad=True)
        t = getattr(m, op)([x, x] if inputs == "x twice" else [x, w], dim)
        t.backward(m.ones_like(t) * 0.5)
        return x.grad, x.grad._version, w.grad, None if w.grad is None else w.grad._version

    check(fn)


_CAT_INPUT_OPS = {"as is": lambda t: t, "exp": lambda t: t.exp(), "t.t": lambda t: t.t().t(), "* 2": lambda t: t * 2}


@settings(max_examples=max(10, settings().max_examples // 10))  # (each graph compiles its backward: 10 in CI)
@given(
    st.sampled_from(["cat", "stack"]),
    st.sampled_from([0, 1, -1]),
    st.lists(st.tuples(st.integers(0, 3), st.sampled_from(sorted(_CAT_INPUT_OPS))), min_size=1, max_size=3),
    st.data(),
)
def test_autograd_grad_of_cats_and_stacks_inputs_are_views(op, dim, parts, data):
    """cat's formula narrows the incoming gradient and stack's selects from it: of an intermediate gradient,
    autograd.grad returns those views (strides, storage offsets, one _base they share), filled in from every
    input's part; an input's own formula lays its result out as TensorIterator does."""
    if op == "stack":
        parts = [(2, how) for _, how in parts]
    wanted = data.draw(st.lists(st.integers(0, len(parts) - 1), min_size=1, max_size=len(parts), unique=True))
    hooked = data.draw(st.booleans())

    def fn(m):
        xs = [m.arange(float(2 * n)).reshape(2, n).requires_grad_() if op == "cat" else m.ones(2, 2) for n, _ in parts]
        if op == "stack":
            xs = [x.requires_grad_() for x in xs]
        if hooked:
            xs[wanted[0]].register_hook(lambda g: g * 3)
        y = getattr(m, op)([_CAT_INPUT_OPS[how](x) for x, (_, how) in zip(xs, parts)], dim if op == "cat" else 0)
        w = m.arange(float(y.numel())).reshape(y.shape)
        grads = m.autograd.grad((y * w).sum(), [xs[k] for k in wanted])
        base = [None if g._base is None else (tuple(g._base.shape), g._base._version) for g in grads]
        return grads, [(g.stride(), g.storage_offset(), g._version) for g in grads], base

    check(fn)


# a layout depends on the graph, not on the values: a few examples per graph (more under the thorough profile)
LAYOUT_EXAMPLES = settings(max_examples=max(3, settings().max_examples // 20))

_ELEMENTWISE = {  # y of w, a transposed (4, 3) non-leaf, and c, a row-major (4, 3) tensor
    "exp": lambda w, c: w.exp(),
    "sigmoid": lambda w, c: w.sigmoid(),
    "relu": lambda w, c: w.relu(),
    "pow": lambda w, c: w**3,
    "w * c": lambda w, c: w * c,
    "c * w": lambda w, c: c * w,
    "c / w": lambda w, c: c / w,
    "w / c": lambda w, c: w / c,
    "w * 2": lambda w, c: (w * 2).exp(),
    "broadcast": lambda w, c: w * c[0],
    "where": lambda w, c: w.where(c > 0, c),
    "t then exp": lambda w, c: (w * 2).t().exp().t(),
    "c.t() * x": lambda w, c: (c.t() * w.t()).t(),
    "frac": lambda w, c: w.frac(),  # (formulas that pass the gradient itself on)
    "fmod": lambda w, c: w.fmod(0.3),
    "remainder": lambda w, c: w.remainder(c),
}


@LAYOUT_EXAMPLES
@pytest.mark.parametrize("root", ["sum", "sum(0)", "mean", "mul"])
@pytest.mark.parametrize("formula", list(_ELEMENTWISE))
@given(nonzero_arrays((3, 4)), nonzero_arrays((4, 3)))  # (no product underflows to a subnormal)
def test_elementwise_gradients_are_laid_out_by_tensor_iterator(formula, root, a, b):
    """An elementwise formula's gradient is laid out as torch's TensorIterator lays out its operands (the incoming
    gradient, then what the formula reads): its strides, whether it views, AccumulateGrad's steal (version)."""

    def fn(m, a, b):
        out = []
        for create_graph in (False, True):
            x, c = leaf(m, a), m.tensor(b)
            w = (x * 1).t()
            y = _ELEMENTWISE[formula](w, c)
            r = {"sum": y.sum(), "sum(0)": y.sum(0).sum(), "mean": y.mean(), "mul": (y * c).sum()}[root]
            gw, gx = m.autograd.grad(r, (w, x), retain_graph=True, create_graph=create_graph)
            # (create_graph histories are JAX's: their names are a known difference, compared elsewhere)
            out += [gw.detach(), gw.stride(), gw._version, gx.stride(), gx._version, gw.is_contiguous()]
            try:
                out.append(gw.view(-1).stride())
            except RuntimeError as e:
                out.append(str(e))
        x, c = leaf(m, a), m.tensor(b)
        y = _ELEMENTWISE[formula](c.t() * x, c.t().contiguous())  # (c.t() * x: laid out as c.t())
        y.sum().backward()
        out += [x.grad, x.grad.stride(), x.grad._version]
        seen = []  # (what a tensor hook on w sees)
        x, c = leaf(m, a), m.tensor(b)
        w = (x * 1).t()
        w.register_hook(lambda g: seen.append((g.stride(), g.is_contiguous())))
        _ELEMENTWISE[formula](w, c).sum().backward()
        return out + [seen, x.grad._version]

    check(fn, a, b, rtol=1e-4, atol=1e-4)


def test_same_graph_with_another_operand_layout():
    """The version replay is cached by the graph's structure: the operands' layouts are part of it (a strided
    operand lays the gradient out as itself, which AccumulateGrad then copies: version 1)."""

    def fn(m):
        out = []
        for strided in (False, True, False):
            x = m.ones(3, 4, requires_grad=True)
            b = m.full((4, 3), 2.0).t() if strided else m.full((3, 4), 2.0)
            (b * x).exp().sum().backward()
            out.append((x.grad.stride(), x.grad._version))
        return out

    check(fn)


@pytest.mark.parametrize("hook", ["leaf hook", "accumulator prehook"])
def test_a_leaf_hook_sees_the_gradient_laid_out(hook):
    """A leaf's hooks see the incoming gradient as TensorIterator laid it out; AccumulateGrad then copies it into
    the leaf's layout (version 1, then 2 once summed into)."""

    def fn(m):
        seen = []
        x = m.ones(3, 4, requires_grad=True)
        if hook == "leaf hook":
            x.register_hook(lambda g: seen.append((g.stride(), g.is_contiguous())))
        else:
            (x * 1).grad_fn.next_functions[0][0].register_prehook(lambda gs: seen.append(gs[0].stride()))
        bt = m.full((4, 3), 2.0).t()
        for _ in range(2):
            (bt * x).exp().sum().backward()
        return seen, x.grad, x.grad.stride(), x.grad._version

    check(fn)
