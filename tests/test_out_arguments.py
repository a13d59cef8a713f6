"""out= against torch: the out tensors' dtype checks (each kernel family's words and order), their resizing (the
deprecation warning for one that held elements, the shape a failed check leaves), what is written and returned
(torch.return_types.<op>_out of the out tensors themselves), and the refusal while an argument requires grad."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish
from tests.test_ops_composites import _same_as_torch

# op -> (a call given the module, the input and the out argument; how many out tensors; what the input is)
_PAIR_OPS = {
    "sort": lambda m, x, o: m.sort(x, 1, out=o),
    "sort descending": lambda m, x, o: m.sort(x, dim=0, descending=True, out=o),
    "topk": lambda m, x, o: m.topk(x, 2, out=o),
    "max": lambda m, x, o: m.max(x, 1, out=o),
    "min keepdim": lambda m, x, o: m.min(x, 0, True, out=o),
    "median": lambda m, x, o: m.median(x, 1, out=o),
    "nanmedian keepdim": lambda m, x, o: m.nanmedian(x, 1, keepdim=True, out=o),
    "kthvalue": lambda m, x, o: m.kthvalue(x, 2, 1, out=o),
    "kthvalue keepdim": lambda m, x, o: m.kthvalue(x, 1, 0, True, out=o),
    "mode": lambda m, x, o: m.mode(x, 1, out=o),
    "mode dim 0": lambda m, x, o: m.mode(x, 0, out=o),
    "cummax": lambda m, x, o: m.cummax(x, 1, out=o),
    "cummin": lambda m, x, o: m.cummin(x, 0, out=o),
    "aminmax": lambda m, x, o: m.aminmax(x, dim=1, out=o),
    "aminmax all": lambda m, x, o: m.aminmax(x, out=o),
}
_SINGLE_OPS = {
    "gather": lambda m, x, o: m.gather(x, 1, m.tensor([[2, 0], [1, 1]]), out=o),
    "index_select": lambda m, x, o: m.index_select(x, 0, m.tensor([1, 0, 1]), out=o),
    "take_along_dim": lambda m, x, o: m.take_along_dim(x, m.tensor([[0], [2]]), 1, out=o),
    "take_along_dim flat": lambda m, x, o: m.take_along_dim(x, m.tensor([5, 0]), out=o),
    "index_add": lambda m, x, o: m.index_add(x, 0, m.tensor([1, 0]), m.ones(2, 3), alpha=2, out=o),
    "index_copy": lambda m, x, o: m.index_copy(x, 1, m.tensor([2]), m.zeros(2, 1), out=o),
    "scatter": lambda m, x, o: m.scatter(x, 0, m.tensor([[1, 0]]), m.full((1, 2), 9.0), out=o),
    "scatter value": lambda m, x, o: m.scatter(x, 1, m.tensor([[1], [0]]), 7.0, out=o),
    "scatter_add": lambda m, x, o: m.scatter_add(x, 0, m.tensor([[1, 1, 0]]), m.ones(1, 3), out=o),
    "scatter_reduce": lambda m, x, o: m.scatter_reduce(x, 1, m.tensor([[0, 0]]), m.ones(1, 2), "amax", out=o),
    "add": lambda m, x, o: m.add(x, 1, out=o),
    "cumsum": lambda m, x, o: m.cumsum(x, 1, out=o),
    "sum": lambda m, x, o: m.sum(x, 1, out=o),
}
_DTYPES = ("float32", "float64", "int64", "int32")
_SHAPES = ((0,), (2, 3), (5,), (2, 2), (2, 1), (3, 1), ())


def _run(m, call, outs, requires_grad):
    """(what the call returned or raised, the warnings' texts, each out tensor's state after)."""
    x = m.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 3.0]], requires_grad=requires_grad)
    made = [m.full(shape, 4, dtype=getattr(m, dtype)) for dtype, shape in outs]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call(m, x, made[0] if len(made) == 1 else tuple(made))
            if isinstance(result, tuple):
                returned = (type(result).__name__, [r is o for r, o in zip(result, made)], repr(result))
            else:
                returned = ("Tensor", result is made[0], repr(result))
        except Exception as e:
            returned = (type(e).__name__, str(e))
    failed = not isinstance(returned[1], (list, bool))
    # (an out a failed call resized holds what was in memory: its shape is torch's, its values are not)
    states = [(tuple(o.shape), str(o.dtype), o._version, None if failed else o.tolist()) for o in made]
    return returned, [str(w.message) for w in caught], states


_out_specs = st.tuples(st.sampled_from(_DTYPES), st.sampled_from(_SHAPES))


@given(
    op=st.sampled_from(sorted(_PAIR_OPS)),
    outs=st.lists(_out_specs, min_size=2, max_size=2),
    requires_grad=st.booleans(),
)
def test_tuple_outs(op, outs, requires_grad):
    if op.startswith("aminmax"):  # (min and max: both of the input's dtype; indices elsewhere)
        outs = [(dtype.replace("int64", "float32"), shape) for dtype, shape in outs]
    expected = _run(torch, _PAIR_OPS[op], outs, requires_grad)
    assert _run(torchish, _PAIR_OPS[op], outs, requires_grad) == expected


@given(op=st.sampled_from(sorted(_SINGLE_OPS)), out=_out_specs, requires_grad=st.booleans())
def test_single_outs(op, out, requires_grad):
    expected = _run(torch, _SINGLE_OPS[op], [out], requires_grad)
    assert _run(torchish, _SINGLE_OPS[op], [out], requires_grad) == expected


_PARSER_CALLS = [
    "m.sort(x, out=(v,))", "m.sort(x, out=(v, i, i))", "m.sort(x, out=v)", "m.topk(x, 1, out=v)",
    "m.max(x, 0, out=v)", "m.median(x, 0, out=[v])", "m.kthvalue(x, 1, out=v)", "m.cummax(x, 0, out=v)",
    "m.aminmax(x, out=(v,))", "m.mode(x, out=(v, 1))", "type(m.sort(x, out=[v, i])).__name__",
    "m.linalg.slogdet(x, out=v)", "m.linalg.slogdet(x, out=(v,))", "m.linalg.slogdet(x, out=(v, 1))",
    "m.slogdet(x, out=[v, v, v])", "m.svd(x, out=(v, v))", "m.linalg.svd(x, out=v)", "m.linalg.qr(x, out=(v, 2))",
    "m.linalg.eigh(x, out=v)", "m.linalg.lu_factor_ex(x, out=(v,))", "m.linalg.lu(x, out=(v, v))",
    "m.lu_unpack(x, i.int(), out=v)", "m.triangular_solve(x, x, out=(v, v, v))", "m.linalg.inv_ex(x, out=v)",
    "m.linalg.solve_ex(x, x, out=(v, 1.0))", "m.linalg.cholesky_ex(x, out=(v,))", "m.linalg.lstsq(x, x, out=(v,))",
    "m.frexp(x, out=v)", "m.lu(x, out=v)", "m.lu(x, out=(v,))", "m.kron(x, x, out=(v,))",
    "m.special.ndtr(x, out=(v,))", "m.inner(x, x, out=(v,))", "m.linalg.vecdot(x, x, out=(v,))",
    "m.linalg.svdvals(x, out=[v])", "m.msort(x, out=(v,))", "m.linalg.svd(x, out=(v, v, 1))",
    "m.linalg.lu_factor_ex(x, out=(v, i, 1))", "m.triangular_solve(x, x, out=(v, 1))", "m.frexp(x, out=(v, 1))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _PARSER_CALLS)
def test_out_pairs_through_the_parser(expr):
    results = []
    for m in (torch, torchish):
        scope = {"m": m, "x": m.tensor([[3.0, 1.0], [0.0, 5.0]]), "v": m.empty(0), "i": m.empty(0, dtype=m.long)}
        try:
            results.append(repr(eval(expr, scope)))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


# factories with out=: made in the out tensor's dtype (another dtype= refused), resized without a warning, written,
# returned; an out that requires grad refused
_FACTORY_CALLS = [
    "m.zeros(2, 3, out=o{kw})", "m.ones(4, out=o{kw})", "m.full((2, 2), 2.5, out=o{kw})", "m.full((3,), 7, out=o{kw})",
    "m.linspace(0, 10, 5, out=o{kw})", "m.logspace(0, 2, 3, out=o{kw})", "m.eye(2, 3, out=o{kw})",
    "m.eye(3, out=o{kw})", "m.empty(0, out=o{kw})",
]  # fmt: skip


@pytest.mark.parametrize("kw", ["", ", dtype=m.float32", ", dtype=m.int64", ", requires_grad=True"])
@pytest.mark.parametrize("out", [("float32", (2, 3)), ("float64", (5,)), ("int64", (0,)), ("int32", ())])
@pytest.mark.parametrize("call", _FACTORY_CALLS)
def test_factory_outs(call, out, kw):
    results = []
    for m in (torch, torchish):
        o = m.full(out[1], 4, dtype=getattr(m, out[0]), requires_grad=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                r = eval(call.format(kw=kw), {"m": m, "o": o})
                returned = (r is o, repr(r), o._version, r.requires_grad)
            except Exception as e:
                returned = (type(e).__name__, str(e))
        results.append((returned, [str(w.message) for w in caught]))
    assert results[1] == results[0]


@pytest.mark.parametrize("call", _FACTORY_CALLS)
def test_factory_out_that_requires_grad(call):
    results = []
    for m in (torch, torchish):
        try:
            results.append(repr(eval(call.format(kw=""), {"m": m, "o": m.ones(3, requires_grad=True)})))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    assert results[1] == results[0]


# an out tensor of another dtype, as each kernel family takes it: TensorIterator's unary ops want the result's
# dtype, structured kernels theirs in their words, amax/amin the input's, any/all bool, sum/prod/cumsum compute in
# it, mean/std/var compute in a floating one, the rest cast the result where it casts safely
_OUT_DTYPE_CALLS = [
    "m.abs(x, out=o)", "m.neg(x, out=o)", "m.sign(x, out=o)", "m.floor(x, out=o)", "m.round(x, out=o)",
    "m.clamp(x, 0, 3, out=o)", "m.clamp_min(x, 1, out=o)", "m.clamp(x, m.tensor(0.5), out=o)",
    "m.clamp_max(x, m.tensor([1, 2]), out=o)", "m.frac(x, out=o)", "m.mm(x, x, out=o)",
    "m.matmul(x, x, out=o)", "m.mv(x, x[0], out=o)", "m.diag(x, out=o)", "m.tril(x, out=o)", "m.argmax(x, 0, out=o)",
    "m.addmm(x, x, x, out=o)", "m.amax(x, 0, out=o)", "m.any(x, 0, out=o)", "m.all(x, out=o)",
    "m.logcumsumexp(x, 0, out=o)", "m.take(x, m.tensor([0, 3]), out=o)", "m.nan_to_num(x, out=o)",
    "m.signbit(x, out=o)", "m.sum(x, 0, out=o)", "m.prod(x, 1, out=o)", "m.cumsum(x, 0, out=o)",
    "m.mean(x, 0, out=o)", "m.std(x, 1, out=o)", "m.var(x, 0, out=o)", "m.logsumexp(x, 1, out=o)",
    "m.cat([x, x], out=o)", "m.linalg.det(x, out=o)", "m.square(x, out=o)", "m.pow(x, 2, out=o)",
    "m.add(x, 1, out=o)", "m.exp(x, out=o)", "m.nansum(x, out=o)", "m.nansum(x, 1, out=o)",
    "m.dot(x[0], x[1], out=o)", "m.vdot(x[0], x[1], out=o)",
]  # fmt: skip


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("int64", "float32"), ("float32", "int64"),
                                    ("float64", "float32"), ("float32", "bool"), ("int64", "int32")])  # fmt: skip
@pytest.mark.parametrize("call", _OUT_DTYPE_CALLS)
def test_out_dtype_rules(call, dtypes):
    results = []
    for m in (torch, torchish):
        x = m.tensor([[1.25, 2.0], [3.0, 0.5]]).to(getattr(m, dtypes[0]))
        o = m.empty(0, dtype=getattr(m, dtypes[1]))
        try:
            r = eval(call, {"m": m, "x": x, "o": o})
            results.append((r is o, str(r.dtype), r.tolist() if "exp" not in call else r.shape))
        except Exception as e:
            results.append((type(e).__name__, str(e)))
    if results[0][0] is True and results[1][0] is True and "float" in results[0][1]:
        torch.testing.assert_close(torch.tensor(results[1][2]), torch.tensor(results[0][2]))
        results = [r[:2] for r in results]
    assert results[1] == results[0]


@pytest.mark.parametrize("call", ["m.sum(x, dtype=d)", "m.sum(x, 0, dtype=d)", "m.nansum(x, dtype=d)",
                                  "m.nansum(x, 1, True, dtype=d)", "m.prod(x, 1, dtype=d)", "m.cumsum(x, 0, dtype=d)",
                                  "m.cumprod(x, 1, dtype=d)"])  # fmt: skip
@pytest.mark.parametrize("dtypes", [("float32", "int32"), ("float32", "bool"), ("int64", "bool"), ("int8", "int16"),
                                    ("float64", "float16"), ("int32", "int32")])  # fmt: skip
def test_reductions_compute_in_the_dtype_asked(call, dtypes):
    """dtype= is the result's dtype, also where JAX's sum of it would widen (an int32 sum is int64 in jnp)."""

    def run(m):
        x = m.tensor([[1.25, 2.0], [-3.0, 0.5]]).to(getattr(m, dtypes[0]))
        try:
            r = eval(call, {"m": m, "x": x, "d": getattr(m, dtypes[1])})
            return str(r.dtype), r.tolist()
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return type(e).__name__, str(e)

    assert run(torchish) == run(torch)


@pytest.mark.parametrize("method", ["cumsum_", "cumprod_"])
@pytest.mark.parametrize("dtype", ["int8", "int32", "bool", "float16", "float32"])
def test_in_place_scans_compute_in_their_own_dtype(method, dtype):
    """x.cumsum_(dim) is cumsum(x, dim, dtype=x.dtype) written into x: int8 wraps around, bool has no kernel."""

    def run(m):
        x = m.tensor([100, 2, 3]).to(getattr(m, dtype))
        try:
            getattr(x, method)(0)
            return str(x.dtype), x.tolist()
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return type(e).__name__, str(e)

    assert run(torchish) == run(torch)


_NO_OUT_CALLS = [
    "m.cdist(x, x, out=o)", "m.celu(x, out=o)", "m.clone(x, out=o)", "m.det(x, out=o)", "m.diag_embed(x, out=o)",
    "m.diagonal(x, out=o)", "m.isfinite(x, out=o)", "m.isinf(x, out=o)", "m.isnan(x, out=o)", "m.logdet(x, out=o)",
    "m.matrix_exp(x, out=o)", "m.pinverse(x, out=o)", "m.relu(x, out=o)", "m.rot90(x, out=o)", "m.t(x, out=o)",
    "m.trace(x, out=o)", "m.linalg.matrix_exp(x, out=o)", "m.linalg.diagonal(x, out=o)", "m.linalg.vander(x[0], out=o)",
    "m.std_mean(x, out=o)", "m.var_mean(x, 0, out=o)", "m.std_mean(x, 0, True, out=o)", "m.where(x > 1, x, 0.0, out=o)",
    "m.where(x > 1, 1.0, x, out=o)", "m.where(x > 1, out=o)", "m.where(x > 1, x, out=o)", "m.zeros_like(x, out=o)",
    "m.ones_like(x, out=o)", "m.empty_like(x, out=o)", "m.special.softmax(x, 0, out=o)",
    "m.special.log_softmax(x, 0, out=o)", "m.reshape(x, (4,), out=o)", "m.permute(x, (1, 0), out=o)",
    "m.abs_(x.clone(), out=o)", "m.relu_(x.clone(), out=o)", "m.clamp_(x.clone(), 1.0, out=o)",
    "m.clamp_max_(x.clone(), 1.0, out=o)", "m.round_(x.clone(), out=o)", "m.xlogy_(x.clone(), x, out=o)",
    "x.nanmean(out=o)", "x.inner(x, out=o)", "x.msort(out=o)", "x.isposinf(out=o)", "x.conj_physical(out=o)",
    "x.frexp(out=o)", "x.slogdet(out=o)", "x[0].ger(x[0], out=o)", "x.kron(x, out=o)", "x.matrix_power(2, out=o)",
    "x.svd(out=o)", "x.quantile(0.5, out=o)", "x.nanquantile(0.5, 1, out=o)", "x.histc(out=o)", "x.nonzero(out=o)",
    "x.slice_scatter(x, out=o)",
    # the op table's methods and in-place methods (they ignored out=)
    "x.add(1, out=o)", "x.add_(1, out=o)", "x.exp(out=o)", "x.exp_(out=o)", "x.sin(out=o)", "x.mul(2, out=o)",
    "x.mul_(x, out=o)", "x.atan2(x, out=o)", "x.cumsum(0, out=o)", "x.clamp_min(0.5, out=o)", "x.sigmoid_(out=o)",
    "x.lerp(x, 0.5, out=o)",
    # the op table's functions torch gives no out=, or gives it in some overloads only
    "m.sum(x, out=o)", "m.prod(x, out=o)", "m.count_nonzero(x, out=o)", "m.count_nonzero(x, 0, out=o)",
    "m.squeeze(x, out=o)", "m.squeeze(x, 0, out=o)", "m.unsqueeze(x, 0, out=o)", "m.select(x, 0, 0, out=o)",
    "m.narrow(x, 0, 0, 1, out=o)", "m.transpose(x, 0, 1, out=o)", "m.swapaxes(x, 0, 1, out=o)",
    "x.swapdims(0, 1, out=o)", "m.isclose(x, x, out=o)", "m.dist(x, x, out=o)", "m.roll(x, 1, out=o)",
    "m.put(x, m.tensor([0]), x[0, :1], out=o)", "m.rsub(x, x, out=o)", "m.rsub(x, 2, out=o)",
    "m.masked_fill(x, x > 0, 1.0, out=o)",
    # Tensor methods of several overloads (torch lists them), and methods that shared their function with torch.*
    "x.pow(2, out=o)", "x.pow_(2, out=o)", "x.remainder(2, out=o)", "x.fmod(2, out=o)", "x.flip(0, out=o)",
    "x.to(out=o)", "x.to(m.float64, out=o)", "x.lt(x, out=o)", "x.lt_(x, out=o)", "x.eq(out=o)", "x.sum(out=o)",
    "x.sum(0, out=o)", "x.std(out=o)", "x.where(x > 0, x, out=o)", "x.float_power(2, out=o)", "x.div(2, out=o)",
    "x.divide(x, out=o)", "x.squeeze(out=o)", "x.max(out=o)", "x.random_(out=o)", "x.masked_fill(x > 0, 1.0, out=o)",
    "x.clamp(0, 1, out=o)", "x.scatter(0, x.long(), 1.0, out=o)", "x.view(4, out=o)", "x.subtract_(x, out=o)",
]  # fmt: skip


@pytest.mark.parametrize("call", _NO_OUT_CALLS)
def test_ops_without_out(call):
    """torch's signatures of these (and of every Tensor method) have no out=: its parser refuses the keyword."""
    _same_as_torch(call, lambda m: {"m": m, "x": m.ones(2, 2), "o": m.empty(0)})


