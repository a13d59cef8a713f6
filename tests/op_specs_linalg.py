"""Differential specs for torchish/ops/decomp.py and torchish.linalg (merged into op_specs.SPECS).

Inputs are built from x so that they are well conditioned: a square block plus 20*diag(1..k) has well
separated singular values (x's entries are at most 3), so inverses, determinants and the gradients of
decompositions are stable. Decompositions unique only up to signs are compared through sign-invariant
functions of their factors (reconstructions, singular values, eigenvalues).
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

from .op_specs import Spec


def _sq(m, x):
    """A well-conditioned (batch of) square matrices from x's leading square block."""
    k = min(x.shape[-2:])
    return x[..., :k, :k] + m.diag(m.arange(1, k + 1, dtype=x.dtype) * 20)


def _wide(m, x):
    """x plus a rectangular diagonal: full rank, distinct singular values."""
    r, c = x.shape[-2:]
    return x + m.eye(r, c, dtype=x.dtype) * (m.arange(1, c + 1, dtype=x.dtype) * 20)


def _spd(m, x):
    a = _sq(m, x)
    return a @ a.mT


def _qr_canon(m, x):
    q, r = m.linalg.qr(_wide(m, x))
    s = m.sign(m.diagonal(r, 0, -2, -1))  # QR with a positive diagonal in R is unique
    return q * s.unsqueeze(-2), r * s.unsqueeze(-1)


def _svd_rec(m, x):
    u, s, vh = m.linalg.svd(_wide(m, x), full_matrices=False)
    return (u * s.unsqueeze(-2)) @ vh, s


def _tsvd_rec(m, x):
    u, s, v = m.svd(_wide(m, x))
    return (u * s.unsqueeze(-2)) @ v.mT, s


def _eigh_rec(m, x):
    w, v = m.linalg.eigh(_spd(m, x))
    return (v * w.unsqueeze(-2)) @ v.mT, w


_ORDS = st.sampled_from(["fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf")])

