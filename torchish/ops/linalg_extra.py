"""torch.linalg beyond torchish/ops/decomp.py: LU, triangular solves, least squares, the matrix exponential,
Householder products, the `_ex` variants with their `info` and LinAlgError, and torch's compositions of them
(vecdot, cond, matrix_rank, tensorinv, tensorsolve, vander).

LU pivots are LAPACK's getrf partial pivoting (jax.lax.linalg.lu calls getrf on CPU), 1-based int32 as in torch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._return_types import return_type
from . import _out
from . import _registry as R
from ._registry import BINARY, SAME, op
from .decomp import _square
from .linalg import _blas, _check_dot


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError): a LAPACK routine reported a singular or non-definite input."""


LinAlgError = _LinAlgError


_LuFactor = return_type("linalg_lu_factor", ("LU", "pivots"))
_LuFactorEx = return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
_Lu = return_type("linalg_lu", ("P", "L", "U"))
_LuUnpack = return_type("lu_unpack", ("P", "L", "U"))
_LuWithInfo = return_type("_lu_with_info", ("LU", "pivots", "info"))
_Lstsq = return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
_InvEx = return_type("linalg_inv_ex", ("inverse", "info"))
_SolveEx = return_type("linalg_solve_ex", ("result", "info"))
_CholeskyEx = return_type("linalg_cholesky_ex", ("L", "info"))
_TriangularSolve = return_type("triangular_solve", ("solution", "cloned_coefficient"))


def _float_kernel(kernel):
    """The dtype check of a LAPACK kernel torch dispatches on floating and complex types only."""

    def check(t):
        if not (t.dtype.is_floating_point or t.dtype.is_complex) or t.dtype._name in ("float16", "bfloat16"):
            raise NotImplementedError(f"\"{kernel}\" not implemented for '{R._type_word(t.dtype)}'")

    return check


def _batch_error(batch, p, q, dim):
    return RuntimeError(
        f"The size of tensor a ({p}) must match the size of tensor b ({q}) at non-singleton dimension {dim}"
    )


