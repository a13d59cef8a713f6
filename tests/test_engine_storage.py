"""Storage the autograd state machine found wanting, each a small scenario against torch: detach() and .data
aliases (also once their source dies), views and their rebased histories, writes through views, setitem,
memory that overlaps itself, as_strided."""

from __future__ import annotations

import gc

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.engine_common import FEW, arrays, check, graph_names, leaf, node_names


@pytest.fixture(autouse=True)
def _young_heap():
    """The tests' gc.collect() traverses what the test made only: the worker's older objects are frozen for it (a
    full collection of a worker's heap, JAX's caches included, takes seconds)."""
    gc.freeze()
    yield
    gc.unfreeze()


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
@given(arrays((3,)))
def test_view_requires_grad_follows_base(a):
    def fn(m, a):
        x = leaf(m, a, requires_grad=False)
        v = x.reshape(3)
        x.requires_grad_(True)
        return v, v.requires_grad, v.is_leaf

    check(fn, a)


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
        return graph_names(y.grad_fn), y

    check(fn)


@pytest.mark.parametrize("key", ["...", "()"])
def test_setitem_0d_self_from_0d_value_copies(key):
    """copy_to checks equal sizes before the 0-dim value's fill_: a 0-dim self takes copy_."""

    def fn(m):
        x = m.tensor(0.0)
        y = m.tensor(1.0, requires_grad=True) + 2
        x[... if key == "..." else ()] = y
        return node_names(x.grad_fn), x

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


@pytest.mark.parametrize("ops", ["t_", "transpose_ then t_", "unsqueeze_", "none"])
@pytest.mark.parametrize("source", ["row-major", "transposed in no_grad"])
def test_an_alias_keeps_its_layout_when_its_source_dies(ops, source):
    """An alias that took in-place view ops has its geometry on the storage: it keeps it (strides, contiguity)
    once it owns the storage (seed 336)."""

    def fn(m):
        x = m.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]])  # (its own storage: no view of another tensor)
        if source != "row-major":
            with m.no_grad():
                x.t_()
        a = x.data
        for op in {"t_": ["t_"], "transpose_ then t_": ["transpose_", "t_"], "unsqueeze_": ["unsqueeze_"]}.get(ops, []):
            getattr(a, op)(*((0, 1) if op == "transpose_" else (1,) if op == "unsqueeze_" else ()))
        before = (a.stride(), a.is_contiguous())
        del x
        gc.collect()
        return before, a.stride(), a.is_contiguous(), a.add_(1), a.t() + 0 if a.dim() == 2 else a

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


_SHARED_ELEMENT_WRITES = {
    "unfold div_": lambda m, x: x.unfold(0, 2, 1).div_(0.5),
    "unfold add_": lambda m, x: x.unfold(0, 3, 1).add_(1),
    "as_strided mul_ by a tensor": lambda m, x: x.as_strided((3, 2), (1, 1)).mul_(m.tensor([2.0, 3.0])),
    "as_strided sigmoid_": lambda m, x: x.as_strided((2, 3), (2, 1)).sigmoid_(),
    "2-d unfold pow_": lambda m, x: x.view(2, 3).unfold(1, 2, 1).pow_(2),
    "detached unfold add_": lambda m, x: x.unfold(0, 2, 1).detach().add_(2.0),
    "unfold's .data mul_": lambda m, x: x.unfold(0, 3, 2).data.mul_(3.0),
    "unfold of a detached view sub_": lambda m, x: x[1:].detach().unfold(0, 2, 1).sub_(1.0),
    "empty slice of an expanded view add_": lambda m, x: x.expand(2, 6)[None][1:].add_(2.0),
    "empty narrow of an expanded view zero_": lambda m, x: x.expand(3, 6).narrow(0, 1, 0).zero_(),
}


