"""Specs of the gathers and scatters (torchish/ops/scatters.py): colliding indices on purpose, since torch's
gradients give every src element written to one place that place's gradient."""

from __future__ import annotations

from .op_specs import FLOATS, NUMERIC, Spec


def _to_row0(m, shape):
    return m.zeros(shape, dtype=m.int64)


def _alternating(m, shape):
    """0, 1, 0, 1, ... down dim 0, clipped to the rows there are: collisions and distinct targets both."""
    n = shape[0]
    rows = m.arange(n).remainder(2).clamp(max=max(n - 1, 0))
    return rows.reshape((n,) + (1,) * (len(shape) - 1)).expand(*shape).contiguous()


def _reduce_spec(reduce, include_self, dtypes=FLOATS):
    return Spec(
        f"scatter_reduce_{reduce}{'' if include_self else '_excl'}",
        lambda m, x, y: m.scatter_reduce(x, 0, _alternating(m, y.shape), y, reduce, include_self=include_self),
        n=2,
        shapes="min1d",
        dtypes=dtypes,
        domain=(0.5, 2.0) if reduce == "prod" else (-3.0, 3.0),
        covers=("_scatter_reduce",),
    )


SPECS_SCATTER = [
    *[_reduce_spec(r, inc) for r in ("sum", "prod", "mean", "amax", "amin") for inc in (True, False)],
    _reduce_spec("mean", True, NUMERIC),
    Spec(
        "scatter_reduce_",
        lambda m, x, y: (x * 1).scatter_reduce_(0, _to_row0(m, y.shape), y, "amax"),
        n=2,
        shapes="min1d",
        covers=("_scatter_reduce", "mul"),
    ),
    Spec(
        "scatter_colliding",
        lambda m, x, y: m.scatter(x, 0, _alternating(m, y.shape), y),
        n=2,
        shapes="min1d",
        covers=("_scatter",),
    ),
    Spec(
        "scatter_value",
        lambda m, x: m.scatter(x, 0, _alternating(m, x.shape), 2.5),
        shapes="min1d",
        covers=("_scatter_value",),
    ),  # fmt: skip
    Spec(
        "slice_scatter_out",
        lambda m, x, y: m.slice_scatter(x, y[1:], 0, 1, out=m.empty(0, dtype=x.dtype)),
        n=2,
        shapes="min1d",
        grad=False,
        covers=("_out_without_derivative",),
    ),
    Spec(
        "scatter_legacy_reduce",
        lambda m, x, y: x.scatter(0, _alternating(m, y.shape), y, reduce="multiply"),
        n=2,
        shapes="min1d",
        grad=False,
        dtypes=NUMERIC,
        covers=("_scatter_legacy",),
    ),
    Spec(
        "masked_scatter",
        lambda m, x, y: m.masked_scatter(x, x > 0, y),
        n=2,
        covers=("masked_scatter", "gt"),
    ),
    Spec("masked_scatter_", lambda m, x, y: (x * 1).masked_scatter_(x > 0, y), n=2, covers=("masked_scatter", "mul")),
    Spec("masked_select", lambda m, x: m.masked_select(x, x > 0), covers=("_masked_select", "gt")),
    Spec(
        "masked_select_broadcast",
        lambda m, x, y: x[..., :1].masked_select(y > 0),
        n=2,
        shapes="min1d",
        covers=("_masked_select", "gt"),
    ),
    Spec(
        "masked_scatter_broadcast",
        lambda m, x, y: m.masked_scatter(x[..., :1], y > 0, y),
        n=2,
        shapes="min1d",
        covers=("masked_scatter", "gt"),
    ),  # fmt: skip
    Spec(
        "slice_scatter", lambda m, x, y: m.slice_scatter(x, y[1:], 0, 1), n=2, shapes="min1d", covers=("_view_scatter",)
    ),  # fmt: skip
    Spec(
        "slice_scatter_step",
        lambda m, x, y: m.slice_scatter(x, y[::2], step=2),
        n=2,
        shapes="min1d",
        covers=("_view_scatter",),
    ),  # fmt: skip
    Spec(
        "select_scatter",
        lambda m, x, y: m.select_scatter(x, y[-1], 0, -1),
        n=2,
        shapes="min1d",
        covers=("_view_scatter",),
    ),  # fmt: skip
    Spec(
        "diagonal_scatter",
        lambda m, x, y: m.diagonal_scatter(x, m.diagonal(y, -1), -1),
        n=2,
        shapes="min2d",
        covers=("_view_scatter",),
    ),  # fmt: skip
    Spec(
        "index_put_accumulate",
        lambda m, x, y: m.index_put(x, (m.tensor([0, 0, -1]),), y[0], accumulate=True),
        n=2,
        shapes="min1d",
        covers=("_index_put",),
    ),
    Spec(
        "index_put_",
        lambda m, x, y: (x * 1).index_put_((m.tensor([-1]),), y[0]),
        n=2,
        shapes="min1d",
        covers=("_index_put", "mul"),
    ),
    Spec(
        "fill_diagonal_",
        lambda m, x: (x * 1).reshape(x.shape[0], -1).fill_diagonal_(2.5, wrap=True),
        shapes="min1d",
        covers=("mul",),
    ),  # fmt: skip
]
SPECS_SCATTER.append(
    Spec(
        "unique_consecutive",
        lambda m, x: m.unique_consecutive(x.round()),
        grad=False,
        dtypes=NUMERIC,
        covers=("_unique_consecutive", "round"),
    )  # fmt: skip
)
SPECS_SCATTER += [
    Spec(
        "put",
        lambda m, x, y: m.put(x, m.tensor([0, -1, 0]), y.reshape(-1)[:1].expand(3).contiguous()),
        n=2,
        covers=("put",),
    ),  # fmt: skip
    Spec(
        "put_accumulate",
        lambda m, x, y: x.put(m.tensor([0, 0]), y.reshape(-1)[:1].repeat(2), accumulate=True),
        n=2,
        covers=("put",),
    ),  # fmt: skip
    Spec("put_", lambda m, x, y: (x * 1).put_(m.tensor([-1]), y.reshape(-1)[:1]), n=2, covers=("put", "mul")),
    *[
        Spec(
            f"index_reduce_{r}{'' if inc else '_excl'}",
            lambda m, x, y, r=r, inc=inc: x.index_reduce(0, _alternating(m, (y.shape[0],)), y, r, include_self=inc),
            n=2,
            shapes="min1d",
            domain=(0.5, 2.0) if r == "prod" else (-3.0, 3.0),
            covers=("_index_reduce",),
        )
        for r in ("prod", "mean", "amax", "amin")
        for inc in (True, False)
    ],  # fmt: skip
    Spec(
        "as_strided_scatter",
        lambda m, x, y: m.as_strided_scatter(x, y.reshape(-1)[:1], (1,), (1,), x.numel() - 1),
        n=2,
        covers=("_as_strided_scatter",),
    ),  # fmt: skip
    Spec("renorm", lambda m, x: m.renorm(x, 2, 0, 1.0), shapes="min2d"),
    Spec("renorm_", lambda m, x: (x * 1).renorm_(3, 1, 1.0), shapes="min2d", covers=("renorm", "mul")),
    Spec("renorm_1", lambda m, x: x.renorm(1, -1, 0.5), shapes="min2d", covers=("renorm",)),
    Spec("renorm_inf", lambda m, x: x.renorm(float("inf"), 0, 1.5), shapes="min2d", covers=("renorm",)),
]