def _broadcast_batch(a, b):
    """torch's _linalg_broadcast_batch_dims: the broadcast batch shape of two (batches of) matrices."""
    ba, bb = tuple(a[:-2]), tuple(b[:-2])
    n = max(len(ba), len(bb))
    ba, bb = (1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb
    out = []
    for i, (p, q) in enumerate(zip(ba, bb)):
        if p != q and p != 1 and q != 1:
            raise _batch_error(None, p, q, i)
        out.append(max(p, q) if p and q else 0)
    return tuple(out)


# ------------------------------------------------------------------------------------------------ info and errors


def _lu_info(lu):
    """getrf's info: the 1-based index of the first exact zero on U's diagonal, else 0."""
    d = jnp.diagonal(lu, axis1=-2, axis2=-1)
    zero = d == 0
    return jnp.where(zero.any(-1), jnp.argmax(zero, axis=-1) + 1, 0).astype(jnp.int32)


def _cholesky_info(a):
    """potrf's info: the order of the first leading minor that is not positive definite (unpivoted elimination of
    the lower triangle, symmetrised), else 0."""
    n = a.shape[-1]
    lower = jnp.tril(a)
    a = lower + jnp.swapaxes(jnp.tril(a, -1), -1, -2).conj()
    idx = jnp.arange(n)

    def body(k, carry):
        a, info = carry
        d = jnp.real(a[..., k, k])
        ok = d > 0
        info = jnp.where(~ok & (info == 0), k + 1, info)
        u = jnp.where(idx > k, a[..., :, k], 0)
        safe = jnp.where(ok, d, 1)[..., None, None]
        return a - u[..., :, None] * u[..., None, :].conj() / safe, info

    _, info = jax.lax.fori_loop(0, n, body, (a, jnp.zeros(a.shape[:-2], jnp.int32)))
    return info


def _check_errors(info, api, kind):
    """torch's _linalg_check_errors: the first failing matrix of a batch named, in LinAlgError's words."""
    codes = np.asarray(info._value if isinstance(info, R._Tensor) else info)
    if not codes.any():
        return
    where = ""
    if codes.ndim:
        b = int(np.flatnonzero(codes.reshape(-1))[0])
        where = f"(Batch element {b}): "
        k = int(codes.reshape(-1)[b])
    else:
        k = int(codes)
    if kind == "inv":
        raise _LinAlgError(
            f"{api}: {where}The diagonal element {k} is zero, the inversion could not be completed because the input "
            "matrix is singular."
        )
    if kind == "solve":
        raise _LinAlgError(f"{api}: {where}The solver failed because the input matrix is singular.")
    if kind == "cholesky":
        raise _LinAlgError(
            f"{api}: {where}The factorization could not be completed because the input is not positive-definite (the "
            f"leading minor of order {k} is not positive-definite)."
        )
    raise RuntimeError(
        f"{api}: {where}U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still "
        "want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
    )


# ------------------------------------------------------------------------------------------------ vdot / vecdot


@op(n_tensors=2, promote=BINARY, grad_name="VdotBackward0", saves=((1,), (0,)), check=_check_dot)
def vdot(input, other):
    return _blas(jnp.vdot(input, other))


def vecdot(x, y, *, dim=-1, out=None):
    """ATen's linalg_vecdot: vdot for two vectors, else (x.conj() * y).sum(dim); an out tensor of x's dtype only,
    written by that vdot or sum."""
    from .reduction import sum

    if out is not None:
        _out.tensor_out("linalg_vecdot", out)
    _float_input(x, "linalg.vecdot")
    if x.dtype is not y.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type {R._type_word(x.dtype)} and "
            f"y of type {R._type_word(y.dtype)} instead"
        )
    if out is not None and out.dtype is not x.dtype:
        raise RuntimeError(
            f"linalg.vecdot: Expected out of dtype{R._type_word(x.dtype)} but found {R._type_word(out.dtype)}"
        )
    if x.dim() == 1 and y.dim() == 1:
        if out is not None:
            _out.resize_out(out, ())
        return vdot(x, y, out=out)
    return sum(x.conj() * y, dim, out=out)


def _float_input(t, name):
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {R._type_word(t.dtype)}")


# ------------------------------------------------------------------------------------------------ matrix_exp


@op("matrix_exp", grad_name="LinalgMatrixExpBackward0", saves=((0,),), check=_square("linalg.matrix_exp"))
def matrix_exp(input):
    if input.shape[-1] == 0:
        return input
    return jax.scipy.linalg.expm(input)


# ------------------------------------------------------------------------------------------------ triangular solves


def _check_solve_triangular(args, params):
    a, b = args
    name = "linalg.solve_triangular"
    for t, n in ((a, "A"), (b, "B")):
        if t.dim() < 2:
            raise RuntimeError(f"{name}: The input tensor {n} must have at least 2 dimensions.")
    r, c = a.shape[-2:]
    if r != c:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {r} by {c} matrices")
    _float_kernel("triangular_solve_cpu")(a)
    left = params.get("left", True)
    if (b.shape[-2] if left else b.shape[-1]) != c:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation {eq} ({r}x{c} and {b.shape[-2]}x{b.shape[-1]})"
        )
    _broadcast_batch(b.shape, a.shape)


def _tri_solve(A, B, upper, left, unitriangular, transpose=False):
    batch = jnp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = jnp.broadcast_to(A, (*batch, *A.shape[-2:]))
    B = jnp.broadcast_to(B, (*batch, *B.shape[-2:]))
    return jax.lax.linalg.triangular_solve(
        A, B, left_side=left, lower=not upper, transpose_a=transpose, unit_diagonal=unitriangular
    )


@op(
    "linalg_solve_triangular",
    n_tensors=2,
    promote=SAME,
    grad_name="LinalgSolveTriangularBackward0",
    saves=((0, -1), (0, -1)),
    check=_check_solve_triangular,
    method=False,
)
def _solve_triangular(A, B, upper, left=True, unitriangular=False):
    return _tri_solve(A, B, upper, left, unitriangular)