# composites' out= (torch's Python functions and CompositeImplicit kernels, each with its own checks): what is
# returned, each out tensor's state after (shape, dtype, version, requires_grad, grad_fn), its values and the
# gradient through it, the resize warnings, or the error. x is [[2., 1.], [1., 3.]] and v [1., 2., 3.] (both
# requiring grad in half the runs); lu is x's LU factorization and pivots. Each call's outs by the dtype torch
# writes: f float32, d float64, i int32, l int64, b bool.
_COMPOSITE_CALLS = {
    "m.special.ndtr(x, out=o)": "f",
    "m.special.logsumexp(x, 1, out=o)": "f",
    "m.linalg.cond(x, out=o)": "f",
    "m.linalg.cond(x, 'fro', out=o)": "f",
    "m.linalg.tensorinv(x, 1, out=o)": "f",
    "m.linalg.tensorsolve(x, v[:2], out=o)": "f",
    "m.linalg.vecdot(x, x, out=o)": "f",
    "m.linalg.vecdot(v, v, out=o)": "f",
    "m.quantile(x, 0.5, out=o)": "f",
    "m.quantile(x, m.tensor([0.25, 0.5]), 1, out=o)": "f",
    "m.nanquantile(x, 0.5, 0, True, out=o)": "f",
    "m.nn.functional.normalize(x, out=o)": "f",
    "m.inner(x, x, out=o)": "f",
    "m.kron(x, x, out=o)": "f",
    "m.msort(x, out=o)": "f",
    "m.nanmean(x, out=o)": "f",
    "m.nanmean(x, 1, True, out=o)": "f",
    "m.outer(v, v, out=o)": "f",
    "m.ger(v, v, out=o)": "f",
    "m.matrix_power(x, 0, out=o)": "f",
    "m.matrix_power(x, 1, out=o)": "f",
    "m.matrix_power(x, -1, out=o)": "f",
    "m.matrix_power(x, 3, out=o)": "f",
    "m.linalg.matrix_power(x, -2, out=o)": "f",
    "m.frobenius_norm(x, [0, 1], out=o)": "f",
    "m.nuclear_norm(x, out=o)": "f",
    "m.linalg.matrix_norm(x, 'nuc', out=o)": "f",
    "m.hstack([x, x], out=o)": "f",
    "m.vstack([x, v[:2]], out=o)": "f",
    "m.row_stack([x, x], out=o)": "f",
    "m.dstack([x, x], out=o)": "f",
    "m.column_stack([v, v], out=o)": "f",
    "m.conj_physical(x, out=o)": "f",
    "m.histc(v, 4, out=o)": "f",
    "m.range(0, 3, out=o)": "f",
    "m.linalg.cross(v, v, out=o)": "f",
    "m.linalg.eigvalsh(x, out=o)": "f",
    "m.linalg.multi_dot([x, x, x], out=o)": "f",
    "m.linalg.pinv(x, out=o)": "f",
    "m.linalg.svdvals(x, out=o)": "f",
    "m.lu_solve(x, *lu, out=o)": "f",
    "m.linalg.matrix_rank(x, out=o)": "l",
    "m.nonzero(x, out=o)": "l",
    "m.bucketize(v, v, out=o)": "l",
    "m.searchsorted(v, v, right=True, out=o)": "l",
    "m.isin(v, v, out=o)": "b",
    "m.isneginf(x, out=o)": "b",
    "m.isposinf(x, out=o)": "b",
    "m.slogdet(x, out=o)": "ff",
    "m.linalg.slogdet(x, out=o)": "ff",
    "m.linalg.eigh(x, out=o)": "ff",
    "m.linalg.qr(x, out=o)": "ff",
    "m.triangular_solve(x, x, out=o)": "ff",
    "m.linalg.lu_factor(x, out=o)": "fi",
    "m.lu(x, out=o)": "fi",
    "m.linalg.inv_ex(x, out=o)": "fi",
    "m.linalg.solve_ex(x, x, out=o)": "fi",
    "m.linalg.cholesky_ex(x, out=o)": "fi",
    "m.linalg.svd(x, out=o)": "fff",
    "m.svd(x, out=o)": "fff",
    "m.svd(x, compute_uv=False, out=o)": "fff",
    "m.linalg.lu(x, out=o)": "fff",
    "m.lu_unpack(*lu, out=o)": "fff",
    "m.linalg.lu_factor_ex(x, out=o)": "fii",
    "m.lu(x, get_infos=True, out=o)": "fii",
    "m.linalg.lstsq(x, x, out=o)": "fflf",
    "m.svd(x, some=False, out=o)": "fff",
    "m.matrix_power(x, 4, out=o)": "f",
    "m.matrix_power(x, 5, out=o)": "f",
    "m.cross(v, v, out=o)": "f",
    "m.linalg.inv(x, out=o)": "f",
    "m.linalg.solve(x, v[:2], out=o)": "f",
    "m.linalg.cholesky(x, out=o)": "f",
    "m.cholesky(x, out=o)": "f",
    "m.linalg.lu_solve(*lu, x, out=o)": "f",
    "m.linalg.solve_triangular(x, x, upper=True, out=o)": "f",
    "m.linalg.householder_product(x, x[0], out=o)": "f",
    "m.linalg.norm(x, out=o)": "f",
    "m.linalg.norm(x, 'fro', out=o)": "f",
    "m.chain_matmul(x, out=o)": "f",
    "m.chain_matmul(x, x, out=o)": "f",
    "m.hardshrink(x, out=o)": "f",
    "m.threshold(x, 1.5, 0.0, out=o)": "f",
    "m.nn.functional.gelu(x, out=o)": "f",
    "m.nn.functional.softplus(x, out=o)": "f",
    "m.nn.functional.softshrink(x, out=o)": "f",
    "m.nn.functional.logsigmoid(x, out=o)": "f",
    "m.nn.functional.linear(x, x, v[:2], out=o)": "f",
    "m.nn.functional.avg_pool2d(x[None], 1, out=o)": "f",
    "m.arange(3, out=o)": "f",
    "m.where(x > 1, x, x * 2, out=o)": "f",
    "m.slice_scatter(x, x[:1], 0, 0, 1, out=o)": "f",
    "m.frexp(x, out=o)": "fi",
    "m.float_power(x, 2, out=o)": "d",
    "m.bernoulli(x / 4, generator=m.Generator().manual_seed(0), out=o)": "f",
}
_RIGHT = {"f": "float32", "d": "float64", "i": "int32", "l": "int64", "b": "bool"}
_WRONG = {"f": "float64", "d": "float32", "i": "int64", "l": "int32", "b": "float32"}


