"""torch.linalg on the op table (ops/decomp.py, ops/linalg_extra.py) and torch's compositions of it."""

from __future__ import annotations

import math

import jax.numpy as jnp

from . import _dtype as D
from ._return_types import return_type
from ._tensor import Tensor, _wrap_dim
from .autograd import grad_mode as _gm
from .ops import _out
from .ops import decomp as _d
from .ops import linalg_extra as _x
from .ops._argparse import parsed
from .ops._registry import _type_word
from .ops.linalg import matmul
from .ops.linalg_extra import (  # noqa: F401
    LinAlgError,
    cholesky_ex,
    householder_product,
    inv_ex,
    lstsq,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
    matrix_exp,
    solve_ex,
    solve_triangular,
    vecdot,
)
from .ops.selection import check_norm_dtype, vector_norm

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
    "LinAlgError",
    "cholesky_ex",
    "cond",
    "householder_product",
    "inv_ex",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_factor_ex",
    "lu_solve",
    "matrix_exp",
    "matrix_rank",
    "solve_ex",
    "solve_triangular",
    "tensorinv",
    "tensorsolve",
    "vander",
    "vecdot",
]

# torch returns named tuples from its decompositions
_Slogdet = return_type("linalg_slogdet", ("sign", "logabsdet"))
_QR = return_type("linalg_qr", ("Q", "R"))
_SVD = return_type("linalg_svd", ("U", "S", "Vh"))
_Eigh = return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))

matrix_power = _d.matrix_power


def det(A: Tensor, *, out: Tensor | None = None) -> Tensor:
    if out is None:
        return _d.det(A)
    _out.check_out_grad("_linalg_det", (A,), (out,))
    return _out.exact_out("linalg_det", out, _d.det(A))


def slogdet(A):
    return _Slogdet(*_d._slogdet(A))


def inv(A, *, out=None):
    result = _d.inverse(A, out=out)
    _x._raise_if_failed(A, result, "linalg.inv", "inv")
    return result


def solve(A, B, *, left=True, out=None):
    result = _d._linalg_solve(A, B, left=left, out=out)
    _x._raise_if_failed(A, result, "torch.linalg.solve", "solve")
    return result


def cholesky(A, *, upper=False, out=None):
    result = _d._linalg_cholesky(A, upper=upper, out=out)
    _x._raise_if_failed(A, result, "linalg.cholesky", "cholesky")
    return result


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


_NORM_TAIL = "bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None"


@parsed(
    f"Tensor input, Number ord, tuple of ints dim = {{-2,-1}}, {_NORM_TAIL}",
    f'Tensor input, str ord = "fro", tuple of ints dim = {{-2,-1}}, {_NORM_TAIL}',
    name="linalg_matrix_norm",
)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if out is None:
        return _matrix_norm(A, ord, dim, keepdim, dtype)
    _out.check_out_grad("linalg_matrix_norm", (A,), (out,))
    return _out.exact_out("linalg_matrix_norm", out, _matrix_norm(A, ord, dim, keepdim, dtype))


def _matrix_norm(A, ord, dim, keepdim, dtype):
    """torch composes the matrix norms from vector norms, sums and extrema; so its grad_fn names. dtype: the
    vector norms take it, the SVD's input is cast to it."""
    d0, d1 = _matrix_norm_checks(A, ord, dim)
    check_norm_dtype("linalg.matrix_norm", A.dtype, dtype)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if ord in ("nuc", 2, -2):
        s = svdvals((A if dtype is None else A.to(dtype)).movedim((d0, d1), (-2, -1)))
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
        s = vector_norm(A, 1, (d0,), keepdim, dtype=dtype)  # (torch 2.13: a 1-norm of the columns, then their extremum)
        return s.amax(d1, keepdim=keepdim) if ord > 0 else s.amin(d1, keepdim=keepdim)


def _matrix_norm_checks(A, ord, dim) -> tuple[int, int]:
    """torch's order: ord, then A (a matrix, of a floating dtype; a half one only for the norms that need no
    SVD), then dim (two distinct dims); the two dims wrapped."""
    if ord not in ("fro", "nuc") and (isinstance(ord, str) or abs(ord) not in (1, 2, float("inf"))):
        raise RuntimeError(
            f"linalg.matrix_norm: Order {ord if isinstance(ord, str) else format(ord, 'g')} not supported."
        )
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(
            f"linalg.matrix_norm: Expected a floating point or complex tensor as input. Got {_type_word(A.dtype)}"
        )
    if ord in ("nuc", 2, -2) and A.dtype in (D.float16, D.bfloat16):
        raise RuntimeError(f"linalg.matrix_norm: Low precision dtypes not supported. Got {_type_word(A.dtype)}")
    if len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
    d0, d1 = (_wrap_dim(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})")
    return d0, d1