def solve_triangular(A, B, *, upper=None, left=True, unitriangular=False, out=None):
    if upper is None:
        raise TypeError('linalg_solve_triangular() missing 1 required positional arguments: "upper"')
    if out is None:
        return _solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)
    _out.check_out_grad("linalg_solve_triangular", (A, B), (out,))
    result = _solve_triangular(A, B, upper=upper, left=left, unitriangular=unitriangular)
    _out.resize_out(out, result.shape)  # (torch's kernel resizes out, then finds its dtype wrong)
    if out.dtype is not result.dtype:
        raise RuntimeError(f"expected scalar type {R._type_word(result.dtype)} but found {R._type_word(out.dtype)}")
    return _out.write_out(out, result)


_TRIANGULAR_SOLVE_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed in a future "
    "PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not return a copy of one of "
    "the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
    "X = torch.linalg.solve_triangular(A, B). (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:2273.)"
)


def _check_triangular_solve(args, params):
    b, a = args
    if b.dim() < 2:
        raise RuntimeError(
            f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has {b.dim()} dimensions instead"
        )
    if a.dim() < 2:
        raise RuntimeError(
            f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has {a.dim()} dimensions instead"
        )
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(
            f"A must be batches of square matrices, but they are {a.shape[-2]} by {a.shape[-1]} matrices"
        )
    if a.shape[-1] != b.shape[-2]:
        raise RuntimeError(
            f"Incompatible matrix sizes for triangular_solve: each A matrix is {a.shape[-1]} by {a.shape[-1]} but each "
            f"b matrix is {b.shape[-2]} by {b.shape[-1]}"
        )
    if b.dtype is not a.dtype:
        raise RuntimeError(
            f"Expected b and A to have the same dtype, but found b of type {R._type_word(b.dtype)} and A of type "
            f"{R._type_word(a.dtype)} instead."
        )
    _broadcast_batch(b.shape, a.shape)
    _float_kernel("triangular_solve_cpu")(a)


@op(
    "triangular_solve",
    n_tensors=2,
    promote=SAME,
    grad_name="TriangularSolveBackward0",
    saves=((0, 1, -1), (0, 1, -1)),
    check=_check_triangular_solve,
    n_out=2,
    method=False,
)
def _triangular_solve(input, A, upper=True, transpose=False, unitriangular=False):
    x = _tri_solve(A, input, upper, True, unitriangular, transpose)
    return x, jnp.broadcast_to(A, (*x.shape[:-2], *A.shape[-2:]))


def triangular_solve(input, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    _out.begin_outs("triangular_solve", out, 2, 5, "triangular_solve", (input, A))
    result = _TriangularSolve(*_triangular_solve(input, A, upper, transpose, unitriangular))
    if out is not None:
        result = _out.write_outs("triangular_solve", out, result)
    R.warn_once("triangular_solve", _TRIANGULAR_SOLVE_DEPRECATED)  # (torch's kernel, once its outs are set)
    return result


# ------------------------------------------------------------------------------------------------ LU


def _check_lu(name, kernel="lu_cpu"):
    def check(args, params):
        a = args[0]
        if a.dim() < 2:
            raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(a.shape)} instead")
        _float_kernel(kernel)(a)
        if not params.get("pivot", True):
            raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")

    return check


@op(
    "linalg_lu_factor_ex",
    grad_name="LinalgLuFactorExBackward0",
    saves=((-1, -2),),
    check=_check_lu("torch.lu_factor"),
    n_out=3,
    method=False,
)
def _lu_factor_ex(A, pivot=True):
    lu, piv, _ = jax.lax.linalg.lu(A)
    return lu, (piv + 1).astype(jnp.int32), _lu_info(lu)