SPECS_LINALG: list = [
    Spec("inverse", lambda m, x: m.inverse(_sq(m, x)), shapes="min2d"),
    Spec("inverse_method", lambda m, x: _sq(m, x).inverse(), shapes="min2d", covers=("inverse",)),
    Spec("linalg_inv", lambda m, x: m.linalg.inv(_sq(m, x)), shapes="min2d", covers=("inverse",)),
    Spec("inverse_nonsquare", lambda m, x: m.inverse(x), shapes="min2d", covers=("inverse",)),
    Spec("det", lambda m, x: m.det(_sq(m, x)), shapes="min2d"),
    Spec("linalg_det", lambda m, x: m.linalg.det(-_sq(m, x)), shapes="min2d", covers=("det",)),
    Spec("det_bad", lambda m, x: m.det(x), covers=("det",)),
    Spec("logdet", lambda m, x: m.logdet(_sq(m, x)), shapes="min2d"),
    Spec("slogdet", lambda m, x: tuple(m.linalg.slogdet(-_sq(m, x))), shapes="min2d", covers=("_slogdet",)),
    Spec("slogdet_t", lambda m, x: m.slogdet(_sq(m, x)), shapes="min2d", covers=("_slogdet",)),
    Spec("trace", lambda m, x: m.trace(x), dtypes=("float32", "float64", "int64", "int32")),
    Spec(
        "diag",
        lambda m, x, **k: m.diag(x, **k),
        shapes="max2d",
        kwargs=lambda s: st.fixed_dictionaries({"diagonal": st.integers(-1, 1)}),
    ),
    Spec(
        "diag_embed",
        lambda m, x, **k: m.diag_embed(x, **k),
        shapes="min1d",
        kwargs=lambda s: st.fixed_dictionaries(
            {"offset": st.integers(-1, 1), "dim1": st.sampled_from([-2, 0]), "dim2": st.just(-1)}
        ),
    ),
    Spec(
        "linalg_solve",
        lambda m, x, y: m.linalg.solve(_sq(m, x), y[..., : min(x.shape[-2:]), :]),
        n=2,
        shapes="min2d",
        covers=("_linalg_solve",),
    ),
    Spec(
        "linalg_solve_vec",
        lambda m, x: m.linalg.solve(_sq(m, x), x[..., 0, : min(x.shape[-2:])]),
        shapes="min2d",
        covers=("_linalg_solve",),
    ),
    Spec(
        "linalg_solve_right",
        lambda m, x, y: m.linalg.solve(_sq(m, x), y[..., :, : min(x.shape[-2:])], left=False),
        n=2,
        shapes="min2d",
        covers=("_linalg_solve",),
    ),
    Spec(
        "linalg_solve_bad",
        lambda m, x, y: m.linalg.solve(_sq(m, x), y.mT),
        n=2,
        shapes="min2d",
        covers=("_linalg_solve",),
    ),
    Spec(
        "linalg_norm",
        lambda m, x, **k: m.linalg.norm(x, **k),
        covers=("_vector_norm",),
        kwargs=lambda s: (
            st.one_of(st.just({}), st.fixed_dictionaries({"ord": st.sampled_from([1, 2])}))
            if len(s) != 2
            else st.just({})
        ),
    ),
    Spec(
        "matrix_norm",
        lambda m, x, **k: m.linalg.matrix_norm(_wide(m, x), **k),
        shapes="min2d",
        covers=("_vector_norm", "_linalg_svdvals"),
        kwargs=lambda s: st.fixed_dictionaries({"ord": _ORDS, "keepdim": st.booleans()}),
    ),
    Spec(
        "linalg_norm_matrix",
        lambda m, x: m.linalg.norm(_wide(m, x), "nuc", dim=(-1, -2)),
        shapes="min2d",
        covers=("_linalg_svdvals",),
    ),
    Spec(
        "vector_norm",
        lambda m, x, **k: m.linalg.vector_norm(x, **k),
        covers=("_vector_norm",),
        # (each of torch's norm_backward branches: a count, 1, 2, the max / min, below 1, between 1 and 2, above)
        kwargs=lambda s: st.fixed_dictionaries(
            {"ord": st.sampled_from([0, 1, 2, 3, 0.5, 1.5, -1, math.inf, -math.inf])},
            optional={"dim": st.integers(-len(s), len(s) - 1) if s else st.none(), "keepdim": st.booleans()},
        ),
    ),
    Spec("linalg_cholesky", lambda m, x: m.linalg.cholesky(_spd(m, x)), shapes="min2d", covers=("_linalg_cholesky",)),
    Spec(
        "linalg_cholesky_upper",
        lambda m, x: m.linalg.cholesky(_spd(m, x), upper=True),
        shapes="min2d",
        covers=("_linalg_cholesky",),
    ),
    Spec("cholesky", lambda m, x: m.cholesky(_spd(m, x)), shapes="min2d"),
    Spec("linalg_qr", _qr_canon, shapes="min2d", covers=("_linalg_qr",)),
    # float32 second derivatives of the SVD differ from torch's by rounding amplified by 1/(s_i^2 - s_j^2)
    Spec("linalg_svd", _svd_rec, shapes="min2d", covers=("_linalg_svd",), gradgrad=False),
    Spec("linalg_svd_f64", _svd_rec, shapes="min2d", covers=("_linalg_svd",), dtypes=("float64",)),
    Spec("svd", _tsvd_rec, shapes="min2d", covers=("_linalg_svd",), gradgrad=False),
    Spec("svdvals", lambda m, x: m.linalg.svdvals(_wide(m, x)), shapes="min2d", covers=("_linalg_svdvals",)),
    # likewise for eigh: float32 second derivatives lose digits in the eigenvalues' large spread
    Spec("linalg_eigh", _eigh_rec, shapes="min2d", covers=("_linalg_eigh",)),
    Spec("linalg_eigh_f64", _eigh_rec, shapes="min2d", covers=("_linalg_eigh",), dtypes=("float64",)),
    Spec("eigvalsh", lambda m, x: m.linalg.eigvalsh(_spd(m, x)), shapes="min2d", covers=("_linalg_eigvalsh",)),
    Spec("linalg_pinv", lambda m, x: m.linalg.pinv(_wide(m, x)), shapes="min2d", covers=("pinverse",)),
    Spec("pinverse", lambda m, x: m.pinverse(_wide(m, x)), shapes="min2d"),
    Spec(
        "matrix_power",
        lambda m, x, **k: m.matrix_power(_sq(m, x) / 20, **k),
        shapes="min2d",
        kwargs=lambda s: st.fixed_dictionaries({"n": st.integers(-2, 7)}),
        covers=("mm", "inverse", "clone", "_copy_from"),
    ),
    Spec(
        "linalg_matrix_power",
        lambda m, x: m.linalg.matrix_power(_sq(m, x) / 20, 2),
        shapes="min2d",
        covers=("mm",),
    ),
    Spec("kron", lambda m, x, y: m.kron(x, y), n=2, shapes="same", covers=("_unsafe_view", "mul")),
    Spec("cross", lambda m, x, y: m.cross(x, y, dim=-1), n=2, shapes="broadcast", covers=("cross",)),
    Spec("linalg_cross", lambda m, x, y: m.linalg.cross(x, y), n=2, shapes="broadcast", covers=("cross",)),
    Spec(
        "tensordot",
        lambda m, x, y: m.tensordot(x, y, dims=([0], [0])),
        n=2,
        shapes="min1d",
        covers=("_permute", "mm", "_view"),
    ),
    Spec(
        "tensordot_int",
        lambda m, x, y: m.tensordot(x, y.mT, dims=1),
        n=2,
        shapes="min2d",
        covers=("_permute", "mm", "_view"),
    ),
    Spec(
        "cdist",
        lambda m, x, y, **k: m.cdist(x, y, **k),
        n=2,
        shapes="min2d",
        # (torch's second derivative raises: its _cdist_backward has none)
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, float("inf")])}),
    ),
    Spec(
        "dist",
        lambda m, x, y, **k: m.dist(x, y, **k),
        n=2,
        shapes="broadcast",
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([1, 2, 3])}),
    ),
    Spec("block_diag", lambda m, x, y: m.block_diag(x, y), n=2, shapes="max2d", covers=("_block_diag",)),
    Spec("baddbmm", lambda m, x, y: m.baddbmm(x[..., :2], x, y, beta=0.5, alpha=2.0), n=2, shapes="bmm"),
    Spec("multi_dot", lambda m, x, y: m.linalg.multi_dot([x, y.mT, x]), n=2, shapes="min2d", covers=("mm", "_view")),
]


