"""torch.linalg on the op table (ops/decomp.py, ops/linalg_extra.py) and torch's compositions of it."""

from __future__ import annotations

import math

import jax.numpy as jnp

from . import _dtype as D
from ._return_types import return_type
from ._tensor import Tensor, _wrap_dim
from .autograd import grad_mode as _gm
from .ops import _out, reduction
from .ops import decomp as _d
from .ops import linalg_extra as _x
from .ops._argparse import parsed
from .ops._registry import _C_NAMES, _type_word
from .ops.linalg import matmul
from .ops.linalg_extra import (  # noqa: F401
    LinAlgError,
    cholesky_ex,
    householder_product,
    inv_ex,
    lu,
    lu_factor,
    lu_factor_ex,
    lu_solve,
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


def slogdet(A, *, out=None):
    _out.begin_outs("linalg_slogdet", out, 2, 1, "_linalg_slogdet", (A,))
    result = _Slogdet(*_d._slogdet(A))
    return result if out is None else _out.write_outs("linalg_slogdet", out, result)


# (their out= is their _ex variant's: refused while an argument requires grad in that op's name)


def inv(A, *, out=None):
    if out is not None:
        _out.check_out_grad("linalg_inv_ex", (A,), (out,))
    result = _d.inverse(A, out=out)
    _x._raise_if_failed(A, result, "linalg.inv", "inv")
    return result


def solve(A, B, *, left=True, out=None):
    if out is not None:
        _out.check_out_grad("_linalg_solve_ex", (A, B), (out,))
    result = _d._linalg_solve(A, B, left=left, out=out)
    _x._raise_if_failed(A, result, "torch.linalg.solve", "solve")
    return result


def cholesky(A, *, upper=False, out=None):
    if out is not None:
        _out.check_out_grad("linalg_cholesky_ex", (A,), (out,))
    result = _d._linalg_cholesky(A, upper=upper, out=out)
    _x._raise_if_failed(A, result, "linalg.cholesky", "cholesky")
    return result


def qr(A, mode="reduced", *, out=None):
    _out.begin_outs("linalg_qr", out, 2, 2, "linalg_qr", (A,))
    result = _QR(*_d._linalg_qr(A, mode=mode))
    return result if out is None else _out.write_outs("linalg_qr", out, result)


def svd(A, full_matrices=True, *, out=None):
    _out.begin_outs("linalg_svd", out, 3, 3, "_linalg_svd", (A,))  # (after driver=)
    result = _SVD(*_d._linalg_svd(A, full_matrices=full_matrices))
    # (torch's kernel sets U, then Vh, then S: each checked and resized in that order)
    return result if out is None else _out.write_outs("linalg_svd", out, result, order=(0, 2, 1))


def svdvals(A, *, out=None):
    if out is not None:
        _out.tensor_out("linalg_svdvals", out)
        _out.check_out_grad("_linalg_svd", (A,), (out,))
        return _out.exact_out("linalg_svdvals", out, _d._linalg_svdvals(A))
    if _gm.is_grad_enabled() and isinstance(A, Tensor) and A.requires_grad:
        # torch computes the whole reduced SVD then (its backward needs U and Vh): S is output 1 of that node
        return _d._linalg_svd(A, full_matrices=False)[1]
    return _d._linalg_svdvals(A)


def eigh(A, UPLO="L", *, out=None):
    _out.begin_outs("linalg_eigh", out, 2, 2, "_linalg_eigh", (A,))
    result = _Eigh(*_d._linalg_eigh(A, UPLO=UPLO))
    # (torch's kernel sets the eigenvectors first)
    return result if out is None else _out.write_outs("linalg_eigh", out, result, order=(1, 0))


def eigvalsh(A, UPLO="L", *, out=None):
    if out is None:
        return _d._linalg_eigvalsh(A, UPLO=UPLO)
    _out.tensor_out("linalg_eigvalsh", out)
    _out.check_out_grad("_linalg_eigh", (A,), (out,))
    return _out.exact_out("linalg_eigvalsh", out, _d._linalg_eigvalsh(A, UPLO=UPLO))


def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    if out is not None:  # (linalg_pinv has an autograd kernel of its own, which refuses first; then a composite's copy)
        _out.check_out_grad("linalg_pinv", (A,), (out,))
        _out.castable("linalg.pinv", out, A.dtype)
        return _out.copy_out(out, pinv(A, atol=atol, rtol=rtol, hermitian=hermitian))
    if atol is not None:
        raise NotImplementedError("torchish: linalg.pinv(atol=...) is not supported")
    if rtol is None:  # torch's default: the dimension times the dtype's epsilon
        import numpy as np

        rtol = max(A.shape[-2:]) * float(np.finfo(str(A.dtype).split(".")[-1]).eps)
    return _d.pinverse(A, rcond=rtol)


def cross(input, other, *, dim=-1, out=None):
    return _d.cross(input, other, dim, out=out)


def multi_dot(tensors, *, out=None):
    """ATen's multi_dot; into out: the inputs' dtype only, resized, then written by the last mm."""
    result = _d.multi_dot(tensors)
    if out is None:
        return result
    dtype = tensors[0].dtype
    if out.dtype is not dtype:
        want, got = _C_NAMES[dtype._name], _C_NAMES[out.dtype._name]
        raise RuntimeError(f"multi_dot(): expected out tensor to have dtype {want} but got {got}")
    _out.resize_out(out, result.shape)
    _out.check_out_grad("mm", tensors, (out,))
    return _out.write_out(out, result)


def lstsq(A, B, rcond=None, *, driver=None, out=None):
    """Into out: each result cast to its out tensor, which must take it safely (torch words the residuals' check
    as the solution's), all checked before any is resized."""
    _out.begin_outs("linalg_lstsq", out, 4, 4, "linalg_lstsq", (A, B))
    result = _x.lstsq(A, B, rcond, driver=driver)
    if out is None:
        return result
    wanted = (A.dtype, A.dtype.to_real(), D.int64, A.dtype.to_real())
    for t, name, dtype in zip(out, ("solution", "solution", "rank", "singular_values"), wanted):
        if D._category(dtype) > D._category(t.dtype):
            raise RuntimeError(
                f"torch.linalg.lstsq: Expected {name} to be safely castable from {_type_word(dtype)} dtype, but got "
                f"{name} with dtype {_type_word(t.dtype)}"
            )
    for t, r in zip(out, result):
        _out.write_out(t, r)
    return return_type("linalg_lstsq_out", result._fields)(*out)


def _parser_name(name):
    """torch's parser words a call's TypeErrors with the aten name (linalg_diagonal() got an unexpected keyword
    argument 'out'): Python's words take the function's qualified name."""

    def named(fn):
        fn.__qualname__ = name
        return fn

    return named


@_parser_name("linalg_matrix_exp")
def matrix_exp(A):
    return _x.matrix_exp(A)


@_parser_name("linalg_diagonal")
def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


_NORM_TAIL = "bool keepdim = False, *, torch.dtype dtype = None, Tensor out = None"


@parsed(
    f"Tensor input, Number ord, tuple of ints dim = {{-2,-1}}, {_NORM_TAIL}",
    f'Tensor input, str ord = "fro", tuple of ints dim = {{-2,-1}}, {_NORM_TAIL}',
    name="linalg_matrix_norm",
)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    return _norm_out("linalg.matrix_norm", _matrix_norm(A, ord, dim, keepdim, dtype), out)


def _norm_out(fname, result, out):
    """linalg.norm and linalg.matrix_norm are composites: out= takes the result's dtype only, resized, copied in."""
    if out is None:
        return result
    if out.dtype is not result.dtype:
        raise RuntimeError(
            f"{fname} expected out tensor dtype {_type_word(result.dtype)} but got: {_type_word(out.dtype)}"
        )
    return _out.copy_out(out, result)


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
        result = matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    else:
        result = vector_norm(A, 2.0 if ord is None else ord, dim, keepdim, dtype=dtype)
    return _norm_out("linalg.norm", result, out)


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
    if out is not None:  # (torch resizes out before it checks its dtype)
        _out.resize_out(out, A.shape[:-2])
        _out.castable("torch.linalg.matrix_rank", out, D.int64)
    if A.numel() == 0:
        result = Tensor._make(jnp.zeros(A.shape[:-2], jnp.int64))
        return result if out is None else out.fill_(0)
    with _gm.no_grad():
        if hermitian:
            s = _d._linalg_eigvalsh(A).abs()
            top = s.amax(-1, keepdim=True)
        else:
            s = _d._linalg_svdvals(A)
            top = s.narrow(-1, 0, 1)
        from .ops.pointwise import maximum

        limit = maximum(atol.unsqueeze(-1), rtol.unsqueeze(-1) * top)
        return reduction.sum(s > limit, -1, out=out)  # (into out: the count in out's dtype)


def _ord_text(ord) -> str:
    """C++'s std::to_string of the order (a Python float is a double: '1.000000'; an int or inf as is)."""
    if isinstance(ord, float) and ord not in (float("inf"), float("-inf")):
        return f"{ord:.6f}"
    if isinstance(ord, float):
        return "inf" if ord > 0 else "-inf"
    return str(ord)


def cond(A, p=None, *, out=None):
    """ATen's linalg_cond: svdvals for 2 / -2, else matrix norms of A and of its inverse (inf where singular).
    out=: the result must cast safely to it (checked first), then is copied in."""
    if out is None:
        return _cond(A, p)
    _out.castable("linalg.cond", out, A.dtype.to_real())
    return _out.copy_out(out, _cond(A, p))


def _cond(A, p):
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
    if out is None:
        return _tensorinv(A, ind)
    _out.castable("tensorinv", out, A.dtype)
    return _out.copy_out(out, _tensorinv(A, ind))


def _tensorinv(A, ind):
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
    if out is None:
        return _tensorsolve(A, B, dims)
    _out.castable("tensorsolve", out, A.dtype)
    return _out.copy_out(out, _tensorsolve(A, B, dims))


def _tensorsolve(A, B, dims):
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


@_parser_name("linalg_vander")
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