def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    _out.begin_outs("linalg_lu_factor_ex", out, 3, 3, "linalg_lu_factor_ex", (A,))
    result = _LuFactorEx(*_lu_factor_ex(A, pivot=pivot))
    if out is not None:
        result = _out.write_outs("linalg_lu_factor_ex", out, result)
    if check_errors:
        _check_errors(result.info, "torch.linalg.lu_factor_ex", "lu")
    return result


def lu_factor(A, *, pivot=True, out=None):
    _out.begin_outs("linalg_lu_factor", out, 2, 2, "linalg_lu_factor_ex", (A,))
    LU, piv, info = _lu_factor_ex(A, pivot=pivot)
    result = _LuFactor(LU, piv)
    if out is not None:
        result = _out.write_outs("linalg_lu_factor", out, result)
    _check_errors(info, "torch.linalg.lu_factor", "lu")
    return result


def _permutation_matrix(perm, dtype):
    """P with A = P @ L @ U for the row order perm (A[perm] = L @ U)."""
    m = perm.shape[-1]
    return jnp.swapaxes(jax.nn.one_hot(perm, m, dtype=dtype), -1, -2)


def _pivots_to_perm(piv, m):
    """getrf's sequential row swaps (1-based pivots) as the row order they leave."""
    perm = jnp.broadcast_to(jnp.arange(m, dtype=jnp.int32), (*piv.shape[:-1], m))
    idx = jnp.arange(m)

    def body(i, perm):
        j = piv[..., i] - 1
        pi = perm[..., i]
        pj = jnp.take_along_axis(perm, j[..., None].astype(jnp.int32), -1)[..., 0]
        perm = jnp.where(idx == i, pj[..., None], jnp.where(idx == j[..., None], pi[..., None], perm))
        return perm

    return jax.lax.fori_loop(0, piv.shape[-1], body, perm)


def _unpack(lu, perm):
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=lu.dtype)
    U = jnp.triu(lu[..., :k, :])
    return _permutation_matrix(perm, lu.dtype), L, U


# torch's P is no differentiable output: its node numbers L and U 0 and 1. P comes from an op of its own here
@op("linalg_lu", grad_name="LinalgLuBackward0", saves=((-1, -2),), check=_check_lu("linalg.lu"), n_out=2, method=False)
def _linalg_lu(A, pivot=True):
    lu, _, perm = jax.lax.linalg.lu(A)
    return _unpack(lu, perm)[1:]


@op("_linalg_lu_p", differentiable=False, method=False)
def _linalg_lu_p(A, pivot=True):
    return _permutation_matrix(jax.lax.linalg.lu(A)[2], A.dtype)


def lu(A, *, pivot=True, out=None):
    _out.begin_outs("linalg_lu", out, 3, 2, "linalg_lu", (A,))
    L, U = _linalg_lu(A, pivot=pivot)
    result = _Lu(_linalg_lu_p(A, pivot=pivot), L, U)
    return result if out is None else _out.write_outs("linalg_lu", out, result)


def _check_lu_unpack(args, params):
    lu, piv = args
    if lu.dim() < 2:
        raise RuntimeError(
            f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got size: {list(lu.shape)} instead"
        )
    if params.get("unpack_pivots", True):
        if piv.dtype._name != "int32":
            raise RuntimeError(
                "torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                "Note: this function is intended to be used with the output produced by torch.linalg.lu_factor"
            )


@op("lu_unpack", n_tensors=2, grad_name="LuUnpackBackward0", check=_check_lu_unpack, n_out=2, method=False,
    promoted=(0,))  # fmt: skip
def _lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    if not unpack_data:
        return jnp.zeros((0,), LU_data.dtype), jnp.zeros((0,), LU_data.dtype)
    return _unpack(LU_data, jnp.arange(LU_data.shape[-2]))[1:]