# ------------------------------------------------------------------------------------------------ linalg_extra.py


def _rhs(x, y, left=True):
    """y cut to a right-hand side of x's leading square block: k rows (columns for XA = B)."""
    k = min(x.shape[-2:])
    return y[..., :k, :] if left else y[..., :, :k]


def _tall(x):
    return x.mT if x.shape[-2] < x.shape[-1] else x


def _tri_kw(s):
    return st.fixed_dictionaries({"upper": st.booleans(), "left": st.booleans(), "unitriangular": st.booleans()})


def _lu_solve(m, x, y, left=True, adjoint=False):
    lu, piv = m.linalg.lu_factor(_sq(m, x))
    return m.linalg.lu_solve(lu, piv, _rhs(x, y, left), left=left, adjoint=adjoint)


def _householder(m, x):
    a = _tall(x)
    return m.linalg.householder_product(a, a[..., 0, :] / 3)


SPECS_LINALG += [
    Spec("vdot", lambda m, x, y: m.vdot(x, y), n=2, shapes="dot", dtypes=("float32", "float64", "int64")),
    Spec("linalg_vecdot", lambda m, x, y: m.linalg.vecdot(x, y), n=2, shapes="broadcast", covers=("vdot", "mul")),
    Spec("matrix_exp", lambda m, x: m.linalg.matrix_exp(_sq(m, x) / 40), shapes="min2d"),
    Spec("matrix_exp_method", lambda m, x: (x / 4).matrix_exp(), shapes="min2d", covers=("matrix_exp",)),
    Spec(
        "linalg_solve_triangular",
        lambda m, x, y, **k: m.linalg.solve_triangular(_sq(m, x), _rhs(x, y, k["left"]), **k),
        n=2,
        shapes="min2d",
        kwargs=_tri_kw,
    ),
    Spec(
        "triangular_solve",
        lambda m, x, y, **k: tuple(m.triangular_solve(_rhs(x, y), _sq(m, x), **k)),
        n=2,
        shapes="min2d",
        kwargs=lambda s: st.fixed_dictionaries(
            {"upper": st.booleans(), "transpose": st.booleans(), "unitriangular": st.booleans()}
        ),
    ),
    Spec(
        "linalg_lu_factor",
        lambda m, x: tuple(m.linalg.lu_factor(_sq(m, x))),
        shapes="min2d",
        covers=("linalg_lu_factor_ex",),
    ),
    Spec(
        "linalg_lu_factor_rect",
        lambda m, x: tuple(m.linalg.lu_factor_ex(_wide(m, x))),
        shapes="min2d",
        covers=("linalg_lu_factor_ex",),
    ),
    # (P apart: written in place, P fails torch's saved-tensor check, which ours does not see: it is an op of its own)
    Spec("linalg_lu", lambda m, x: tuple(m.linalg.lu(_wide(m, x)))[1:], shapes="min2d"),
    Spec("linalg_lu_square", lambda m, x: tuple(m.linalg.lu(_sq(m, x)))[1:], shapes="min2d", covers=("linalg_lu",)),
    Spec("linalg_lu_P", lambda m, x: m.linalg.lu(_wide(m, x)).P, shapes="min2d", grad=False, covers=("_linalg_lu_p",)),
    Spec(
        "lu_unpack",
        lambda m, x: tuple(m.lu_unpack(*m.linalg.lu_factor(_wide(m, x)))),
        shapes="min2d",
        covers=("lu_unpack", "_lu_unpack_p"),
    ),
    Spec(
        "linalg_lu_solve",
        _lu_solve,
        n=2,
        shapes="min2d",
        kwargs=lambda s: st.fixed_dictionaries({"left": st.booleans(), "adjoint": st.booleans()}),
    ),
    Spec("linalg_inv_ex", lambda m, x: tuple(m.linalg.inv_ex(_sq(m, x))), shapes="min2d"),
    Spec(
        "linalg_solve_ex",
        lambda m, x, y, **k: tuple(m.linalg.solve_ex(_sq(m, x), _rhs(x, y, k["left"]), **k)),
        n=2,
        shapes="min2d",
        kwargs=lambda s: st.fixed_dictionaries({"left": st.booleans()}),
    ),
    Spec("linalg_cholesky_ex", lambda m, x: tuple(m.linalg.cholesky_ex(_spd(m, x))), shapes="min2d"),
    Spec(
        "linalg_cholesky_ex_upper",
        lambda m, x: tuple(m.linalg.cholesky_ex(_spd(m, x), upper=True)),
        shapes="min2d",
        covers=("linalg_cholesky_ex",),
    ),
    Spec(
        "linalg_lstsq",
        lambda m, x, y, **k: tuple(m.linalg.lstsq(_wide(m, _tall(x)), _tall(y), **k)),
        n=2,
        shapes="min2d",
        kwargs=lambda s: st.fixed_dictionaries({"driver": st.sampled_from([None, "gels", "gelsy", "gelsd", "gelss"])}),
    ),
    # (torch's default driver, gelsy, reads uninitialised memory for wide matrices: its results vary from call to call)
    Spec(
        "linalg_lstsq_wide",
        lambda m, x, y: tuple(m.linalg.lstsq(_wide(m, _tall(x).mT), _tall(y).mT, driver="gelsd")),
        n=2,
        shapes="min2d",
        covers=("linalg_lstsq",),
    ),
    Spec("linalg_householder_product", _householder, shapes="min2d"),
    Spec(
        "linalg_cond",
        lambda m, x, **k: m.linalg.cond(_sq(m, x), **k),
        shapes="min2d",
        covers=("_linalg_svdvals",),
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([None, 2, -2, "nuc"])}),
    ),
    Spec(
        "linalg_tensorinv",
        lambda m, x: m.linalg.tensorinv(_sq(m, x)[..., 0, :, :] if x.dim() > 2 else _sq(m, x), 1),
        shapes="min2d",
        covers=("linalg_inv_ex",),
    ),
    # (x + 4: cumprod's gradient through x ** 3 of a tiny x meets XLA's flush of subnormals, README)
    Spec(
        "linalg_vander",
        lambda m, x: m.linalg.vander(x + 4, N=4),
        shapes="min1d",
        covers=("cat",),
        dtypes=("float32", "float64", "int64"),
    ),
]
