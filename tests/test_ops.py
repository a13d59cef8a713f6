"""Differential tests of the op table against real torch: one factory, every op.

For each spec (tests/op_specs.py) hypothesis draws shapes, dtypes and values; torch and torchish get
the same inputs and must agree on values, dtype, shape, grad_fn name, first- and second-order
gradients, the in-place variant and the method form.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish
from torchish.ops import OPS

from .op_specs import SPECS, Spec, shapes_for

# per spec and test kind; scales with the profile (ci: 2, thorough: 20) to keep the default suite in budget
SETTINGS = settings(
    max_examples=max(2, settings().max_examples // 50), deadline=None, suppress_health_check=list(HealthCheck)
)
# (the forward, in-place and promotion kinds re-run what test_grad's forward computes, under other dtypes or as a
# method: fewer draws in CI, to keep the default suite within its 15 minutes)
FEWER_SETTINGS = settings(SETTINGS, max_examples=max(2, settings().max_examples // 100))
IDS = [s.name for s in SPECS]


def _params(specs):
    """The specs as parameters: a spec marked slow (the Bessel functions and orthogonal polynomials, whose
    compiled loops dominate the suite's time) runs with `-m slow`."""
    return [pytest.param(s, id=s.name, marks=pytest.mark.slow) if s.slow else pytest.param(s, id=s.name) for s in specs]


def _values(spec: Spec, shape, dtype):
    if dtype.startswith("float"):
        lo, hi = (float(np.float32(v)) for v in spec.domain)
        # exact float32 values so both libraries see identical inputs
        el = st.floats(lo, hi, width=32, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    else:
        el = st.integers(*spec.int_domain).map(lambda v: v)
    return hnp.arrays(np.dtype(dtype), shape, elements=el)


@st.composite
def _case(draw, spec: Spec, dtypes=None):
    dtype = draw(st.sampled_from(dtypes or spec.dtypes))
    shapes = draw(shapes_for(spec.shapes, spec.n))
    arrays = [draw(_values(spec, s, dtype)) for s in shapes]
    kwargs = draw(spec.kwargs(shapes[0])) if spec.kwargs else {}
    return arrays, kwargs


def _pair(arrays, requires_grad=False):
    ours = [torchish.tensor(a, requires_grad=requires_grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=requires_grad) for a in arrays]
    return ours, theirs


def _outputs(x):
    return list(x) if isinstance(x, (tuple, list)) else [x]


def _run(spec, m, tensors, kwargs, warned=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = spec.call(m, *tensors, **kwargs), None
        except Exception as e:  # both must fail alike
            out = None, e
    if warned is not None:
        warned.extend((w.category.__name__, str(w.message)) for w in caught)
    return out


def _same_error(ours, theirs):
    assert (ours is None) == (theirs is None), f"torch raised {theirs!r}, torchish raised {ours!r}"
    if theirs is not None:
        assert type(ours).__name__ == type(theirs).__name__, (ours, theirs)
        assert str(ours) == str(theirs)


def _compare(ours, theirs):
    assert str(ours.dtype) == str(theirs.dtype), (ours.dtype, theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    torch.testing.assert_close(torch.from_numpy(np.array(ours.detach().numpy())), theirs.detach(), equal_nan=True)


def _grad_fn_name(t):
    return None if t.grad_fn is None else t.grad_fn.name()


def test_every_op_in_the_table_has_a_spec():
    covered = {op for s in SPECS for op in s.ops}
    # the nn ops (conv, pooling, losses, ...) are compared against torch.nn.functional in tests/test_nn.py
    core = {name for name, d in OPS.items() if not d.fn.__module__.startswith("torchish.ops.nn")}
    missing = sorted(core - covered)
    assert not missing, f"ops without a differential spec: {missing}"


@pytest.mark.parametrize("spec", _params(SPECS))
@FEWER_SETTINGS
@given(data=st.data())
def test_forward(spec, data):
    arrays, kwargs = data.draw(_case(spec))
    ours, theirs = _pair(arrays)
    warned_o, warned_t = [], []
    o, eo = _run(spec, torchish, ours, kwargs, warned_o)
    t, et = _run(spec, torch, theirs, kwargs, warned_t)
    _same_error(eo, et)
    assert warned_o == warned_t
    if et is None:
        for a, b in zip(_outputs(o), _outputs(t)):
            _compare(a, b)


def _grad_dtypes(spec):
    return tuple(d for d in spec.dtypes if d.startswith("float"))


def _graph_pair(spec, data):
    """Inputs that require grad and the op's outputs, on both sides: (ours, theirs, outputs ours, outputs theirs),
    or None when both raised alike."""
    arrays, kwargs = data.draw(_case(spec, _grad_dtypes(spec)))
    ours, theirs = _pair(arrays, requires_grad=True)
    o, eo = _run(spec, torchish, ours, kwargs)
    t, et = _run(spec, torch, theirs, kwargs)
    _same_error(eo, et)
    if et is not None:
        return None
    return ours, theirs, _outputs(o), _outputs(t)


GRAD_SPECS = [s for s in SPECS if s.grad]


@pytest.mark.parametrize("spec", _params(GRAD_SPECS))
@SETTINGS
@given(data=st.data())
def test_grad(spec, data):
    case = _graph_pair(spec, data)
    if case is None:
        return
    ours, theirs, outs_o, outs_t = case
    for a, b in zip(outs_o, outs_t):
        assert (a.grad_fn.name() if a.grad_fn else None) == _grad_fn_name(b)
        assert a.requires_grad == b.requires_grad
    diff = [(a, b) for a, b in zip(outs_o, outs_t) if b.requires_grad]
    cts = [data.draw(_values(Spec("ct", None), tuple(b.shape), str(b.dtype).split(".")[1])) for _, b in diff]
    loss_o = sum((a * torchish.tensor(c)).sum() for (a, _), c in zip(diff, cts))
    loss_t = sum((b * torch.tensor(c)).sum() for (_, b), c in zip(diff, cts))
    go = torchish.autograd.grad(loss_o, ours, allow_unused=True, create_graph=spec.gradgrad)
    gt = torch.autograd.grad(loss_t, theirs, allow_unused=True, create_graph=spec.gradgrad)
    for a, b in zip(go, gt):
        assert (a is None) == (b is None)
        if b is not None:
            _compare(a, b)
    if not spec.gradgrad:
        return
    # second order: d/dx of <grad, v>
    pairs = [(a, b) for a, b in zip(go, gt) if b is not None and b.requires_grad]
    assert [a.requires_grad for a in go if a is not None] == [b.requires_grad for b in gt if b is not None]
    if not pairs:
        return
    vs = [data.draw(_values(Spec("v", None), tuple(b.shape), str(b.dtype).split(".")[1])) for _, b in pairs]
    s_o = sum((a * torchish.tensor(v)).sum() for (a, _), v in zip(pairs, vs))
    s_t = sum((b * torch.tensor(v)).sum() for (_, b), v in zip(pairs, vs))
    try:
        ggt = torch.autograd.grad(s_t, theirs, allow_unused=True)
    except (RuntimeError, NotImplementedError) as e:  # (a formula with no derivative of its own: cdist's)
        with pytest.raises(type(e)) as raised:
            torchish.autograd.grad(s_o, ours, allow_unused=True)
        assert str(raised.value) == str(e)
        return
    ggo = torchish.autograd.grad(s_o, ours, allow_unused=True)
    for a, b in zip(ggo, ggt):
        if b is None:
            assert a is None or not np.any(a.numpy())
        else:
            assert a is not None
            _compare(a, b)


# one backward per example, each a new graph structure to lower: fewer examples (ci: 1, thorough: 10)
SAVED_SETTINGS = settings(SETTINGS, max_examples=max(1, settings().max_examples // 100))


@pytest.mark.parametrize("spec", _params(GRAD_SPECS))
@SAVED_SETTINGS
@given(data=st.data())
def test_saved_tensors(spec, data):
    """What each backward formula saves: one input or output written in place (under no_grad) before the backward
    fails torch's saved-tensor version check exactly when it was saved, with the same text."""
    case = _graph_pair(spec, data)
    if case is None:
        return
    ours, theirs, outs_o, outs_t = case
    outs = list(zip(outs_o, outs_t))
    if not any(b.requires_grad for _, b in outs):
        return
    written = data.draw(st.sampled_from(list(zip(ours, theirs)) + outs), label="written")
    errors = []
    for side, m in enumerate((torchish, torch)):
        try:  # (the write itself, or reading a refused view's history, may fail alike)
            with m.no_grad():
                written[side].mul_(1)
            roots = [pair[side].sum() for pair in outs if pair[1].requires_grad]
            m.autograd.grad(roots, [p[side] for p in zip(ours, theirs)], allow_unused=True)
            errors.append(None)
        except RuntimeError as e:
            errors.append(e)
    _same_error(*errors)


INPLACE = [s for s in SPECS if s.inplace]


@pytest.mark.parametrize("spec", _params(INPLACE))
@FEWER_SETTINGS
@given(data=st.data())
def test_inplace_variant(spec, data):
    """x.op_(...) on a non-leaf inside a graph: same values, version bump, grad_fn and gradients."""
    arrays, kwargs = data.draw(_case(spec, _grad_dtypes(spec)))
    ours, theirs = _pair(arrays, requires_grad=True)
    results = []
    for _m, ts in ((torchish, ours), (torch, theirs)):
        base = ts[0] * 1.0
        try:
            r = getattr(base, spec.inplace)(*ts[1:])
            results.append((base, r, None))
        except Exception as e:
            results.append((base, None, e))
    (bo, ro, eo), (bt, rt, et) = results
    _same_error(eo, et)
    if et is not None:
        return
    assert ro is bo and rt is bt
    _compare(bo, bt)
    assert bo._version == bt._version
    assert bo.grad_fn.name() == _grad_fn_name(bt)
    go = torchish.autograd.grad(bo.sum(), ours, allow_unused=True)
    gt = torch.autograd.grad(bt.sum(), theirs, allow_unused=True)
    for a, b in zip(go, gt):
        assert (a is None) == (b is None)
        if b is not None:
            _compare(a, b)


@pytest.mark.parametrize(
    "spec",
    [s for s in SPECS if s.n == 2 and s.shapes == "broadcast" and "int64" in s.dtypes],
    ids=[s.name for s in SPECS if s.n == 2 and s.shapes == "broadcast" and "int64" in s.dtypes],
)
@FEWER_SETTINGS
@given(data=st.data())
def test_type_promotion(spec, data):
    """Mixed dtypes, 0-dim tensors and Python scalars promote as in torch."""
    da, db = (
        data.draw(st.sampled_from(["float32", "float64", "int64", "int32", "bool"]), label="dtype a"),
        data.draw(
            st.sampled_from(["float32", "float64", "int64", "int32", "bool", "int", "float", "pybool"]), label="dtype b"
        ),
    )
    sa = data.draw(st.sampled_from([(), (3,)]))
    a = np.arange(1, 1 + int(np.prod(sa))).reshape(sa).astype(da)
    if db in ("int", "float", "pybool"):
        b_o = b_t = {"int": 2, "float": 1.5, "pybool": True}[db]
    else:
        sb = data.draw(st.sampled_from([(), (3,)]))
        b = np.full(sb, 2).astype(db)
        b_o, b_t = torchish.tensor(b), torch.tensor(b)
    o, eo = _run(spec, torchish, [torchish.tensor(a), b_o], {})
    t, et = _run(spec, torch, [torch.tensor(a), b_t], {})
    _same_error(eo, et)
    if et is None:
        _compare(o, t)


@pytest.mark.parametrize(
    "spec",
    [s for s in SPECS if s.n == 2 and s.shapes == "broadcast"],
    ids=[s.name for s in SPECS if s.n == 2 and s.shapes == "broadcast"],
)
def test_broadcast_error(spec):
    a, b = np.ones((2, 3), np.float32), np.ones((4,), np.float32)
    _, eo = _run(spec, torchish, [torchish.tensor(a), torchish.tensor(b)], {})
    _, et = _run(spec, torch, [torch.tensor(a), torch.tensor(b)], {})
    assert et is not None
    _same_error(eo, et)


_SCALARS = {
    "float": lambda m: 1.5,
    "int": lambda m: 2,
    "bool": lambda m: True,
    "complex": lambda m: 1j,
    "np.float64": lambda m: np.float64(0.5),
    "np.float32": lambda m: np.float32(0.5),
    "np.float16": lambda m: np.float16(1),
    "np.int32": lambda m: np.int32(3),
    "np.uint8": lambda m: np.uint8(4),
    "np.bool_": lambda m: np.bool_(True),
    "np.complex64": lambda m: np.complex64(1j),
    "tensor float64": lambda m: m.tensor(2.5, dtype=m.float64),
    "tensor int32": lambda m: m.tensor(5, dtype=m.int32),
    "tensor bfloat16": lambda m: m.tensor(1.0, dtype=m.bfloat16),
}


@settings(max_examples=60, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(_SCALARS)), min_size=1, max_size=4), nested=st.booleans())
def test_tensor_dtype_inference(kinds, nested):
    """torch.tensor infers each scalar's type (NumPy scalars and tensors keep theirs) and promotes them."""

    def build(m):
        items = [_SCALARS[k](m) for k in kinds]
        return [[x] for x in items] if nested else items

    results = []
    for m in (torch, torchish):
        try:
            t = m.tensor(build(m))
            results.append((str(t.dtype), t.tolist()))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


class _HasIndex:
    def __index__(self):
        return 1


_INDEX_ENTRIES = {
    "float": lambda m: 1.5,
    "np.float64": lambda m: np.float64(1.0),
    "np.bool_": lambda m: np.bool_(True),
    "complex": lambda m: 1 + 2j,
    "str": lambda m: "a",
    "bytes": lambda m: b"ab",
    "dict": lambda m: {1: 2},
    "object": lambda m: object(),
    "__index__": lambda m: _HasIndex(),
    "np.int32": lambda m: np.int32(2),
    "range": lambda m: range(2),
    "tuple with float": lambda m: (0, 1.5),
    "tuple with str": lambda m: (0, "a"),
    "tuple with __index__": lambda m: (np.int64(1), _HasIndex()),
    # torch's treatSequenceAsTuple: a list holding a sequence, tensor, slice, None or Ellipsis is a tuple
    "list of lists": lambda m: [[0, 1], [1, 2]],
    "list with a slice": lambda m: [0, slice(1, 3)],
    "list with None": lambda m: [None, 0],
    "list with Ellipsis": lambda m: [..., 1],
    "list with a tensor": lambda m: [m.tensor([0, 1]), 1],
    "list with an ndarray": lambda m: [np.array([0, 1]), 1],
    "list of ints": lambda m: [0, 1],
    "list of bools": lambda m: [True, False, True],
    "list of a mask": lambda m: [[True, False, True]],
    "long list of lists": lambda m: [[0, 1]] * 40,
    "2-d ndarray": lambda m: np.array([[0, 1], [1, 2]]),
}


@pytest.mark.parametrize("entry", sorted(_INDEX_ENTRIES))
def test_index_entry_types(entry):
    """What torch's Python indexing accepts as an index, how it reads a list, and its error for the rest;
    reading and writing, with the warnings."""
    results = []
    for m in (torch, torchish):
        x = m.arange(9.0).reshape(3, 3)
        out = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for write in (False, True):
                try:
                    if write:
                        x[_INDEX_ENTRIES[entry](m)] = -1.0
                        out.append(x.tolist())
                    else:
                        out.append(x[_INDEX_ENTRIES[entry](m)].tolist())
                except Exception as e:
                    out.append((type(e).__name__, str(e)))
        results.append((out, [(w.category.__name__, str(w.message)) for w in caught]))
    assert results[1] == results[0]


_ZERO_DIM_KEYS = [0, -1, 1, slice(None), None, ..., (0,), [0], True, (None, 0)]


@pytest.mark.parametrize("key", _ZERO_DIM_KEYS, ids=repr)
def test_index_of_a_0_dim_tensor(key):
    """torch's indexing errors for a 0-dim tensor (a fresh one: torch reads sizes()[0] of it, see the state machine)."""
    results = []
    for m in (torch, torchish):
        try:
            results.append(tuple(m.tensor(1.5)[key].shape))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


# index_put_'s checks in torch's order: an index into an empty dim, then the value's shape, its dtype, the bounds
_INDEX_PUT_CHECKS = [
    "e[m.tensor([0, 1])] = m.ones(2)", "e[m.tensor([0])] = m.ones(5, dtype=m.float64)", "e[m.tensor([-1])] = 1.25",
    "e[m.tensor([0, 1]), 0] = m.ones(5)", "e[:, m.tensor([0])] = m.ones(5)", "e[m.tensor([], dtype=m.long)] = 1.0",
    "x[m.tensor([3])] = m.ones(5)", "x[m.tensor([3])] = m.ones(3, dtype=m.float64)", "x[m.tensor([3])] = m.ones(3)",
]  # fmt: skip


@pytest.mark.parametrize("stmt", _INDEX_PUT_CHECKS)
def test_index_put_check_order(stmt):
    results = []
    for m in (torch, torchish):
        scope = {"m": m, "e": m.zeros(0, 3), "x": m.zeros(1, 3)}
        try:
            exec(stmt, scope)
            results.append((scope["e"].tolist(), scope["x"].tolist()))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


_SPLITS = {
    "chunk of 0-dim": lambda x, e, s: x.chunk(2),
    "split of 0-dim": lambda x, e, s: x.split(1),
    "sizes of 0-dim": lambda x, e, s: x.split([1]),
    "chunk of empty": lambda x, e, s: e.chunk(3),
    "chunk 0": lambda x, e, s: s.chunk(0),
    "chunk more than size": lambda x, e, s: s.chunk(5),
    "chunk bad dim": lambda x, e, s: s.chunk(2, dim=3),
    "negative split_size": lambda x, e, s: s.split(-1),
    "zero split_size": lambda x, e, s: s.split(0),
    "zero split_size of empty": lambda x, e, s: e.split(0),
    "negative size entry": lambda x, e, s: s.split([1, -1, 3]),
    "negative size entry of empty": lambda x, e, s: e.split([1, -1]),
    "sizes not summing": lambda x, e, s: e.split([1, 0]),
    "empty sizes": lambda x, e, s: e.split([0, 0]),
    "narrow of 0-dim": lambda x, e, s: x.narrow(0, 0, 1),
    "narrow start past the end": lambda x, e, s: s.narrow(0, 4, 1),
    "narrow start before the start": lambda x, e, s: s.narrow(0, -4, 1),
    "narrow negative length": lambda x, e, s: s.narrow(0, 0, -1),
    "narrow negative start too long": lambda x, e, s: s.narrow(0, -1, 2),
    "narrow empty at the end": lambda x, e, s: s.narrow(0, 3, 0),
    "narrow bad dim": lambda x, e, s: s.narrow(1, 0, 1),
}


@pytest.mark.parametrize("case", sorted(_SPLITS))
def test_split_chunk_and_narrow_edges(case):
    results = []
    for m in (torch, torchish):
        x, e, s = (m.zeros(shape, requires_grad=True) * 1 for shape in ((), (0,), (3,)))
        try:
            out = _SPLITS[case](x, e, s)
            results.append([(tuple(t.shape), t.grad_fn.name()) for t in _outputs(out)])
        except Exception as ex:
            results.append((type(ex).__name__, str(ex)))
    assert results[1] == results[0]


_STRIDED_VIEWS = [
    "x.view(6, 4)",
    "x.transpose(0, 1)",
    "x[0].t()",
    "x.permute(2, 0, 1)",
    "x.unsqueeze(1)",
    "x.unsqueeze(3)",
    "x[:, :1].squeeze(1)",
    "x[0, 0].expand(2, 4)",
    "x[:, 1:2].expand(2, 3, 4)",
    "x.select(1, 2)",
    "x.narrow(2, 1, 2)",
    "x[:, ::2]",
    "x[5:]",
    "x[:, -1:]",
    "x.diagonal(1, 1, 2)",
    "x.diagonal(-1, 0, 2)",
    "x.diagonal(5, 1, 2)",
    "x.unfold(2, 2, 1)",
    "x[0, 0, 0].unfold(0, 1, 1)",
    "x[:, 0][1:]",
    "x[:, None, 1]",
    "x[0, 0].unsqueeze(0).t()",
    "x.transpose(1, 2)[:, 1:].reshape(2, -1, 3)[:, 0]",
    "x[1].detach().t()",
    "x.unflatten(2, (2, 2))[..., 1]",
    "x.chunk(2, 2)[1]",
    "x.unbind(2)[3]",
    "x.mT",
    "x.as_strided((3, 4), (1, 2), 3)",
    "x[1:].as_strided((2, 2), (2, 1))",
    "x.permute(2, 0, 1)[1].as_strided((2,), (8,), 5)",
    "x.as_strided((4, 6), (6, 1)).t()[1:]",
]

_AS_STRIDED = {
    "fewer strides": lambda x: x.as_strided((2, 2), (1,)),
    "negative stride": lambda x: x.as_strided((2, 2), (-1, 2)),
    "past the storage": lambda x: x.as_strided((5, 5), (5, 1)),
    "past the storage by the offset": lambda x: x.as_strided((2,), (1,), 23),
    "negative offset": lambda x: x.as_strided((2,), (1,), -1),
    "float size": lambda x: x.as_strided((2.0,), (1,)),
    "int size": lambda x: x.as_strided(2, (1,)),
    "empty far away": lambda x: x.as_strided((0,), (1,), 100),
    "overlapping windows": lambda x: x[2:].as_strided((3, 4), (2, 1), 13),
    "offset of the view": lambda x: x.t().as_strided((2, 2), (1, 4)),
}


@pytest.mark.parametrize("case", sorted(_AS_STRIDED))
def test_as_strided_geometry_and_errors(case):
    results = []
    for m in (torch, torchish):
        x = m.arange(24.0, requires_grad=True).view(4, 6) * 1
        try:
            v = _AS_STRIDED[case](x)
            v.sum().backward()
            results.append((v, v.stride(), v.storage_offset(), v.grad_fn.name(), v._base is x))
        except Exception as ex:
            results.append((type(ex).__name__, str(ex)))
    assert repr(results[1]) == repr(results[0])


@pytest.mark.parametrize("expr", _STRIDED_VIEWS)
def test_view_strides(expr):
    """A view's sizes, strides, storage offset and contiguity, op by op as torch computes them (a size-1 dim
    keeps the stride its view op gave it)."""
    results = []
    for m in (torch, torchish):
        x = m.arange(24.0).reshape(2, 3, 4)
        v = eval(expr, {"x": x})
        results.append((tuple(v.shape), v.stride(), v.storage_offset(), v.is_contiguous()))
    assert results[1] == results[0]


_EMPTY_VIEWS = [
    "e.mT.view(0, 3)",
    "e.mT.view(3, 0, 2)",
    "e[:, :, :2].view(0, 2)",
    "e.mT.reshape(0)",
    "m.ones(2, 0).t().view(0)",
    "m.ones(3, 0)[1:].view(0, 5)",
    "e.mT.view(0, 3, 2)",
]


@pytest.mark.parametrize("expr", _EMPTY_VIEWS)
def test_a_tensor_without_elements_views_any_shape(expr):
    """torch's computeStride: no elements means any shape is a view (the old strides if the shape is kept)."""
    results = []
    for m in (torch, torchish):
        e = m.ones(0, 2, 3, requires_grad=True) * 1
        v = eval(expr, {"e": e, "m": m})
        results.append((tuple(v.shape), v.stride(), v.is_contiguous(), v.grad_fn and v.grad_fn.name()))
    assert results[1] == results[0]


_LAID_OUT = [
    "x[0].t() * 2",
    "x.permute(2, 0, 1).exp()",
    "x.permute(2, 0, 1) + m.ones(4, 2, 3)",
    "m.ones(4, 2, 3) + x.permute(2, 0, 1)",
    "x.permute(2, 0, 1) + m.ones(3)",
    "x[0].t() + m.ones(4, 1)",
    "x[:, ::2] * 1",
    "x.transpose(1, 2).sin()",
    "(x.transpose(0, 2) * 2) + 1",
    "m.where(x.transpose(0, 1) > 3, x.transpose(0, 1), 0.0)",
    "x[:, :1].transpose(1, 2) * 2",
    "x[:, :1].expand(2, 3, 4) * 2",
    "x.permute(2, 0, 1) * x.permute(2, 1, 0).transpose(1, 2)",
    "x[0].t().clone()",
    "x[0, :, ::2].t().clone()",
    "x[0].t().contiguous()",
    "x[0].t().clone(memory_format=m.contiguous_format)",
    "x[0].t().double()",
    "x[0].t().exp().detach()[:, 1:]",
    "x[0].t().exp().t()",
    "x[0].t().exp().unsqueeze(0)",
    "m.zeros_like(x.permute(2, 0, 1))",
    "2 ** x[0].t()",
    "m.atan2(x.transpose(0, 2), x.transpose(0, 2))",
    "m.lerp(x[0].t(), x[0].t(), 0.5)",
    "x[0].t().masked_fill(x[0].t() > 3, 0.0)",
    "m.xlogy(x[0].t(), x[0].t())",
    "m.nn.functional.gelu(x[0].t())",
    "m.nn.functional.logsigmoid(x[0].t())",
    "m.nn.functional.softmax(x[0].t(), 0)",
    "m.full_like(x[:, ::2].transpose(0, 2), 2.0)",
    "m.ones_like(x.permute(2, 0, 1), memory_format=m.contiguous_format)",
]


@pytest.mark.parametrize("expr", _LAID_OUT)
def test_elementwise_results_are_laid_out_as_their_inputs(expr):
    """TensorIterator's output strides follow its strided inputs (x.t() * 2 is transposed in memory too), which
    decides what view() accepts, whether reshape() views or copies, and how it views."""
    results = []
    for m in (torch, torchish):
        x = m.arange(24.0).reshape(2, 3, 4)
        v = eval(expr, {"x": x, "m": m})
        try:
            flat = v.view(-1)[:3].tolist()
        except RuntimeError as e:
            flat = str(e)
        r = v.requires_grad_().reshape(-1) if v.is_leaf else v.reshape(-1)
        same = v.reshape(tuple(v.shape))  # (always viewable: a strided tensor's is _reshape_alias)
        results.append((tuple(v.shape), v.stride(), v.is_contiguous(), flat, r.grad_fn.name(), same.grad_fn.name()))
    assert results[1] == results[0]


# a is 1x2 with strides (1, 1): contiguous, though its one-element dim's stride is not row-major's. TensorIterator
# gives operands of one shape that are all contiguous a contiguous result (its fast setup); a Python number torch
# wraps into a 0-dim operand (a * 2, not a.clamp(0)) breaks the one shape, and then a's strides order the result;
# empty_like (clone, .to()) copies them
_ONE_ELEMENT_DIMS = [
    "a * 1", "a + 1", "1 - a", "a / 2", "a.clamp(0)", "a.clamp(0, 1)", "a.clamp_max(0)", "a.pow(2)", "2 ** a",
    "a.exp()", "-a", "a * a", "a + b", "a * m.tensor(2.0)", "m.where(a > 0, a, 0.0)", "m.where(a > 0, a, a)",
    "a.lerp(a, 0.5)", "m.addcmul(a, a, a, value=2)", "a.add(a, alpha=2)", "a.relu()", "a.clone()", "m.empty_like(a)",
    "a.double()", "a.fmod(2)", "a > 0", "a == a", "a.masked_fill(a > 0, 1.0)", "m.copysign(a, 2.0)",
    "m.xlogy(2.0, a)", "a.long() & 1", "a.long() | a.long()", "m.atan2(a, a)", "m.nn.functional.hardtanh(a)",
    "m.nn.functional.threshold(a, 0.5, 2.0)", "a.nan_to_num(1.0)", "a // 2", "m.nn.functional.elu(a)",
    "c * c", "c + 1", "c.exp()", "c.clone()",
]  # fmt: skip


@pytest.mark.parametrize("expr", _ONE_ELEMENT_DIMS)
def test_one_element_dims_of_elementwise_results(expr):
    results = []
    for m in (torch, torchish):
        scope = {"m": m, "a": m.ones(2, 1).t(), "b": m.ones(1, 2), "c": m.ones(2, 1, 3).transpose(0, 1)}
        results.append(eval(expr, scope).stride())
    assert results[1] == results[0]


@pytest.mark.parametrize(
    "shapes",
    [
        ((1, 2, 3), (6,)),
        ((2, 3), (6,)),
        ((4, 2, 3), (6,)),
        ((2, 3, 1), (3,)),
        ((3,), (6,)),
        ((2, 3), (6, 5)),
        ((2, 2, 3), (6, 5)),
        ((3, 2), (2, 2, 3, 1)),
        ((2, 3, 2), (5, 2, 3, 1)),
        ((2, 1, 3, 2), (4, 3, 1)),
        ((2, 2, 3, 2), (3, 1)),
    ],
    ids=str,
)
def test_matmul_shape_errors(shapes):
    """torch names the kernel it folds matmul into: mv for a vector on the right, mm for a matrix."""
    results = []
    for m in (torch, torchish):
        try:
            m.zeros(shapes[0]) @ m.zeros(shapes[1])
        except RuntimeError as e:
            results.append(str(e))
    assert len(results) == 2 and results[1] == results[0]