def _composite_specs(kinds):
    """Out tensors as (dtype, shape, requires_grad): torch's dtypes, resized with and without a warning, or
    requiring grad; each out in turn of another dtype; a lone out of yet other dtypes."""
    right = [_RIGHT[k] for k in kinds]
    specs = [[(d, (5,)) for d in right], [(d, (0,)) for d in right], [(d, (0,), d[0] in "fc") for d in right]]
    for i in range(len(kinds)):
        specs.append([(_WRONG[k] if j == i else _RIGHT[k], (2, 3)) for j, k in enumerate(kinds)])
    if len(kinds) == 1:
        specs += [[(d, (1,))] for d in ("int64", "complex64", "bool") if d != right[0]]
    return specs


def _composite_run(m, expr, spec, requires_grad):
    """(what the call returned or raised, the resize warnings, each out tensor's state after; the outs' values and
    the gradients through them, apart: compared within rounding)."""
    x = m.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=requires_grad)
    v = m.tensor([1.0, 2.0, 3.0], requires_grad=requires_grad)
    made = [m.full(shape, 4, dtype=getattr(m, dtype), requires_grad=rg == [True]) for dtype, shape, *rg in spec]
    o = made[0] if len(made) == 1 else tuple(made)
    lu = tuple(m.linalg.lu_factor(x.detach()))
    values = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = eval(expr, {"m": m, "x": x, "v": v, "o": o, "lu": lu})
            returned = (type(r).__name__, r is o, [a is b for a, b in zip(r, made)] if isinstance(r, tuple) else None)
            values = [t.tolist() for t in made]
            tracked = [t for t in made if t.requires_grad]
            if tracked:
                loss = sum(t.sum() for t in tracked)
                grads = m.autograd.grad(loss, (x, v), allow_unused=True)
                values += [None if g is None else g.tolist() for g in grads]
        except Exception as e:
            returned = (type(e).__name__, str(e))
    # (the others are once per process: deprecations)
    resized = [str(w.message) for w in caught if str(w.message).startswith("An output with one or more elements")]
    states = [(tuple(t.shape), str(t.dtype), t._version, t.requires_grad, type(t.grad_fn).__name__) for t in made]
    return (returned, resized, states), values