@pytest.mark.parametrize("case", sorted(_SHARED_ELEMENT_WRITES))
def test_inplace_on_a_view_whose_elements_share_memory(case):
    """torch's kernel writes element by element: an element a view reaches twice is computed twice."""

    def fn(m):
        x = m.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        v = _SHARED_ELEMENT_WRITES[case](m, x)
        return x, v

    check(fn)


_SHARED_ELEMENT_SETITEMS = {
    "unfold [:, 0] = 1.25": lambda m, v: v.__setitem__((slice(None), 0), 1.25),
    "unfold [1] = tensor": lambda m, v: v.__setitem__(1, m.tensor([[7.0, 8.0], [9.0, 10.0]])),
    "unfold [..., 1] = row": lambda m, v: v.__setitem__((Ellipsis, 1), m.tensor([-1.0, -2.0])),
    "expand [0] = 2": lambda m, v: v.expand(2, 2, 2, 2)[0].__setitem__(0, 2.0),
}


@pytest.mark.parametrize("case", sorted(_SHARED_ELEMENT_SETITEMS))
def test_setitem_into_a_view_whose_elements_share_memory(case):
    """torch copies into the view the index makes: its CopySlices blocks the gradient of each place written, and
    the places only the rest of the overlapping view reaches keep theirs."""

    def fn(m):
        x = m.arange(6.0).reshape(2, 3).requires_grad_()
        y = x * 1
        v = y.unfold(1, 2, 1)
        w = v * 1
        out = v.squeeze()
        _SHARED_ELEMENT_SETITEMS[case](m, v)
        (out * m.arange(8.0).reshape(2, 2, 2)).sum().backward(retain_graph=True)
        g = x.grad.clone()
        (w.sum() + v.sum()).backward()
        return y, g, x.grad, y.grad_fn.name(), v.grad_fn.name(), v._version

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