@op("_lu_unpack_p", n_tensors=2, differentiable=False, method=False, promoted=(0,))
def _lu_unpack_p(LU_data, LU_pivots, unpack_pivots=True):
    if not unpack_pivots:
        return jnp.zeros((0,), LU_data.dtype)
    return _permutation_matrix(_pivots_to_perm(LU_pivots, LU_data.shape[-2]), LU_data.dtype)


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    _out.begin_outs("lu_unpack", out, 3, 4, "lu_unpack", (LU_data, LU_pivots))
    L, U = _lu_unpack(LU_data, LU_pivots, unpack_data, unpack_pivots)
    result = _LuUnpack(_lu_unpack_p(LU_data, LU_pivots, unpack_pivots), L, U)
    return result if out is None else _out.write_outs("lu_unpack", out, result)


def _check_lu_solve(args, params):
    lu, piv, b = args
    name = "linalg.lu_solve"
    if lu.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor LU must have at least 2 dimensions.")
    if lu.shape[-1] != lu.shape[-2]:
        raise RuntimeError(
            f"torch.{name}: A must be batches of square matrices, but they are {lu.shape[-2]} by {lu.shape[-1]} "
            "matrices"
        )
    if b.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor B must have at least 2 dimensions.")
    left = params.get("left", True)
    n = lu.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"{name}: Incompatible shapes of A and B for the equation {eq} ({n}x{n} and {b.shape[-2]}x{b.shape[-1]})"
        )
    if lu.dtype is not b.dtype:
        raise RuntimeError(
            f"{name}: Expected LU and B to have the same dtype, but found LU of type {R._type_word(lu.dtype)} and B of "
            f"type {R._type_word(b.dtype)} instead"
        )
    if piv.dtype._name != "int32":
        raise RuntimeError(f"{name}: pivots should be a Tensor of scalar type torch.int32")
    if tuple(piv.shape[:-1]) != tuple(lu.shape[:-2]) or piv.dim() != lu.dim() - 1:
        raise RuntimeError(f"{name}: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with shape "
                           f"{list(piv.shape)} instead")  # fmt: skip
    if piv.shape[-1] != n:
        raise RuntimeError(f"{name}: Number of pivots per batch should be same as the dimension of the matrix")
    _broadcast_batch(lu.shape, b.shape)
    p = np.asarray(piv._value)
    if p.size and p.min() < 1:
        raise RuntimeError(
            "Pivots given to lu_solve must all be greater or equal to 1. Did you properly pass the result of lu_factor?"
        )
    if p.size and p.max() > n:
        raise RuntimeError(
            "Pivots given to lu_solve must all be smaller or equal to LU.size(-2). Did you properly pass the result of "
            "lu_factor?"
        )


def _lu_solve_left(lu, perm, B, adjoint):
    """A X = B (or A^H X = B) with A = P L U."""
    if not adjoint:
        B = jnp.take_along_axis(B, perm[..., :, None], axis=-2)  # P^T B
        Y = jax.lax.linalg.triangular_solve(lu, B, left_side=True, lower=True, unit_diagonal=True)
        return jax.lax.linalg.triangular_solve(lu, Y, left_side=True, lower=False)
    Y = jax.lax.linalg.triangular_solve(lu, B, left_side=True, lower=False, transpose_a=True, conjugate_a=True)
    Z = jax.lax.linalg.triangular_solve(
        lu, Y, left_side=True, lower=True, unit_diagonal=True, transpose_a=True, conjugate_a=True
    )
    inverse = jnp.argsort(perm, axis=-1)
    return jnp.take_along_axis(Z, inverse[..., :, None], axis=-2)  # P Z


@op(
    "linalg_lu_solve",
    n_tensors=3,
    promote=SAME,
    grad_name="LinalgLuSolveBackward0",
    saves=((0, 1, -1), (), (0, 1)),
    check=_check_lu_solve,
    method=False,
    promoted=(0, 2),
)
def _lu_solve(LU, pivots, B, left=True, adjoint=False):
    n = LU.shape[-1]
    batch = jnp.broadcast_shapes(LU.shape[:-2], B.shape[:-2])
    LU = jnp.broadcast_to(LU, (*batch, n, n))
    perm = jnp.broadcast_to(_pivots_to_perm(pivots, n), (*batch, n))
    B = jnp.broadcast_to(B, (*batch, *B.shape[-2:]))
    if left:
        return _lu_solve_left(LU, perm, B, adjoint)
    # X A = B  <=>  A^H X^H = B^H
    return jnp.swapaxes(_lu_solve_left(LU, perm, jnp.swapaxes(B, -1, -2).conj(), not adjoint), -1, -2).conj()


