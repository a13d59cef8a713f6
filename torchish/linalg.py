"""torch.linalg on the op table (torchish/ops/decomp.py)."""

from __future__ import annotations

from collections import namedtuple

from ._tensor import Tensor
from .autograd import grad_mode as _gm
from .ops import decomp as _d
from .ops.linalg import matmul
from .ops.selection import vector_norm

__all__ = [
    "inv",
    "det",
    "slogdet",
    "solve",
    "norm",
    "vector_norm",
    "matrix_norm",
    "cholesky",
    "qr",
    "svd",
    "svdvals",
    "eigh",
    "eigvalsh",
    "pinv",
    "matrix_power",
    "cross",
    "multi_dot",
    "matmul",
    "diagonal",
]

# torch returns named tuples from its decompositions
_Slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
_QR = namedtuple("qr", ["Q", "R"])
_SVD = namedtuple("svd", ["U", "S", "Vh"])
_Eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])

inv = _d.inverse
det = _d.det
matrix_power = _d.matrix_power


def slogdet(A):
    return _Slogdet(*_d.slogdet(A))


def solve(A, B, *, left=True):
    return _d._linalg_solve(A, B, left=left)


def cholesky(A, *, upper=False):
    return _d._linalg_cholesky(A, upper=upper)


def qr(A, mode="reduced"):
    return _QR(*_d._linalg_qr(A, mode=mode))


def svd(A, full_matrices=True):
    return _SVD(*_d._linalg_svd(A, full_matrices=full_matrices))


def svdvals(A):
    if _gm.is_grad_enabled() and isinstance(A, Tensor) and A.requires_grad:
        # torch computes the whole reduced SVD then (its backward needs U and Vh): S is output 1 of that node
        return _d._linalg_svd(A, full_matrices=False)[1]
    return _d._linalg_svdvals(A)


def eigh(A, UPLO="L"):
    return _Eigh(*_d._linalg_eigh(A, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    return _d._linalg_eigvalsh(A, UPLO=UPLO)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    if atol is not None:
        raise NotImplementedError("torchish: linalg.pinv(atol=...) is not supported")
    if rtol is None:  # torch's default: the dimension times the dtype's epsilon
        import numpy as np

        rtol = max(A.shape[-2:]) * float(np.finfo(str(A.dtype).split(".")[-1]).eps)
    return _d.pinverse(A, rcond=rtol)


def cross(input, other, *, dim=-1):
    return _d.cross(input, other, dim=dim)


multi_dot = _d.multi_dot


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """torch composes the matrix norms from vector norms, sums and extrema; so its grad_fn names."""
    d0, d1 = (d % A.dim() for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = svdvals(A.movedim((d0, d1), (-2, -1)))
        k = keepdim
        r = s.sum(-1, keepdim=k) if ord == "nuc" else s.amax(-1, keepdim=k) if ord == 2 else s.amin(-1, keepdim=k)
        if keepdim:  # torch: one more unsqueeze, then permute the two dims back into place
            r = r.unsqueeze(-1)
            rest = [i for i in range(A.dim()) if i not in (d0, d1)]
            perm = [0] * A.dim()
            for src, dst in enumerate([*rest, d0, d1]):
                perm[dst] = src
            r = r.permute(*perm)
        return r
    if ord in (1, -1, float("inf"), float("-inf")):
        if ord in (float("inf"), float("-inf")):
            d0, d1 = d1, d0
        if not keepdim and d1 > d0:
            d1 -= 1
        s = A.abs().sum(d0, keepdim=keepdim)
        return s.amax(d1, keepdim=keepdim) if ord > 0 else s.amin(d1, keepdim=keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D."
        )
    if dim is not None and len(dim) == 2 or dim is None and ord is not None and A.dim() == 2:
        if ord is None:
            ord = "fro"
        return matrix_norm(A, ord, dim if dim is not None else (-2, -1), keepdim)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 2. Got {list(dim or [])}")
    if ord is None:
        ord = 2
    return vector_norm(A, ord, dim, keepdim)