@parsed(
    f"Tensor input, Number ord = None, tuple of ints[1] dim = None, {_NORM_TAIL}",
    f"Tensor input, str ord, tuple of ints[1] dim = None, {_NORM_TAIL}",
    name="linalg_norm",
)
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    """ATen's linalg_norm: a str ord is a matrix norm; a number one a matrix norm over two dims (of a matrix, by
    default), else a vector norm; no ord, the 2-norm of the flattened input (a matrix's Frobenius norm)."""
    dim = (dim,) if isinstance(dim, int) else dim
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if dim is None and ord is not None and A.dim() not in (1, 2):
        raise RuntimeError(
            f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.dim()}D."
        )
    if isinstance(ord, str) or ord is not None and (dim is not None and len(dim) == 2 or dim is None and A.dim() == 2):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype, out=out)
    return vector_norm(A, 2.0 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


# torch's compositions of the table ops (torchish/ops/linalg_extra.py)


def _tensor_of(x, like_dtype):

    if isinstance(x, Tensor):
        return x
    return Tensor._make(jnp.asarray(x, D._jnp_dtype(like_dtype)))


def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """ATen's matrix_rank_impl: singular values (or |eigenvalues|) above max(atol, rtol * max)."""

    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    eps = _x._eps(A.dtype)
    if tol is not None:
        atol, rtol = tol, 0.0
    if rtol is None:
        default = eps * max(A.shape[-2:])
        if atol is None:
            rtol = default
        elif isinstance(atol, Tensor):
            rtol = Tensor._make(jnp.where(atol._value > 0, 0.0, default))
        else:
            rtol = 0.0 if atol > 0 else default
    atol = _tensor_of(0.0 if atol is None else atol, D.float64)
    rtol = _tensor_of(rtol, D.float64)
    if A.numel() == 0:
        return Tensor._make(jnp.zeros(A.shape[:-2], jnp.int64))
    with _gm.no_grad():
        if hermitian:
            s = _d._linalg_eigvalsh(A).abs()
            top = s.amax(-1, keepdim=True)
        else:
            s = _d._linalg_svdvals(A)
            top = s.narrow(-1, 0, 1)
        from .ops.pointwise import maximum

        limit = maximum(atol.unsqueeze(-1), rtol.unsqueeze(-1) * top)
        return (s > limit).sum(-1)


def _ord_text(ord) -> str:
    """C++'s std::to_string of the order (a Python float is a double: '1.000000'; an int or inf as is)."""
    if isinstance(ord, float) and ord not in (float("inf"), float("-inf")):
        return f"{ord:.6f}"
    if isinstance(ord, float):
        return "inf" if ord > 0 else "-inf"
    return str(ord)


def cond(A, p=None, *, out=None):
    """ATen's linalg_cond: svdvals for 2 / -2, else matrix norms of A and of its inverse (inf where singular)."""

    if isinstance(p, str):
        _d._square(f"linalg.cond(ord={p})")((A,), {})
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
        if A.numel() == 0:
            return Tensor._make(jnp.zeros(A.shape[:-2], D._jnp_dtype(A.dtype)))
        if p == "nuc":
            s = svdvals(A)
            return s.sum(-1) * s.reciprocal().sum(-1)
        return _cond_helper(A, p)
    if A.dim() < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    ord = 2 if p is None else p
    if abs(float(ord)) not in (1.0, 2.0, float("inf")):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {float(ord):g}")
    if A.numel() == 0:
        return Tensor._make(jnp.zeros(A.shape[:-2], D._jnp_dtype(A.dtype)))
    if abs(float(ord)) == 2.0:
        s = svdvals(A)
        top, bottom = s.narrow(-1, 0, 1), s.narrow(-1, -1, 1)
        return (bottom / top if ord == -2 else top / bottom).squeeze(-1)
    _d._square(f"linalg.cond(ord={_ord_text(ord)})")((A,), {})
    return _cond_helper(A, ord)


def _cond_helper(A, ord):

    inverse, info = _x._inv_ex(A)
    inverse.masked_fill_(info.unsqueeze(-1).unsqueeze(-1) > 0, float("inf"))
    result = matrix_norm(A, ord) * matrix_norm(inverse, ord)
    return result.nan_to_num_(float("inf"), float("inf"), float("-inf"))


def tensorinv(A, ind=2, *, out=None):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    end, start = tuple(A.shape[ind:]), tuple(A.shape[:ind])
    p, q = math.prod(end), math.prod(start)
    if p != q:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[ind:]) == prod(self.shape[:ind]), but got "
            f"{p} != {q}"
        )
    result, info = _x._inv_ex(A.reshape(p, p))
    _x._check_errors(info, "inv", "inv")
    return result.reshape(end + start)


def tensorsolve(A, B, dims=None, *, out=None):

    n = A.dim()
    a = A
    if dims is not None:
        dims = list(dims)
        a = a.movedim(dims, list(range(n - len(dims), n)))
    shape = tuple(a.shape[B.dim() :])
    p, q = math.prod(shape), math.prod(B.shape)
    if p != q:
        raise RuntimeError(
            "Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), "
            f"but got {p} != {q}"
        )
    return solve(a.reshape(p, p), B.flatten()).reshape(shape)


def _int64():

    return D.int64


def vander(x, *, N=None):
    """ATen's linalg_vander: a column of ones, then the cumulative products of x repeated N - 1 times."""
    from .ops.shape import cat

    name = x.dtype._name
    if not (name in ("float32", "float64", "complex64", "complex128") or name.startswith(("int", "uint"))):
        raise RuntimeError(
            f"linalg.vander supports floating point, complex, and integer tensors, but got {_x.R._type_word(x.dtype)}"
        )
    x_ = x.unsqueeze(-1) if x.dim() == 0 else x
    shape = list(x_.shape)
    n = shape[-1] if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        x_ = x_.to(_int64())  # (torch's cumprod of integers accumulates in int64; integers have no history)
    result = x_.unsqueeze(-1).expand(*shape, n - 1).cumprod(-1)
    return cat([result.new_ones((*shape, 1)), result], -1)