def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    return _lu_solve(LU, pivots, B, left=left, adjoint=adjoint, out=out)


_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be removed in a "
    "future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
    "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots) (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:2073.)"
)
_LU_SOLVE_DEPRECATED = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch release.\n"
    "Note that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
    "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B) (Triggered internally at "
    "/__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:{}.)"
)


def _lu(A, pivot=True, get_infos=False, out=None):
    """torch.lu (torch/functional.py): torch._lu_with_info, which is linalg.lu_factor_ex. Its out= is Python's:
    each out tensor resize_'d (no warning) and copy_'d into, the out sequence itself returned."""
    R.warn_once("lu", _LU_DEPRECATED)
    LU, piv, info = _lu_factor_ex(A, pivot=pivot)  # (torch checks no errors here, get_infos or not)
    result = _LuWithInfo(LU, piv, info) if get_infos else (LU, piv)
    if out is None:
        return result
    if len(out) - bool(get_infos) != 2:
        raise TypeError(f"expected tuple of {2 + bool(get_infos)} elements but got {len(out)}")
    if not isinstance(out, (tuple, list)):
        raise TypeError(f"argument 'out' must be tuple of Tensors, not {type(out).__name__}")
    for t, r in zip(out, result):
        t.resize_(r.shape).copy_(r)
    return out


def _lu_solve_deprecated(b, LU_data, LU_pivots, *, out=None):
    # (its out= kernel's once apart)
    R.warn_once(
        "lu_solve" if out is None else "lu_solve_out", _LU_SOLVE_DEPRECATED.format(2230 if out is None else 2242)
    )
    return _lu_solve(LU_data, LU_pivots, b, out=out)


# ------------------------------------------------------------------------------------------------ _ex variants


@op(
    "linalg_inv_ex",
    grad_name="LinalgInvExBackward0",
    saves=((-1,),),
    check=_square("linalg.inv"),
    n_out=2,
    method=False,
)
def _inv_ex(A):
    return jnp.linalg.inv(A), _lu_info(jax.lax.linalg.lu(jax.lax.stop_gradient(A))[0])


def inv_ex(A, *, check_errors=False, out=None):
    _out.begin_outs("linalg_inv_ex", out, 2, 2, "linalg_inv_ex", (A,))
    result = _InvEx(*_inv_ex(A))
    if out is not None:
        result = _out.write_outs("linalg_inv_ex", out, result)
    if check_errors:
        _check_errors(result.info, "linalg.inv_ex", "inv")
    return result


def _check_solve_ex(args, params):
    from .decomp import _check_solve

    _check_solve(args, params)


@op(
    "linalg_solve_ex",
    n_tensors=2,
    promote=BINARY,
    grad_name="LinalgSolveExBackward0",
    saves=((0, -1), (0, -1)),
    check=_check_solve_ex,
    n_out=2,
    method=False,
)
def _solve_ex(A, B, left=True):
    X = R.OPS["_linalg_solve"].fn(A, B, left=left)
    return X, _lu_info(jax.lax.linalg.lu(jax.lax.stop_gradient(A))[0])


def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    _out.begin_outs("linalg_solve_ex", out, 2, 4, "_linalg_solve_ex", (A, B))
    result = _SolveEx(*_solve_ex(A, B, left=left))
    if out is not None:
        result = _out.write_outs("linalg_solve_ex", out, result)
    if check_errors:
        _check_errors(result.info, "torch.linalg.solve_ex", "solve")
    return result


