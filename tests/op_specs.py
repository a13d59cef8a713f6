"""How to exercise each op of the table in a differential test.

A spec says how to call the op in both libraries (`call(m, *tensors)` with m = torch or torchish),
how many tensor inputs it takes, which shapes and values are valid, and which table entries it
reaches (`covers`), so test_ops.py can check that no op of the table goes untested.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from hypothesis import strategies as st

SHAPES = [(), (1,), (3,), (2, 3), (3, 1), (2, 1, 3)]
FLOATS = ("float32", "float64")
NUMERIC = ("float32", "float64", "int64", "int32")


@dataclass
class Spec:
    name: str
    call: Callable
    n: int = 1
    shapes: str = (
        "same"  # same | broadcast | matmul | mm | bmm | dot | mv | outer | cat | addmm | bilinear | min1d | min2d
    )
    domain: tuple = (-3.0, 3.0)
    dtypes: tuple = FLOATS
    grad: bool = True
    gradgrad: bool = True
    covers: tuple = ()
    inplace: str | None = None  # name of the Tensor method for the in-place variant
    kwargs: Callable | None = None  # shape -> strategy of extra keyword args
    int_domain: tuple = (-5, 6)
    extra: dict = field(default_factory=dict)
    slow: bool = False  # run only with `-m slow`

    @property
    def ops(self):
        return self.covers or (self.name,)


def _dim_kw(shape, name="dim", keepdim=True):
    if not shape:
        return st.just({})
    d = st.integers(-len(shape), len(shape) - 1)
    if keepdim:
        return st.fixed_dictionaries({name: d, "keepdim": st.booleans()})
    return st.fixed_dictionaries({name: d})


def _windows_kw(shape):
    """as_strided's classic use: overlapping windows of length k, `step` apart, over the flattened tensor."""
    n = math.prod(shape)
    if n == 0:
        return st.just({"size": (0,), "stride": (1,), "storage_offset": 0})
    return st.tuples(st.integers(1, n), st.integers(1, 2)).flatmap(
        lambda kw: st.integers(0, n - kw[0]).map(
            lambda off: {"size": ((n - kw[0] - off) // kw[1] + 1, kw[0]), "stride": (kw[1], 1), "storage_offset": off}
        )
    )


def _opt_dim_kw(shape):
    return st.one_of(st.just({}), _dim_kw(shape))


def _var_kw(shape):
    # torch's two spellings of the divisor: unbiased= (positional-compatible) or the keyword-only correction=
    divisor = st.one_of(
        st.just({}),
        st.fixed_dictionaries({"unbiased": st.booleans()}),
        st.fixed_dictionaries({"correction": st.integers(0, 3)}),
    )
    return st.builds(lambda d, c: {**d, **c}, _opt_dim_kw(shape), divisor)


def _one_dim(shape):
    return st.fixed_dictionaries({"dim": st.integers(-max(len(shape), 1), max(len(shape), 1) - 1)})


def _unary(name, domain=(-3.0, 3.0), inplace=True, dtypes=FLOATS, gradgrad=True, grad=True):
    return Spec(
        name,
        lambda m, x, _n=name: getattr(m, _n)(x),
        domain=domain,
        inplace=name + "_" if inplace else None,
        dtypes=dtypes,
        gradgrad=gradgrad,
        grad=grad,
    )


def _binary(name, inplace=True, dtypes=NUMERIC, domain=(-3.0, 3.0), grad=True, gradgrad=True):
    return Spec(
        name,
        lambda m, x, y, _n=name: getattr(m, _n)(x, y),
        n=2,
        shapes="broadcast",
        dtypes=dtypes,
        domain=domain,
        inplace=name + "_" if inplace else None,
        grad=grad,
        gradgrad=gradgrad,
    )


POS = (0.1, 3.0)
SPECS = [
    _binary("add"),
    _binary("sub"),
    _binary("mul"),
    Spec("add_alpha", lambda m, x, y: m.add(x, y, alpha=2), n=2, shapes="broadcast", covers=("add",)),
    Spec("div", lambda m, x, y: m.div(x, y), n=2, shapes="broadcast", domain=POS, inplace="div_", dtypes=NUMERIC),
    Spec(
        "div_floor",
        lambda m, x, y: m.div(x, y, rounding_mode="floor"),
        n=2,
        shapes="broadcast",
        domain=POS,
        covers=("div",),
    ),
    Spec("rsub", lambda m, x, y: m.rsub(x, y), n=2, shapes="broadcast"),
    Spec("pow_tensor", lambda m, x, y: m.pow(x, y), n=2, shapes="broadcast", domain=POS, covers=("_pow_tensor",)),
    Spec(
        "pow_scalar",
        lambda m, x: m.pow(x, 3),
        covers=("_pow_scalar",),
        inplace=None,
        dtypes=NUMERIC,
        int_domain=(-3, 4),
    ),
    Spec("pow_frac", lambda m, x: x**0.5, covers=("_pow_scalar",), domain=POS),
    Spec("rpow", lambda m, x: 2.0**x, covers=("_pow_base_scalar",)),
    # float_power: pow in double, as ATen composes it (ToCopyBackward0 under the pow node)
    Spec(
        "float_power", lambda m, x, y: m.float_power(x, y), n=2, shapes="broadcast", domain=POS, covers=("_pow_tensor",)
    ),
    Spec("float_power_scalar", lambda m, x: x.float_power(2.5), domain=POS, covers=("_pow_scalar",), dtypes=NUMERIC),
    Spec("float_power_base", lambda m, x: m.float_power(3, x), covers=("_pow_base_scalar",)),
    Spec("neg", lambda m, x: -x, covers=("neg",), dtypes=NUMERIC),
    _unary("exp"),
    _unary("log", domain=POS),
    _unary("sin"),
    _unary("cos"),
    _unary("tan", domain=(-1.2, 1.2)),
    _unary("tanh"),
    _unary("sigmoid"),
    _unary("sqrt", domain=POS),
    _unary("rsqrt", domain=POS),
    _unary("abs", dtypes=NUMERIC),
    _unary("relu", dtypes=NUMERIC),
    _unary("log2", domain=POS),
    _unary("log10", domain=POS),
    _unary("log1p", domain=(-0.9, 3.0)),
    _unary("expm1"),
    _unary("exp2"),
    _unary("asin", domain=(-0.9, 0.9)),
    _unary("acos", domain=(-0.9, 0.9)),
    _unary("atan"),
    _unary("sinh"),
    _unary("cosh"),
    _unary("reciprocal", domain=POS),
    _unary("erf"),
    _unary("sign", dtypes=NUMERIC),
    _unary("sgn", dtypes=NUMERIC),
    _unary("deg2rad", dtypes=NUMERIC),
    _unary("rad2deg", dtypes=NUMERIC),
    _unary("floor", dtypes=NUMERIC),
    _unary("ceil", dtypes=NUMERIC),
    _unary("round"),
    _unary("trunc"),
    _unary("frac"),
    Spec("int_to_float_unary", lambda m, x: m.sin(x), dtypes=("int64", "int32"), grad=False, covers=("sin",)),
    Spec("clamp", lambda m, x: m.clamp(x, -1.0, 1.0), inplace=None),
    Spec("clamp_min", lambda m, x: m.clamp(x, min=0.5), covers=("clamp",)),
    # Tensor bounds: the gradient splits between x and the bounds (ties and crossed bounds drawn often)
    *(
        Spec(name, call, n=n, shapes="broadcast", dtypes=NUMERIC, inplace=inplace, int_domain=(-2, 3), covers=(op,))
        for name, call, n, inplace, op in (
            ("clamp_tensor", lambda m, x, lo, hi: m.clamp(x, lo, hi), 3, "clamp_", "clamp"),
            ("clamp_min_tensor", lambda m, x, lo: m.clamp_min(x, lo), 2, "clamp_min_", "clamp_min"),
            ("clamp_max_tensor", lambda m, x, hi: x.clamp_max(hi), 2, "clamp_max_", "clamp_max"),
        )
    ),
    Spec("clamp_tensor_max", lambda m, x, hi: x.clamp(max=hi), n=2, shapes="broadcast", covers=("clamp",)),
    Spec("clamp_min_scalar", lambda m, x: x.clamp_min(0.5), dtypes=NUMERIC, covers=("clamp_min",)),
    Spec("clamp_max_scalar", lambda m, x: m.clamp_max(x, -1), dtypes=NUMERIC, covers=("clamp_max",)),
    _binary("maximum", inplace=False),
    _binary("minimum", inplace=False),
    Spec("where", lambda m, x, y: m.where(x > 0, x, y), n=2, shapes="broadcast", covers=("_where", "gt")),
    Spec("eq", lambda m, x, y: m.eq(x, y), n=2, shapes="broadcast", dtypes=NUMERIC, grad=False, int_domain=(0, 2)),
    *[
        Spec(
            c,
            lambda m, x, y, _c=c: getattr(m, _c)(x, y),
            n=2,
            shapes="broadcast",
            dtypes=NUMERIC,
            grad=False,
            int_domain=(0, 3),
        )
        for c in ("ne", "lt", "le", "gt", "ge")
    ],
    Spec("logical_not", lambda m, x: m.logical_not(x), dtypes=NUMERIC, grad=False),
    *[
        Spec(
            c,
            lambda m, x, y, _c=c: getattr(m, _c)(x, y),
            n=2,
            shapes="broadcast",
            dtypes=("int64", "int32"),
            grad=False,
        )
        for c in ("bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or", "logical_xor")
    ],
    Spec("bitwise_not", lambda m, x: ~x, dtypes=("int64", "int32"), grad=False),
    Spec("remainder", lambda m, x, y: m.remainder(x, y), n=2, shapes="broadcast", domain=POS),
    Spec("fmod", lambda m, x, y: m.fmod(x, y), n=2, shapes="broadcast", domain=POS),
    # reductions
    Spec("sum", lambda m, x, **k: m.sum(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC),
    Spec("nansum", lambda m, x, **k: m.nansum(x, **k), kwargs=_opt_dim_kw),
    Spec("mean", lambda m, x, **k: m.mean(x, **k), kwargs=_opt_dim_kw),
    Spec("prod", lambda m, x, **k: m.prod(x, **k), kwargs=lambda s: st.one_of(st.just({}), _dim_kw(s))),
    Spec("amax", lambda m, x, **k: m.amax(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC),
    Spec("amin", lambda m, x, **k: m.amin(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC),
    Spec(
        "aminmax",
        lambda m, x, **k: tuple(m.aminmax(x, **k)),
        kwargs=lambda shape: st.one_of(st.fixed_dictionaries({"keepdim": st.booleans()}), _dim_kw(shape)),
        dtypes=NUMERIC,
        covers=("_aminmax",),
    ),
    Spec("max_all", lambda m, x: m.max(x), covers=("_max_all",), dtypes=NUMERIC),
    Spec("min_all", lambda m, x: m.min(x), covers=("_min_all",), dtypes=NUMERIC),
    Spec("max_dim", lambda m, x, **k: m.max(x, **k), kwargs=_dim_kw, covers=("_max_dim",), shapes="min1d"),
    Spec("min_dim", lambda m, x, **k: m.min(x, **k), kwargs=_dim_kw, covers=("_min_dim",), shapes="min1d"),
    Spec("argmax", lambda m, x, **k: m.argmax(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC, grad=False),
    Spec("argmin", lambda m, x, **k: m.argmin(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC, grad=False),
    Spec("var", lambda m, x, **k: m.var(x, **k), kwargs=_var_kw, shapes="min2d"),
    Spec("std", lambda m, x, **k: m.std(x, **k), kwargs=_var_kw, shapes="min2d", domain=(0.5, 3.0)),
    Spec("var_mean", lambda m, x, **k: m.var_mean(x, **k), kwargs=_var_kw, shapes="min2d"),
    Spec("std_mean", lambda m, x, **k: m.std_mean(x, **k), kwargs=_var_kw, shapes="min2d", domain=(0.5, 3.0)),
    Spec("all", lambda m, x, **k: m.all(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC, grad=False, int_domain=(0, 2)),
    Spec("any", lambda m, x, **k: m.any(x, **k), kwargs=_opt_dim_kw, dtypes=NUMERIC, grad=False, int_domain=(0, 2)),
    Spec("logsumexp", lambda m, x, dim=0: m.logsumexp(x, dim), shapes="min1d"),
    Spec("cumsum", lambda m, x, dim=0: m.cumsum(x, dim), shapes="min1d", dtypes=NUMERIC),
    Spec("cumprod", lambda m, x, dim=0: m.cumprod(x, dim), shapes="min1d", domain=(0.5, 2.0)),
    Spec("softmax", lambda m, x, **k: m.softmax(x, **k), kwargs=_one_dim),
    Spec("log_softmax", lambda m, x, **k: m.log_softmax(x, **k), kwargs=_one_dim),
    # shapes and views
    Spec("reshape", lambda m, x: m.reshape(x, (-1,)), covers=("_view",), dtypes=NUMERIC),
    Spec("view", lambda m, x: x.view(*x.shape[::-1]) if x.dim() else x.view(1), covers=("_view",)),
    # a strided tensor that reshape can still view: torch's _reshape_alias
    Spec("reshape_alias", lambda m, x: x.mT.reshape(x.mT.shape + (1,)), covers=("_reshape_alias",), shapes="min2d"),
    # a transposed tensor is not viewable as one row: reshape copies (CloneBackward0 -> UnsafeViewBackward0)
    Spec(
        "reshape_copy",
        lambda m, x: m.reshape(x.transpose(0, -1), (-1,)),
        covers=("_unsafe_view", "_view"),
        shapes="min1d",
        dtypes=NUMERIC,
    ),
    Spec("transpose", lambda m, x: m.transpose(x, 0, -1), shapes="min1d", dtypes=NUMERIC),
    Spec("t", lambda m, x: m.t(x), shapes="max2d"),
    Spec("permute", lambda m, x: x.permute(*reversed(range(x.dim()))), covers=("_permute",)),
    Spec("unsqueeze", lambda m, x: m.unsqueeze(x, 0), dtypes=NUMERIC),
    Spec("squeeze", lambda m, x: m.squeeze(x)),
    Spec("squeeze_dim", lambda m, x: m.squeeze(x, 0), shapes="min1d", covers=("squeeze",)),
    Spec("expand", lambda m, x: x.expand(2, *x.shape), covers=("_expand",)),
    Spec("cat", lambda m, x, y: m.cat([x, y], 0), n=2, shapes="cat"),
    Spec("stack", lambda m, x, y: m.stack([x, y], 0), n=2, shapes="same"),
    Spec("select", lambda m, x: m.select(x, 0, -1), shapes="min1d"),
    Spec("narrow", lambda m, x: m.narrow(x, 0, 0, 1), shapes="min1d"),
    Spec("unbind", lambda m, x: m.unbind(x, -1), shapes="min1d", covers=("_unbind",)),
    Spec("split", lambda m, x: m.split(x, 2), shapes="min1d", covers=("_split",)),
    Spec("split_with_sizes", lambda m, x: m.split(x, [1, x.shape[0] - 1]), shapes="min1d", covers=("_split",)),
    Spec("slice", lambda m, x: x[1:], shapes="min1d", covers=("_slice",)),
    Spec("alias", lambda m, x: x[...], covers=("_alias",)),
    Spec("index_tensor", lambda m, x: x[m.tensor([0, 0])], shapes="min1d", covers=("_index",)),
    Spec("index_mask", lambda m, x: x[x > 0], covers=("_index", "gt")),
    Spec("diagonal", lambda m, x: m.diagonal(x), shapes="min2d"),
    Spec(
        "unfold",
        lambda m, x, dimension, size, step: x.unfold(dimension, size, step),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "dimension": st.integers(-max(len(s), 1), max(len(s), 1) - 1),
                "size": st.integers(0, (max(s) if s else 1) + 1),
                "step": st.integers(0, 3),
            }
        ),
    ),
    Spec(
        "as_strided",
        lambda m, x, size, stride, storage_offset: x.as_strided(size, stride, storage_offset),
        kwargs=_windows_kw,
        covers=("_as_strided",),
    ),
    Spec("flip", lambda m, x: m.flip(x, (0,)), shapes="min1d", covers=("_flip",)),
    Spec("repeat", lambda m, x: x.repeat(2, *([1] * x.dim())), covers=("_repeat",)),
    Spec("roll", lambda m, x: m.roll(x, 1, 0), shapes="min1d"),
    Spec("tril", lambda m, x: m.tril(x), shapes="min2d"),
    Spec("triu", lambda m, x: m.triu(x, 1), shapes="min2d"),
    Spec("clone", lambda m, x: m.clone(x), dtypes=NUMERIC),
    Spec("to_double", lambda m, x: x.to(m.float64), covers=("_to_copy",)),
    Spec("fill_", lambda m, x: (x * 1).fill_(2.5), covers=("_fill_scalar", "mul")),
    Spec("zero_", lambda m, x: (x * 1).zero_(), covers=("_zero", "mul")),
    Spec("fill_tensor", lambda m, x: (x * 1).fill_(x.sum()), covers=("_fill_tensor", "mul", "sum")),
    Spec("copy_", lambda m, x: m.zeros(x.shape).copy_(x), covers=("_copy_from",)),
    Spec("setitem", lambda m, x: _setitem(x), shapes="min1d", covers=("_index_put", "mul", "sum")),
    # linear algebra
    Spec("matmul", lambda m, x, y: m.matmul(x, y), n=2, shapes="matmul", covers=("_matmul", "_squeeze_", "mm")),
    Spec("mm", lambda m, x, y: m.mm(x, y), n=2, shapes="mm"),
    Spec("bmm", lambda m, x, y: m.bmm(x, y), n=2, shapes="bmm"),
    Spec("dot", lambda m, x, y: m.dot(x, y), n=2, shapes="dot"),
    Spec("mv", lambda m, x, y: m.mv(x, y), n=2, shapes="mv"),
    Spec("outer", lambda m, x, y: m.outer(x, y), n=2, shapes="dot", covers=("_view", "mul")),
    Spec("addmm", lambda m, x, y, z: m.addmm(x, y, z, beta=0.5, alpha=2.0), n=3, shapes="addmm", inplace="addmm_"),
    Spec("addmv", lambda m, x, y, z: m.addmv(x, y, z, beta=0.5, alpha=2.0), n=3, shapes="addmv", inplace="addmv_"),
    Spec("addmv_beta0", lambda m, x, y, z: m.addmv(x, y, z, beta=0), n=3, shapes="addmv", covers=("addmv",)),
    Spec(
        "addr",
        lambda m, x, y, z: m.addr(x, y, z, beta=0.5, alpha=2.0),
        n=3,
        shapes="addr",
        inplace="addr_",
        dtypes=NUMERIC[:2],
    ),
    Spec("addr_int", lambda m, x, y, z: m.addr(x, y, z, alpha=2), n=3, shapes="addr", dtypes=NUMERIC, covers=("addr",)),
    Spec("addbmm", lambda m, x, y, z: m.addbmm(x, y, z, beta=0.5, alpha=2.0), n=3, shapes="addbmm"),
    # selection
    Spec("gather", lambda m, x: m.gather(x, 0, m.zeros(x.shape, dtype=m.int64)), shapes="min1d", covers=("_gather",)),
    Spec(
        "index_select", lambda m, x: m.index_select(x, 0, m.tensor([0, 0])), shapes="min1d", covers=("_index_select",)
    ),
    # unique indices: torch leaves the result of colliding scatter writes unspecified
    Spec(
        "scatter",
        lambda m, x, y: m.scatter(x, 0, _perm_index(m, y.shape), y),
        n=2,
        shapes="min1d",
        covers=("_scatter",),
    ),
    Spec(
        "scatter_add",
        lambda m, x, y: m.scatter_add(x, 0, m.zeros(y.shape, dtype=m.int64), y),
        n=2,
        shapes="min1d",
        covers=("_scatter_add",),
    ),
    Spec("masked_fill", lambda m, x: m.masked_fill(x, x > 0, 0.5), covers=("masked_fill", "gt"), inplace=None),
    Spec("sort", lambda m, x: m.sort(x, descending=True), covers=("_sort",), shapes="min1d"),
    Spec("argsort", lambda m, x: m.argsort(x), covers=("_sort",), shapes="min1d", grad=False),
    Spec("topk", lambda m, x: m.topk(x.reshape(-1), 1), covers=("_topk", "_view"), shapes="min1d"),
    Spec(
        "sort_tied_rows",  # (a row of more than 16 with ties: torch's std::sort order, replayed)
        lambda m, x: m.sort(x.reshape(-1).repeat(17), descending=True),
        covers=("_sorted_by", "repeat"),
        dtypes=NUMERIC,
        shapes="min1d",
    ),
    Spec("median", lambda m, x: m.median(x), covers=("_median_all",), dtypes=NUMERIC),
    Spec("nanmedian", lambda m, x: m.nanmedian(x), covers=("_median_all",)),
    Spec(
        "median_dim",
        lambda m, x, **k: m.median(x, **k),
        covers=("_median_dim",),
        dtypes=NUMERIC,
        kwargs=lambda s: _dim_kw(s) if s else st.just({"dim": 0}),
    ),
    Spec(
        "nanmedian_dim",
        lambda m, x, **k: m.nanmedian(x, **k),
        covers=("_median_dim",),
        kwargs=lambda s: _dim_kw(s) if s else st.just({"dim": 0}),
    ),
    Spec(
        "kthvalue",
        lambda m, x, **k: m.kthvalue(x, **k),
        covers=("_selected",),
        dtypes=NUMERIC,
        shapes="min1d",
        kwargs=lambda s: st.integers(-len(s), len(s) - 1).flatmap(
            lambda d: st.fixed_dictionaries(
                {"k": st.integers(1, max(s[d], 1)), "dim": st.just(d), "keepdim": st.booleans()}
            )
        ),
    ),
    Spec("mode", lambda m, x, **k: m.mode(x, **k), covers=("_selected",), dtypes=NUMERIC, kwargs=_dim_kw),
    Spec("isnan", lambda m, x: m.isnan(m.log(x)), covers=("isnan", "log"), grad=False),
    Spec("isinf", lambda m, x: m.isinf(1 / x), covers=("isinf", "div"), grad=False),
    Spec("isfinite", lambda m, x: m.isfinite(m.log(x)), covers=("isfinite", "log"), grad=False),
    Spec("nan_to_num", lambda m, x: m.nan_to_num(m.log(x)), covers=("nan_to_num", "log")),
    Spec("lerp", lambda m, x, y, z: m.lerp(x, y, z), n=3, shapes="same"),
    Spec("addcmul", lambda m, x, y, z: m.addcmul(x, y, z, value=0.5), n=3, shapes="same"),
    Spec("addcdiv", lambda m, x, y, z: m.addcdiv(x, y, z, value=0.5), n=3, shapes="same", domain=(0.5, 3.0)),
    Spec("atan2", lambda m, x, y: m.atan2(x, y), n=2, shapes="broadcast", domain=(0.5, 3.0)),
    Spec("norm", lambda m, x: m.norm(x), covers=("_vector_norm",)),
    Spec("norm_dim", lambda m, x: m.norm(x, dim=0), covers=("_vector_norm",), shapes="min1d"),
    Spec("einsum", lambda m, x, y: m.einsum("ij,jk->ik", x, y), n=2, shapes="mm", covers=("bmm",)),
    Spec(
        "bilinear",
        lambda m, x, y, w, b: m.nn.functional.bilinear(x, y, w, b),
        n=4,
        shapes="bilinear",
        covers=("_trilinear",),
    ),
]


def _perm_index(m, shape):
    n = shape[0]
    return m.arange(n - 1, -1, -1).reshape((n,) + (1,) * (len(shape) - 1)).expand(*shape).clone()


def _setitem(x):
    y = x * 1
    y[0] = y[0].sum() if y.dim() > 1 else 7.0
    return y


def shapes_for(kind, n):
    """Strategy of a list of n shapes for a spec's shape kind."""
    pool = st.sampled_from(SHAPES)
    if kind == "same":
        return pool.map(lambda s: [s] * n)
    if kind == "min1d":
        return st.sampled_from([s for s in SHAPES if s]).map(lambda s: [s] * n)
    if kind == "min2d":
        return st.sampled_from([s for s in SHAPES if len(s) >= 2]).map(lambda s: [s] * n)
    if kind == "max2d":
        return st.sampled_from([s for s in SHAPES if len(s) <= 2]).map(lambda s: [s] * n)
    if kind == "broadcast":
        return pool.flatmap(
            lambda s: st.lists(_broadcast_variant(s), min_size=n - 1, max_size=n - 1).map(lambda rest: [s, *rest])
        )
    if kind == "cat":
        return st.sampled_from([((3,), (2,)), ((2, 3), (1, 3)), ((1, 2), (2, 2))]).map(list)
    fixed = {
        "matmul": [
            ((3,), (3,)),
            ((2, 3), (3,)),
            ((3,), (3, 2)),
            ((2, 3), (3, 2)),
            ((2, 2, 3), (3, 2)),
            ((2, 2, 3), (2, 3, 2)),
            ((2, 3), (2, 3, 1)),
        ],
        "mm": [((2, 3), (3, 2)), ((1, 3), (3, 1))],
        "bmm": [((2, 2, 3), (2, 3, 2))],
        "dot": [((3,), (3,))],
        "mv": [((2, 3), (3,))],
        "addmm": [((2, 2), (2, 3), (3, 2)), ((2,), (1, 3), (3, 2))],
        "addmv": [((2,), (2, 3), (3,)), ((1,), (2, 3), (3,)), ((), (1, 3), (3,))],
        "addr": [((2, 3), (2,), (3,)), ((3,), (2,), (3,)), ((1, 1), (1,), (2,))],
        "addbmm": [((2, 2), (3, 2, 3), (3, 3, 2)), ((2,), (1, 1, 3), (1, 3, 2))],
        "bilinear": [((2, 3), (2, 4), (5, 3, 4), (5,)), ((3,), (2,), (2, 3, 2), (2,))],
    }[kind]
    return st.sampled_from(fixed).map(list)


def _broadcast_variant(shape):
    """A shape that broadcasts with `shape`: a suffix of it with some dims set to 1."""
    return st.integers(0, len(shape)).flatmap(
        lambda k: st.lists(st.booleans(), min_size=k, max_size=k).map(
            lambda ones: tuple(1 if o else d for o, d in zip(ones, shape[len(shape) - k :]))
        )
    )


def _merge_area_specs():
    from .op_specs_linalg import SPECS_LINALG
    from .op_specs_misc import SPECS_MISC
    from .op_specs_scatter import SPECS_SCATTER
    from .op_specs_special import SPECS_SPECIAL

    SPECS.extend(SPECS_LINALG + SPECS_MISC + SPECS_SCATTER + SPECS_SPECIAL)


_merge_area_specs()