@pytest.mark.parametrize("expr", sorted(_COMPOSITE_CALLS))
def test_composite_outs(expr):
    for spec in _composite_specs(_COMPOSITE_CALLS[expr]):
        for requires_grad in (False, True):
            expected, expected_values = _composite_run(torch, expr, spec, requires_grad)
            got, values = _composite_run(torchish, expr, spec, requires_grad)
            assert got == expected, (spec, requires_grad)
            assert [v is None for v in values or [0]] == [v is None for v in expected_values or [0]]
            for a, b in zip(values or (), expected_values or ()):
                if b is not None:
                    torch.testing.assert_close(torch.tensor(a), torch.tensor(b), rtol=1e-5, atol=1e-5, equal_nan=True)


_DEPRECATED_OUT_SCRIPT = """
import warnings, {m} as m
x = m.tensor([[2.0, 1.0], [1.0, 3.0]])
lu = m.linalg.lu_factor(x)
calls = [lambda o: m.chain_matmul(x, x, out=o), lambda o: m.frobenius_norm(x, [0, 1], out=o),
         lambda o: m.nuclear_norm(x, out=o), lambda o: m.nuclear_norm(x, [0, 1], out=o),
         lambda o: m.lu_solve(x, *lu, out=o)]
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for call in calls:
        call(m.empty(0))
        call(m.empty(0))
        call(None)
        call(None)
print([str(x.message) for x in w])
"""


def test_deprecated_composites_warn_once_per_kernel():
    """torch's TORCH_WARN_ONCE is once per call site: a deprecated function's out= kernel warns once apart from its
    other overloads (a fresh process each, as the flags are per process)."""
    out = [
        subprocess.run(
            [sys.executable, "-c", _DEPRECATED_OUT_SCRIPT.format(m=m)], capture_output=True, text=True, check=True
        ).stdout
        for m in ("torch", "torchish")
    ]
    assert out[1] == out[0] and out[0].count("deprecated") == 9