@op(
    "linalg_cholesky_ex",
    grad_name="LinalgCholeskyExBackward0",
    saves=((-1,),),
    check=_square("linalg.cholesky"),
    n_out=2,
    method=False,
)
def _cholesky_ex(A, upper=False):
    L = jnp.linalg.cholesky(A)
    return (jnp.swapaxes(L, -1, -2).conj() if upper else L), _cholesky_info(jax.lax.stop_gradient(A))


def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    _out.begin_outs("linalg_cholesky_ex", out, 2, 3, "linalg_cholesky_ex", (A,))
    result = _CholeskyEx(*_cholesky_ex(A, upper=upper))
    if out is not None:
        result = _out.write_outs("linalg_cholesky_ex", out, result)
    if check_errors:
        _check_errors(result.info, "linalg.cholesky_ex", "cholesky")
    return result


def _raise_if_failed(A, result, api, kind):
    """torch's linalg.inv / solve / cholesky raise LinAlgError where LAPACK reports a failure. JAX's LAPACK calls
    leave inf or nan there instead: only then is the failure's info computed (a zero pivot, a minor that is not
    positive definite)."""
    if bool(jnp.isfinite(result._value).all()):
        return
    a = A._value
    info = _cholesky_info(a) if kind == "cholesky" else _lu_info(jax.lax.linalg.lu(a)[0])
    _check_errors(info, api, kind)