@pytest.mark.parametrize(
    "then",
    [
        "view add_",
        "sub-view mul_",
        "write through an alias",
        "alias, then read grad_fn",
        "view mul_ in no_grad",
        "view mul_ in no_grad, then read grad_fn",
        "base mul_ in no_grad",
    ],
)
def test_version_error_names_the_views_node_while_it_lives(then):
    """exp_ on a view saves its result with the view's rebuilt AsStrided node held weakly; torch rebuilds a
    view's history lazily, so that node lives until the view's grad_fn is read again (or the view itself is
    written with grad mode on: a write in no_grad mode is not recorded), and the version error names it while
    it lives, else Exp."""

    def fn(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = x * 1
        v = b.view(3)
        v.exp_()
        if then == "view add_":
            v.add_(2)
        elif then == "sub-view mul_":
            v[1:].mul_(2)
        elif "no_grad" in then:
            with m.no_grad():
                (v if then.startswith("view") else b).mul_(2)
            if then.endswith("read grad_fn"):
                v.grad_fn  # noqa: B018
        else:
            b.detach().add_(1)
            if then == "alias, then read grad_fn":
                v.grad_fn  # noqa: B018
        try:
            m.autograd.grad(b.sum(), x)
        except RuntimeError as e:
            return str(e)

    check(fn)


@pytest.mark.parametrize("key", ["-2:", ":10", "0:2", ":0", "1: of empty", "0: of empty"])
def test_setitem_through_a_slice_that_torch_applies(key):
    """torch skips a slice in setitem only when its start, as given, is 0 and it reaches the end: otherwise the
    write goes through a Slice view, which a multi-output view's error then names."""

    def fn(m):
        x = m.tensor([2.0, 3.0, 4.0], requires_grad=True)
        empty = "empty" in key
        _, b = (x * 1).split([3, 0] if empty else [1, 2])
        index = {"-2:": slice(-2, None), ":10": slice(None, 10), "0:2": slice(0, 2), ":0": slice(None, 0)}
        index.update({"1: of empty": slice(1, None), "0: of empty": slice(0, None)})
        b[index[key]] = m.tensor(2.0)
        return b

    check(fn)


@pytest.mark.parametrize("read_view_grad_fn", [False, True])
@pytest.mark.parametrize("views", ["chunk", "unbind", "view made in no_grad"])
def test_accumulate_grad_held_by_a_refused_view_keeps_its_hooks(views, read_view_grad_fn):
    """A multi-output (or no_grad) view whose base is written keeps its old grad_fn field in torch (its history
    is refused, not rebuilt), and so the leaf's AccumulateGrad that node holds, hooks and all."""

    def fn(m):
        x = m.zeros(3, requires_grad=True)
        if views == "view made in no_grad":
            with m.no_grad():
                kept = [x[1:]]
        else:
            kept = list(getattr(x, views)(2) if views == "chunk" else x.unbind())
        seen = []
        (x * 1).grad_fn.next_functions[0][0].register_hook(lambda gi, go: seen.append([g * 1 for g in go]))
        with m.no_grad():
            x.clamp_(0)
        errors = []
        for v in kept if read_view_grad_fn else ():
            try:
                v.grad_fn  # noqa: B018
            except RuntimeError as e:
                errors.append(str(e))
        x.backward(m.ones(3))
        return seen, x.grad, errors

    check(fn)


def _geometry(t):
    return tuple(t.shape), t.stride(), t._version, None if t.grad_fn is None else t.grad_fn.name(), t._base is not None


# in-place view ops on x, a (2, 3) leaf requiring grad (x itself, a clone, a view of a clone, a detached alias)
_INPLACE_VIEWS = {
    "squeeze_(-1) of a clone": lambda m, x: x.clone()[:, :1].contiguous().squeeze_(-1),
    "squeeze_() of a clone": lambda m, x: x.clone().view(2, 1, 3).squeeze_(),
    "squeeze_((1,)) of a clone": lambda m, x: x.clone().view(2, 1, 3).clone().squeeze_((1,)),
    "unsqueeze_(0) of a clone": lambda m, x: x.clone().unsqueeze_(0),
    "transpose_ of a clone": lambda m, x: x.clone().transpose_(0, 1),
    "t_ of a clone": lambda m, x: x.clone().t_(),
    "swapdims_ of a clone": lambda m, x: x.clone().view(2, 3, 1).swapdims_(0, 1),
    "t_ then unsqueeze_": lambda m, x: x.clone().t_().unsqueeze_(1),
    "unsqueeze_ of a select": lambda m, x: x.clone()[0].unsqueeze_(0),
    "unsqueeze_ of a view": lambda m, x: x.clone().view(6).unsqueeze_(0),
    "of the leaf": lambda m, x: x.unsqueeze_(0),
    "of a detached alias": lambda m, x: x.detach().t_(),
    "in no_grad mode": lambda m, x: _no_grad(m, lambda: x.t_()),
}


def _no_grad(m, f):
    with m.no_grad():
        return f()


@pytest.mark.parametrize("case", sorted(_INPLACE_VIEWS))
def test_inplace_view_ops(case):
    """unsqueeze_ / squeeze_ / transpose_ / t_ / swapdims_: the tensor itself takes the view's geometry (a view stays
    a view), its version moves, its history gets torch's in-place node (UnsqueezeBackward1, ...), and gradients
    flow back through it."""

    def fn(m):
        x = m.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        r = _INPLACE_VIEWS[case](m, x)
        out = [_geometry(r), r, r.is_leaf, r.requires_grad]
        if r.requires_grad and r.grad_fn is not None:
            w = m.arange(float(r.numel())).reshape(r.shape)
            out.append(m.autograd.grad((r * w).sum(), x))
        return out

    check(fn)


def test_inplace_view_op_of_a_base_with_views_and_aliases():
    """The views and aliases a base already had keep their geometry on the storage: writes still meet."""

    def fn(m):
        z = m.arange(6.0).reshape(2, 3).clone()
        v, d = z[0], z.detach()
        z.unsqueeze_(0)
        seen = [_geometry(z), _geometry(v), d.shape]
        v.mul_(10)
        seen += [z * 1, d * 1]
        z.squeeze_(0)
        z.t_()
        z[0, 1] = -1
        return seen, z * 1, v * 1, d * 1, z.stride(), z.is_contiguous()

    check(fn)


def test_inplace_view_ops_in_a_graph():
    def fn(m):
        a = m.arange(6.0, requires_grad=True)
        b = (a * 1).view(2, 3)
        b.t_()
        b.unsqueeze_(1)
        w = m.arange(6.0).reshape(3, 1, 2)
        (g,) = m.autograd.grad((b * w).sum(), a, create_graph=True)
        c = a * 2
        c.unsqueeze_(0)
        c.sum().backward()
        return g, b.grad_fn.name(), b.grad_fn.next_functions[0][0].name(), a.grad

    check(fn)


@pytest.mark.parametrize("inplace", ["unsqueeze_(0)", "squeeze_()", "squeeze_(1)", "t_()", "transpose_(0, 1)"])
@pytest.mark.parametrize("view", ["x.view(-1)", "x[:, 1:]", "x.t()", "x[0, 0].unsqueeze(0)", "x[0, 0].view(())"])
def test_views_keep_torch_geometry_after_an_inplace_view_op_on_their_base(view, inplace):
    """The inverse op put in front of the other views' chains has a view op's geometry: their strides read as
    torch's, and a value expanded from them (stride 0) overlaps its base only in part, as torch refuses."""

    def fn(m):
        x = m.arange(3.0).view(1, 3).clone()
        v = eval(view)
        eval("x." + inplace)
        out = [tuple(v.shape), v.stride(), v.storage_offset(), v.is_contiguous()]
        try:
            x[None] = v[(0,) * (v.dim() - 1)][:1] if v.dim() else v
            out.append(x * 1)
        except RuntimeError as e:
            out.append(str(e))
        return out

    check(fn)


@pytest.mark.parametrize("how", ["grad of the other input", "backward inputs=other", "backward", "inputs=[root]"])
def test_a_gradient_headed_for_a_node_that_never_runs_is_not_checked(how):
    """torch's engine checks a gradient's shape against the node it goes to only where that node runs: a tensor
    that took a new shape in no_grad mode fails backward() but not autograd.grad of another input, nor
    backward(inputs=[root]) (seed 340)."""

    def fn(m):
        x = m.zeros(2, 3, requires_grad=True)
        z = m.zeros(3, 2, requires_grad=True)
        a = x * 2
        with m.no_grad():
            a.t_()
        if how == "inputs=[root]":
            a.add_(2.0)
            a.backward(m.ones_like(a), inputs=[a])
            return a.grad, x.grad
        y = (a + z).sum()
        if how == "grad of the other input":
            return m.autograd.grad(y, z)
        y.backward(inputs=[z] if how == "backward inputs=other" else None)
        return z.grad, x.grad

    check(fn)


@pytest.mark.parametrize("op", ["unsqueeze_(0)", "squeeze_(0)", "t_()"])
def test_inplace_view_op_in_no_grad_mode_feeds_back_other_shapes(op):
    """Made in no_grad mode, an in-place view op keeps the tensor's node: the gradient of its new geometry is
    summed to the recorded shape where that expands to it, else torch's engine refuses it naming the node that
    passed it on."""

    def fn(m):
        x = m.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = x * m.tensor([[0.5, 1.0, 2.0]])
        with m.no_grad():
            eval("y." + op)
        try:
            (y * 2).sum().backward()
        except RuntimeError as e:
            return str(e)
        return x.grad, y.shape, y.grad_fn.name()

    check(fn)


# in no_grad mode on a view: the view's history is rebuilt (AsStridedBackward0) when next read, or refused for an
# output of a multi-output op; x is a (3,) leaf requiring grad
_NO_GRAD_VIEW_CASES = {
    "unsqueeze_ of a slice": lambda m, x: ((x * 2)[:2], lambda v: v.unsqueeze_(0)),
    "squeeze_ of a chunk": lambda m, x: (x.chunk(2)[0], lambda v: v.squeeze_()),
    "t_ of another view's base": lambda m, x: ((x * 2)[1:], lambda v: v._base.unsqueeze_(0)),
    "unsqueeze_ of the leaf itself": lambda m, x: (x, lambda v: v.unsqueeze_(0)),
    "squeeze_ of a chunk of a reshape": lambda m, x: (x.reshape(3).chunk(2)[1], lambda v: v.squeeze_()),
}


@pytest.mark.parametrize("case", sorted(_NO_GRAD_VIEW_CASES))
def test_inplace_view_op_on_a_view_in_no_grad_mode(case):
    def fn(m):
        x = m.zeros(3, requires_grad=True)
        v, op = _NO_GRAD_VIEW_CASES[case](m, x)
        with m.no_grad():
            op(v)
        try:
            seen = [v.is_leaf, v.grad_fn.name() if v.grad_fn is not None else None, v._version, tuple(v.shape)]
            v.sum().backward()
        except RuntimeError as e:
            return str(e)
        return seen, x.grad

    check(fn)


@pytest.mark.parametrize("held", [True, False])
@pytest.mark.parametrize("had_grad", [True, False])
def test_leaf_taking_a_new_shape_in_no_grad_mode(held, had_grad):
    """A leaf's AccumulateGrad keeps the shape the leaf had when it was made, while a graph holds it: gradients are
    summed to that shape, and a .grad of the old shape refuses to grow."""

    def fn(m):
        x = m.zeros(3, requires_grad=True)
        keep = x.reshape(3) if held else None
        if had_grad:
            x.backward(m.ones(3))
        with m.no_grad():
            x.unsqueeze_(0)
        try:
            x.permute(1, 0).backward(m.ones(3, 1))
            (x * 2).sum().backward()
        except RuntimeError as e:
            return str(e), keep is None
        return x.grad, tuple(x.shape)

    check(fn)


_VIEW_OPS = {
    "squeeze_()": lambda y: y.squeeze_(),
    "squeeze_(0)": lambda y: y.squeeze_(0),
    "unsqueeze_(0)": lambda y: y.unsqueeze_(0),
    "t_()": lambda y: y.t_(),
    "transpose_(0, -1)": lambda y: y.transpose_(0, -1),
    "squeeze()": lambda y: y.squeeze(),
    "unsqueeze(0)": lambda y: y.unsqueeze(0),
}


@pytest.mark.parametrize("how", ["sum", "mul", "ones", "twice"])
def test_a_stolen_gradient_keeps_the_recorded_shape(how):
    """A 0-dim leaf unsqueeze_d in no_grad mode: its gradient, summed to the recorded (), obeys the layout contract
    with nothing to compare, so AccumulateGrad steals it and .grad stays 0-dim; a root gradient the caller holds
    is copied into the leaf's own shape instead."""

    def fn(m):
        x = m.tensor(0.5, requires_grad=True)
        keep = x * 1
        with m.no_grad():
            x.unsqueeze_(0)
        if how == "ones":
            x.backward(m.ones(1))
        else:
            y = x * 3 if how == "twice" else x * x if how == "mul" else x
            y.sum().backward(retain_graph=True)
            if how == "twice":
                y.sum().backward()
        return x.grad, x.grad._version, keep.shape

    check(fn)


@pytest.mark.parametrize("shape", [(), (1,), (2,)])
@pytest.mark.parametrize("op", list(_VIEW_OPS))
def test_leaf_grad_version_through_an_inplace_view_op(op, shape):
    """An in-place view op's node (SqueezeBackward3, UnsqueezeBackward1, TBackward1) applies its out-of-place
    twin's formula: the leaf's .grad is the same view of the incoming gradient, copied (version 1) or stolen."""

    def fn(m):
        x = m.zeros(shape, requires_grad=True)
        try:
            r = _VIEW_OPS[op](x + 2)
        except (RuntimeError, IndexError) as e:
            return str(e)
        (r.sum() if r.dim() else r).backward()
        return x.grad, x.grad._version, r.grad_fn.name()

    check(fn)


@pytest.mark.parametrize("shape", [(), (2, 1)])
@pytest.mark.parametrize("op", ["t_()", "transpose_(0, -1)", "squeeze_()", "unsqueeze_(0)"])
def test_inplace_view_op_of_a_saved_result(op, shape):
    """exp saves its result: an in-place view op bumps its version, so the backward through it refuses."""

    def fn(m):
        x = m.full(shape, 0.5, requires_grad=True)
        y = x.exp()
        eval("y." + op)
        try:
            y.sum().backward()
        except RuntimeError as e:
            return str(e)
        return x.grad

    check(fn)


@pytest.mark.parametrize("values", [[[0.5, -1.0, 2.0], [1.5, 0.25, -3.0]], 1.5])
@pytest.mark.parametrize("op", ["x * x", "x * 2", "x + x", "x.exp()"])
def test_gradient_summed_to_a_leafs_recorded_shape_is_a_new_tensor(op, values):
    """validate_outputs sums the gradient of a leaf that took a new shape to the shape its AccumulateGrad recorded:
    a view of a new sum, so autograd.grad adds the two gradients of x * x out of place (version 0); to a 0-dim
    shape a plain sum(), which the second gradient is added into in place (version 1)."""

    def fn(m):
        x = m.tensor(values, requires_grad=True)
        keep = x * 1
        with m.no_grad():
            x.unsqueeze_(0)
        (g,) = m.autograd.grad(eval(op).sum(), [x])
        return g, g._version, keep.shape

    check(fn)


@pytest.mark.parametrize("how", ["grad", "sum", "two roots", "implicit"])
def test_root_that_took_a_new_shape_in_no_grad_mode(how):
    """torch's engine checks a root's gradient against the shape its node recorded: summed to it where it expands
    (an unsqueeze_d root), else its error naming the root's index."""

    def fn(m):
        x = m.tensor(1.5, requires_grad=True)
        a, b = x + 2, x * m.ones(1, 2)
        with m.no_grad():
            a.unsqueeze_(0)
            b.squeeze_()
        calls = {
            "grad": lambda: m.autograd.grad(b, x, m.ones(2)),
            "sum": lambda: b.sum().backward(),
            "two roots": lambda: m.autograd.backward([x * 1, b], [m.ones(()), m.ones(2)]),
            "implicit": lambda: (a.backward(), x.grad)[1],
        }
        try:
            return calls[how]()
        except RuntimeError as e:
            return str(e)

    check(fn)


def test_leaves_reached_before_a_leaf_moved_into_the_graph_interior_keep_their_grad():
    """torch's engine runs a root's AccumulateGrad first; a leaf moved into the graph interior raises when it is
    reached, so what ran before keeps its .grad."""

    def fn(m):
        x = m.tensor([0.5, 1.0, 2.0], requires_grad=True)
        s = x.squeeze()
        x.detach_()
        x *= s
        g = m.ones(3, requires_grad=True)
        try:
            m.autograd.backward([g, x], [m.ones(3), m.ones(3)])
        except RuntimeError as e:
            return str(e), g.grad
        return g.grad

    check(fn)


def test_a_node_whose_gradient_no_longer_fits_fails_where_torch_reaches_it():
    """A tensor that took a new shape in no_grad mode, then was written through a view: its CopySlices passes a
    gradient its old node cannot take. torch's engine raises once that node has run; leaves reached before keep
    their .grad."""

    def fn(m):
        x = m.ones(2, 3, requires_grad=True)
        y = m.tensor([1.5], requires_grad=True)
        t = y * 2
        with m.no_grad():
            t.squeeze_()
        v = t.view(())
        v[None] = 1.25
        try:
            m.autograd.backward([x.sum(), t], [None, m.ones_like(t)])
        except RuntimeError as e:
            return str(e), x.grad, y.grad
        return x.grad, y.grad

    check(fn)
