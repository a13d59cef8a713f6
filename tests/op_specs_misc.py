"""Differential specs for torchish/ops/misc.py (merged into op_specs.SPECS)."""

from __future__ import annotations

from hypothesis import strategies as st

from .op_specs import NUMERIC, Spec

POS = (0.1, 3.0)
UNIT = (0.05, 0.95)


def _idx(m, n, k=2):
    return m.tensor([(i * 2 + 1) % n for i in range(k)]) if n else m.tensor([], dtype=m.int64)


def _rows(m, x):
    x = x.reshape(2, -1) if x.numel() % 2 == 0 else x.reshape(1, -1)
    return x + m.arange(x.numel()).view(x.shape) * 0.37


def _dim0(shape):
    return st.fixed_dictionaries({"dim": st.integers(-len(shape), len(shape) - 1)}) if shape else st.just({"dim": 0})


SPECS_MISC = [
    Spec("isclose", lambda m, x, y: m.isclose(x, y, atol=0.5), n=2, shapes="broadcast", dtypes=NUMERIC, grad=False),
    Spec("allclose", lambda m, x, y: m.tensor(m.allclose(x, y)), n=2, covers=("isclose",), grad=False),
    Spec("equal", lambda m, x: m.tensor([m.equal(x, x), m.equal(x, x + 1)]), dtypes=NUMERIC, grad=False),
    Spec("movedim", lambda m, x: m.movedim(x, 0, -1), shapes="min1d", covers=("_permute",)),
    Spec("moveaxis", lambda m, x: x.moveaxis((0, -1), (-1, 0)), shapes="min2d", covers=("_permute",)),
    Spec("tile", lambda m, x: m.tile(x, (2, 1)), covers=("_repeat",), dtypes=NUMERIC),
    Spec("repeat_interleave", lambda m, x: m.repeat_interleave(x, 2), covers=("_view", "clone", "_expand")),
    Spec(
        "repeat_interleave_dim",
        lambda m, x, **k: x.repeat_interleave(2, **k),
        kwargs=_dim0,
        shapes="min1d",
        covers=("_view", "clone", "_expand"),
    ),
    Spec(
        "repeat_interleave_tensor",
        lambda m, x: m.repeat_interleave(x, m.arange(x.shape[0]) % 3, dim=0),
        shapes="min1d",
        covers=("_index_select",),
    ),
    Spec("meshgrid", lambda m, x, y: m.meshgrid(x.flatten(), y.flatten(), indexing="ij"), n=2, covers=("_expand",)),
    Spec("meshgrid_xy", lambda m, x, y: m.meshgrid(x.flatten(), y.flatten(), indexing="xy"), n=2, covers=("_expand",)),
    Spec("rot90", lambda m, x: m.rot90(x, 1, (0, -1)), shapes="min2d", dtypes=NUMERIC),
    Spec("rot90_k", lambda m, x: x.rot90(-3, [1, 0]), covers=("rot90",), shapes="min2d"),
    Spec("rot90_err", lambda m, x: m.rot90(x), covers=("rot90",), shapes="max2d", grad=False),
    Spec("take", lambda m, x: m.take(x, m.tensor([0, -1, 0])), dtypes=NUMERIC),
    Spec("take_err", lambda m, x: m.take(x, m.tensor([7])), covers=("take",), grad=False),
    Spec(
        "take_along_dim",
        lambda m, x: m.take_along_dim(x, m.argsort(x, dim=0), dim=0),
        shapes="min1d",
        covers=("_gather", "_sort"),
    ),
    Spec("take_along_dim_flat", lambda m, x: m.take_along_dim(x, m.tensor([0, 0])), covers=("_gather", "_view")),
    Spec(
        "index_add",
        lambda m, x, y: m.index_add(x, 0, _idx(m, x.shape[0], y.shape[0]), y, alpha=2),
        n=2,
        shapes="min1d",
        covers=("_index_add",),
    ),
    Spec(
        "index_add_",
        lambda m, x, y: (x * 1).index_add_(0, m.tensor([0] * y.shape[0]), y),
        n=2,
        shapes="min1d",
        covers=("_index_add", "mul"),
    ),
    Spec(
        "index_copy",
        lambda m, x, y: m.index_copy(x, 0, m.arange(y.shape[0] - 1, -1, -1), y),
        n=2,
        shapes="min1d",
        covers=("_index_copy",),
    ),
    Spec(
        "index_copy_",
        lambda m, x, y: (x * 1).index_copy_(0, m.arange(y.shape[0]), y),
        n=2,
        shapes="min1d",
        covers=("_index_copy", "mul"),
    ),
    Spec("index_fill", lambda m, x: m.index_fill(x, -1, m.tensor([0]), 2.5), shapes="min1d", covers=("_index_fill",)),
    Spec(
        "index_fill_",
        lambda m, x: (x * 1).index_fill_(0, m.tensor([0, 0]), -1.0),
        shapes="min1d",
        covers=("_index_fill", "mul"),
    ),
    Spec("tensor_split", lambda m, x: m.tensor_split(x, 2), shapes="min1d", covers=("_slice",)),
    Spec("tensor_split_idx", lambda m, x: x.tensor_split([1, -1, 5], dim=-1), shapes="min1d", covers=("_slice",)),
    Spec("hypot", lambda m, x, y: m.hypot(x, y), n=2, shapes="broadcast", domain=POS, inplace="hypot_"),
    Spec("logaddexp", lambda m, x, y: m.logaddexp(x, y), n=2, shapes="broadcast"),
    Spec("logaddexp2", lambda m, x, y: m.logaddexp2(x, y), n=2, shapes="broadcast"),
    Spec("xlogy", lambda m, x, y: m.xlogy(x, y), n=2, shapes="broadcast", domain=POS, inplace="xlogy_"),
    Spec("xlogy_scalar", lambda m, y: m.xlogy(2.0, y), domain=POS, covers=("xlogy",)),
    Spec("xlogy_int", lambda m, x, y: m.xlogy(x, y), n=2, dtypes=("int64",), grad=False, int_domain=(0, 4),
         covers=("xlogy",)),
    Spec(
        "copysign", lambda m, x, y: m.copysign(x, y), n=2, shapes="broadcast", dtypes=NUMERIC, inplace="copysign_",
        # torch's float32 second derivative, g / x - g * r / (x * x) with r = x, cancels to 0; JAX's derivative of
        # the division rounds r / x / x and keeps one ulp of terms ~1/x (test_ops_composites checks float64)
        gradgrad=False,
    ),
    Spec("heaviside", lambda m, x, y: m.heaviside(x, y), n=2, shapes="broadcast", dtypes=NUMERIC, grad=False,
         int_domain=(-1, 2)),
    Spec("signbit", lambda m, x: m.signbit(x), dtypes=NUMERIC, grad=False),
    # second order for tiny x rounds differently from torch's graph (catastrophic cancellation)
    # (float32 second derivatives: torch's formula takes sin and cos from its vectorized kernels, which are not
# correctly rounded, and cancels them near 0: test_ops_composites checks float64)
    Spec("sinc", lambda m, x: m.sinc(x), inplace="sinc_", gradgrad=False),
    Spec("erfinv", lambda m, x: m.erfinv(x), domain=(-0.9, 0.9), inplace="erfinv_"),
    Spec("lgamma", lambda m, x: m.lgamma(x), domain=POS, inplace="lgamma_"),
    Spec("digamma", lambda m, x: m.digamma(x), domain=POS, inplace="digamma_"),
    Spec("special_int", lambda m, x: m.lgamma(x), dtypes=("int64",), int_domain=(1, 6), grad=False,
         covers=("lgamma",)),
    Spec("logit", lambda m, x: m.logit(x), domain=UNIT, inplace="logit_"),
    Spec("logit_eps", lambda m, x: m.logit(x, eps=0.2), domain=(0.01, 0.99), covers=("logit",)),
    Spec("cummax", lambda m, x, **k: m.cummax(x, **k), kwargs=_dim0, covers=("_cummax",)),
    Spec("cummin", lambda m, x, **k: x.cummin(**k), kwargs=_dim0, covers=("_cummin",), dtypes=NUMERIC),
    Spec("cummax_ties", lambda m, x: m.cummax(x, 0), shapes="min1d", dtypes=("int64",), int_domain=(0, 2),
         covers=("_cummax",), grad=False),
    Spec("logcumsumexp", lambda m, x, **k: m.logcumsumexp(x, **k), kwargs=_dim0),
    Spec("count_nonzero", lambda m, x: m.count_nonzero(x), dtypes=NUMERIC, grad=False, int_domain=(0, 2)),
    Spec("count_nonzero_dim", lambda m, x, **k: x.count_nonzero(**k), kwargs=_dim0, shapes="min1d", dtypes=NUMERIC,
         grad=False, int_domain=(0, 2), covers=("count_nonzero",)),
    Spec("narrow_copy", lambda m, x: m.narrow_copy(x, -1, 0, 1), shapes="min1d", dtypes=NUMERIC),
    Spec("narrow_copy_err", lambda m, x: m.narrow_copy(x, 0, 1, 5), shapes="min1d", covers=("narrow_copy",)),
    Spec("diff", lambda m, x: m.diff(x), shapes="min1d", dtypes=NUMERIC, covers=("sub", "_slice")),
    Spec("diff_n", lambda m, x: x.diff(2, dim=0, prepend=x[:1]), shapes="min1d", covers=("sub", "_slice", "cat")),
    Spec("fliplr", lambda m, x: m.fliplr(x), shapes="min2d", covers=("_flip",)),
    Spec("flipud", lambda m, x: x.flipud(), shapes="min1d", covers=("_flip",)),
    Spec("fliplr_err", lambda m, x: m.fliplr(x), shapes="max2d", covers=("_flip",), grad=False),
    Spec("trapezoid", lambda m, y, **k: m.trapezoid(y, **k), kwargs=_dim0, shapes="min1d", dtypes=NUMERIC,
         covers=("_mul_scalar", "sub", "sum", "select", "add")),
    Spec("trapezoid_dx", lambda m, y: y.trapz(dx=0.5, dim=0), shapes="min1d",
         covers=("_mul_scalar", "sub", "sum", "select", "add")),
    Spec("trapezoid_x", lambda m, y, x: m.trapezoid(y, x, dim=0), n=2, shapes="min1d",
         covers=("_div_scalar", "mul", "sum", "narrow", "sub", "add")),
    Spec("cumulative_trapezoid", lambda m, y, **k: m.cumulative_trapezoid(y, **k), kwargs=_dim0, shapes="min1d",
         dtypes=NUMERIC, covers=("_mul_scalar", "cumsum", "narrow", "add")),
    Spec("cumulative_trapezoid_x", lambda m, y, x: m.cumulative_trapezoid(y, x, dim=-1), n=2, shapes="min1d",
         covers=("_div_scalar", "cumsum", "mul", "narrow", "sub", "add")),
    Spec("cov", lambda m, x: m.cov(x), shapes="max2d", covers=("_view", "sum", "div", "sub", "unsqueeze", "mm", "t",
                                                             "squeeze")),
    Spec("cov_correction", lambda m, x: x.cov(correction=0), shapes="min1d", dtypes=NUMERIC, covers=("mm",)),
    # rows of at least two distinct observations (a constant row's coefficients are NaN)
    Spec("corrcoef", lambda m, x: m.corrcoef(_rows(m, x)), shapes="min2d",
         covers=("sqrt", "diagonal", "clamp", "div", "add", "_view", "_unsafe_view")),
    # eager, data-dependent results
    Spec("searchsorted", lambda m, x, y: m.searchsorted(m.sort(x.flatten())[0], y), n=2, grad=False,
         covers=("_sort", "_view"), dtypes=NUMERIC, int_domain=(0, 4)),
    Spec("searchsorted_right", lambda m, x, y: m.searchsorted(m.sort(x.flatten())[0], y, right=True, out_int32=True),
         n=2, grad=False, covers=("_sort", "_view"), dtypes=NUMERIC, int_domain=(0, 4)),
    Spec("bucketize", lambda m, x, y: m.bucketize(y, m.sort(x.flatten())[0], right=True), n=2, grad=False,
         covers=("_sort", "_view"), dtypes=NUMERIC, int_domain=(0, 4)),
    Spec("bincount", lambda m, x: m.bincount(x.flatten(), minlength=3), dtypes=("int64",), int_domain=(0, 5),
         grad=False, covers=("_view",)),
    Spec("bincount_w", lambda m, x: m.bincount(x.flatten(), x.flatten().float()), dtypes=("int64",),
         int_domain=(0, 5), grad=False, covers=("_view", "_to_copy")),
    Spec("unique", lambda m, x: m.unique(x, return_inverse=True, return_counts=True), dtypes=NUMERIC,
         int_domain=(0, 3), grad=False),
    Spec("unique_dim", lambda m, x: x.unique(dim=0, return_inverse=True), shapes="min1d", dtypes=("int64",),
         int_domain=(0, 2), grad=False),
    Spec("histc", lambda m, x: m.histc(x, bins=4), grad=False),
    Spec("histc_range", lambda m, x: x.histc(5, -1, 1), grad=False),
]  # fmt: skip