# ------------------------------------------------------------------------------------------------ least squares

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _check_lstsq(args, params):
    a, b = args
    if a.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if b.dim() < 1:
        raise RuntimeError("torch.linalg.lstsq: other must have at least 1 dimension.")
    if a.dtype is not b.dtype:
        raise RuntimeError(
            "torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype "
            f"{R._type_word(a.dtype)} and other's dtype {R._type_word(b.dtype)}"
        )
    if not (a.dim() >= b.dim() and a.dim() - b.dim() <= 1):
        raise RuntimeError(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) "
            "<= 1"
        )
    vec = b.dim() == 1 or (b.dim() == a.dim() - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    if a.shape[-2] != b.shape[-1 if vec else -2]:
        raise RuntimeError(
            "torch.linalg.lstsq: input.size(-2) should match other.size(-1)"
            if b.dim() == 1
            else "torch.linalg.lstsq: input.size(-2) should match other.size(-2)"
        )
    # (a matrix B of one dimension less is read as a batch of vectors)
    _broadcast_batch(a.shape, (*b.shape, 1) if b.dim() == a.dim() - 1 else b.shape)
    driver = params.get("driver")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _eps(a.dtype)


def _eps(dtype):
    if dtype._name not in ("float32", "float64", "complex64", "complex128"):
        raise RuntimeError("This function doesn't handle types other than float and double")
    return float(np.finfo({"complex64": "float32", "complex128": "float64"}.get(dtype._name, dtype._name)).eps)


def _rcond(a, rcond):
    return rcond if rcond is not None and rcond >= 0 else float(jnp.finfo(a.dtype).eps) * max(a.shape[-2:])


@op(
    "linalg_lstsq",
    n_tensors=2,
    promote=SAME,
    grad_name="LinalgLstsqBackward0",
    saves=((0, 1, -1), (0, 1, -1)),
    check=_check_lstsq,
    n_out=4,
    method=False,
)
def _lstsq(A, B, rcond=None, driver=None, residuals=False):
    vec = B.ndim == A.ndim - 1
    if vec:
        B = B[..., None]
    m, n = A.shape[-2:]
    batch = jnp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    A = jnp.broadcast_to(A, (*batch, m, n))
    B = jnp.broadcast_to(B, (*batch, m, B.shape[-1]))
    tol = _rcond(A, rcond)
    X = jnp.matmul(jnp.linalg.pinv(A, rtol=tol), B, precision="highest")
    s = jnp.linalg.svd(jax.lax.stop_gradient(A), compute_uv=False)
    empty = jnp.zeros((0,), A.dtype)
    if residuals:
        res = jnp.sum(jnp.abs(jnp.matmul(A, X, precision="highest") - B) ** 2, axis=-2)
    else:
        res = empty
    if driver == "gels":
        rank = jnp.zeros((0,), jnp.int64)
    else:
        rank = jnp.sum(s > tol * s[..., :1], axis=-1).astype(jnp.int64) if min(m, n) else jnp.zeros(batch, jnp.int64)
    sv = s if driver in ("gelsd", "gelss") else empty
    return (X[..., 0] if vec else X), res, rank, sv


def lstsq(A, B, rcond=None, *, driver=None):
    m, n = A.shape[-2:] if A.dim() >= 2 else (0, 0)
    residuals = False
    if m > n and driver not in (None, "gelsy"):
        residuals = True
        if driver in ("gelsd", "gelss"):  # (only where every matrix has full rank)
            s = jnp.linalg.svd(A._value, compute_uv=False)
            residuals = bool((jnp.sum(s > _rcond(A._value, rcond) * s[..., :1], axis=-1) == n).all())
    out = _lstsq(A, B, rcond=rcond, driver=driver, residuals=residuals)
    for t in out[2:]:  # rank and singular values are not differentiable
        t._grad_fn = None
    return _Lstsq(*out)


# ------------------------------------------------------------------------------------------------ householder_product


def _check_householder(args, params):
    a, tau = args
    name = "torch.linalg.householder_product"
    if a.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if a.shape[-2] < a.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if a.shape[-1] < tau.shape[-1] if tau.dim() else False:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if a.dim() - tau.dim() != 1:
        raise RuntimeError(
            f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal to {tau.dim()} and "
            f"input.ndim is equal to {a.dim()}"
        )
    if tuple(a.shape[:-2]) != tuple(tau.shape[:-1]):
        raise RuntimeError(
            f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got {list(tau.shape[:-1])}"
        )
    if a.dtype is not tau.dtype:
        raise RuntimeError(
            f"{name}: tau dtype {R._type_word(tau.dtype)} does not match input dtype {R._type_word(a.dtype)}"
        )
    _float_kernel("orgqr_cpu")(a)


@op(
    "linalg_householder_product",
    n_tensors=2,
    promote=SAME,
    grad_name="LinalgHouseholderProductBackward0",
    saves=((0, 1, -1), (0, 1, -1)),
    check=_check_householder,
    method=False,
)
def _householder_product(input, tau):
    """orgqr: the first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^H, v_i = (0, ..., 1, input[i+1:, i])."""
    m, n = input.shape[-2:]
    q = jnp.broadcast_to(jnp.eye(m, n, dtype=input.dtype), input.shape)
    rows = jnp.arange(m)
    for i in reversed(range(tau.shape[-1])):
        v = jnp.where(rows > i, input[..., :, i], (rows == i).astype(input.dtype))
        w = jnp.matmul(v.conj()[..., None, :], q, precision="highest")
        q = q - tau[..., i, None, None] * v[..., :, None] * w
    return q


def householder_product(A, tau, *, out=None):
    return _householder_product(A, tau, out=out)


# LAPACK's results come back as column-major matrices (torch's strides)
for _name, _outputs in (
    ("linalg_lu_factor_ex", (0,)),
    ("linalg_solve_triangular", (0,)),
    ("triangular_solve", (0, 1)),
    ("linalg_lstsq", (0,)),
    ("linalg_householder_product", (0,)),
    ("linalg_inv_ex", (0,)),
    ("linalg_cholesky_ex", (0,)),
):
    R.OPS[_name].column_major = lambda params, _outputs=_outputs: _outputs
R.OPS["linalg_lu_solve"].column_major = lambda params: (0,) if params.get("left", True) else ()
R.OPS["linalg_solve_ex"].column_major = lambda params: (0,) if params.get("left", True) else ()
# torch's edges: the pivots of an LU are no input of its backward
R.OPS["linalg_lu_solve"].edges = lambda sig: (0, 2)
R.OPS["lu_unpack"].edges = lambda sig: (0,)
