"""Linear algebra beyond matmul: inverse, det, solve, decompositions, norms (torch.* and torch.linalg.*).

Each op is one JAX function; JAX differentiates it. A decomposition whose factors are unique only up to
signs (qr, svd, eigh) returns LAPACK's factors, as torch does on CPU; callers should not rely on the signs.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl

from .._return_types import return_type
from .._tensor import _wrap_dim
from . import _formulas as F
from . import _out
from . import _registry as R
from ._registry import BINARY, FLOAT, op
from .linalg import _blas
from .pointwise import _abs, _broadcast_check
from .selection import _norm_sqrt, _vector_norm_backward

__all__: list[str] = [
    "inverse",
    "det",
    "logdet",
    "slogdet",
    "trace",
    "diag",
    "diag_embed",
    "cholesky",
    "svd",
    "pinverse",
    "matrix_power",
    "kron",
    "cross",
    "tensordot",
    "cdist",
    "dist",
    "block_diag",
    "baddbmm",
]


def _matrix(name):
    """torch's linalg input checks (checkInputs), in torch's order."""

    def check(args, params):
        a = args[0]
        if a.dim() < 2:
            raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
        if not (a.dtype.is_floating_point or a.dtype.is_complex):
            raise RuntimeError(
                f"{name}: Expected a floating point or complex tensor as input. Got {R._type_word(a.dtype)}"
            )

    return check


def _square(name):
    """squareCheckInputs: checkInputs, then square matrices."""
    matrix = _matrix(name)

    def check(args, params):
        matrix(args, params)
        r, c = args[0].shape[-2:]
        if r != c:
            raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {r} by {c} matrices")

    return check


@op(grad_name="LinalgInvExBackward0", saves=((-1,),), check=_square("linalg.inv"))
def inverse(input):
    return jnp.linalg.inv(input)


@op(grad_name="LinalgDetBackward0", saves=((0, -1),), check=_square("linalg.det"))
def det(input):
    return jnp.linalg.det(input)


@op(grad_name="LinalgSlogdetBackward0", saves=((0, -1),), check=_square("linalg.slogdet"), n_out=2, method=False)
def _slogdet(input):
    sign, logabs = jnp.linalg.slogdet(input)
    return sign, logabs


def slogdet(input, *, out=None):
    _out.begin_outs("slogdet", out, 2, 1, "_linalg_slogdet", (input,))
    result = return_type("slogdet", ("sign", "logabsdet"))(*_slogdet(input))
    return result if out is None else _out.write_outs("slogdet", out, result)


R._Tensor.slogdet = _out.method_without_out("slogdet", slogdet, no_keywords=True)


# torch composes logdet as where(sign == -1, nan, logabsdet): its last node is a where
@op(grad_name="WhereBackward0", saves=((0,),), check=_square("logdet"))
def logdet(input):
    sign, logabs = jnp.linalg.slogdet(input)
    return jnp.where(sign < 0, jnp.nan, logabs)


def _int64():
    from .. import _dtype

    return _dtype.int64


def _check_trace(args, params):
    if args[0].dim() != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {args[0].dim()}")


# integers sum in int64, as torch's sum does (promote=SUM needs a dtype parameter, which trace lacks)
@op(
    grad_name="TraceBackward0",
    check=_check_trace,
    out_dtype=lambda c, p: c if c.is_floating_point or c.is_complex else _int64(),
)
def trace(input):
    return jnp.trace(input)


def _check_diag(args, params):
    if args[0].dim() not in (1, 2):
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {args[0].dim()}D")


@op(
    grad_name=lambda p, a: "DiagEmbedBackward0" if a[0].dim() == 1 else "DiagonalBackward0_copy",
    check=_check_diag,
)
def diag(input, diagonal=0):
    return jnp.diag(input, diagonal)


@op(grad_name="DiagEmbedBackward0")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.shape[-1] + abs(offset)
    i = jnp.arange(input.shape[-1])
    out = jnp.zeros((*input.shape[:-1], n, n), input.dtype)
    out = out.at[..., i + max(-offset, 0), i + max(offset, 0)].set(input)
    nd = input.ndim + 1
    return jnp.moveaxis(out, (-2, -1), (dim1 % nd, dim2 % nd))


def _check_solve(args, params):
    _square("linalg.solve")(args, params)
    a, b = args
    left = params.get("left", True)
    vec = b.dim() == 1 or (b.dim() == a.dim() - 1 and tuple(b.shape) == tuple(a.shape[:-1]))
    k = b.shape[-1] if vec else b.shape[-2 if left else -1]
    if k != a.shape[-1]:
        bs = f"{b.shape[-1]}x1" if vec else f"{b.shape[-2]}x{b.shape[-1]}"
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(
            f"linalg.solve: Incompatible shapes of A and B for the equation {eq} ({a.shape[-2]}x{a.shape[-1]} and {bs})"
        )


@op(
    "_linalg_solve",
    n_tensors=2,
    promote=BINARY,
    grad_name="LinalgSolveExBackward0",
    saves=((0, -1), (0, -1)),
    check=_check_solve,
    method=False,
)
def _linalg_solve(A, B, left=True):
    # torch reads B as a (batch of) vector(s) when it is 1-D or A's batch shape times n
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vec:
        B = B[..., None]
    if not left:
        A, B = jnp.swapaxes(A, -1, -2), jnp.swapaxes(B, -1, -2)
    X = jnp.linalg.solve(A, B)
    if not left:
        X = jnp.swapaxes(X, -1, -2)
    return X[..., 0] if vec else X


@op(
    "_linalg_cholesky",
    grad_name="LinalgCholeskyExBackward0",
    saves=((-1,),),
    check=_square("linalg.cholesky"),
    method=False,
)
def _linalg_cholesky(input, upper=False):
    L = jnp.linalg.cholesky(input)
    return jnp.swapaxes(L, -1, -2).conj() if upper else L


_CHOLESKY_DEPRECATED = (
    "torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch release.\n"
    "L = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
    "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
    "This transform will produce equivalent results for all valid (symmetric positive definite) inputs. "
    "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/BatchLinearAlgebra.cpp:{}.)"
)


@op("cholesky", grad_name="CholeskyBackward0", saves=((-1,),), check=_square("cholesky"), method=False)
def _cholesky(input, upper=False):
    L = jnp.linalg.cholesky(input)
    return jnp.swapaxes(L, -1, -2).conj() if upper else L


def cholesky(input, upper=False, *, out=None):
    # (a TORCH_WARN_ONCE before any check; its out= kernel's once apart, at its own line)
    R.warn_once(
        "cholesky" if out is None else "cholesky_out", _CHOLESKY_DEPRECATED.format(1765 if out is None else 1800)
    )
    return _cholesky(input, upper, out=out)


R._Tensor.cholesky = _out.method_without_out("cholesky", cholesky)


@op("_linalg_qr", grad_name="LinalgQrBackward0", check=_matrix("linalg.qr"), n_out=2, method=False)
def _linalg_qr(input, mode="reduced"):
    q, r = jnp.linalg.qr(input, mode=mode)
    return q, r


@op(
    "_linalg_svd",
    grad_name="LinalgSvdBackward0",
    saves=((-1, -2, -3),),
    check=_matrix("linalg.svd"),
    n_out=3,
    method=False,
)
def _linalg_svd(input, full_matrices=True):
    u, s, vh = jnp.linalg.svd(input, full_matrices=full_matrices)
    return u, s, vh


@op("_linalg_svdvals", grad_name="LinalgSvdBackward0", saves=((-1,),), check=_matrix("linalg.svd"), method=False)
def _linalg_svdvals(input):
    return jnp.linalg.svd(input, compute_uv=False)


_SVD_T = return_type("svd", ("U", "S", "V"))


def svd(input, some=True, compute_uv=True, *, out=None):
    """torch.svd: V (not Vh), the reduced factors unless some=False; its V is a transpose of linalg.svd's Vh.
    Into out: ATen's svd_out, which has linalg.svd write Vh into V transposed in place (then transposes it back);
    without compute_uv, svdvals into S and zeros into U and V."""
    if out is None:
        u, s, vh = _linalg_svd(input, full_matrices=not some)
        return _SVD_T(u, s, vh.mT)
    _out.tensors_out("svd", out, 3, 3)
    U, S, V = out
    if not compute_uv:
        for t in (U, V):
            if t.dtype is not input.dtype:
                raise RuntimeError(
                    f"torch.svd: Expected out tensor to have dtype {R._type_word(input.dtype)} but got "
                    f"{R._type_word(t.dtype)} instead"
                )
        _out.check_out_grad("_linalg_svd", (input,), out)
        _out.exact_out("linalg_svdvals", S, _linalg_svdvals(input))
        m, n = input.shape[-2:]
        for t, k in ((U, m), (V, n)):
            _out.resize_out(t, (*input.shape[:-2], k, k))
            t.zero_()
        return return_type("svd_out", _SVD_T._fields)(U, S, V)
    if V.dim() >= 2:
        V.transpose_(-2, -1)
    _out.check_out_grad("_linalg_svd", (input,), out)
    # (linalg_svd's kernel sets U, then Vh, then S)
    result = _out.write_outs("svd", out, _SVD_T(*_linalg_svd(input, full_matrices=not some)), order=(0, 2, 1))
    V.transpose_(-2, -1)
    if V.is_complex():
        V.conj_physical_()
    return result


@op(
    "_linalg_eigh",
    grad_name="LinalgEighBackward0",
    saves=((-1, -2),),
    check=_square("linalg.eigh"),
    n_out=2,
    method=False,
)
def _linalg_eigh(input, UPLO="L"):
    return _eigh(input, UPLO == "L")


@op("_linalg_eigvalsh", grad_name="LinalgEighBackward0", saves=((-1,),), check=_square("linalg.eigvalsh"), method=False)
def _linalg_eigvalsh(input, UPLO="L"):
    return _eigh(input, UPLO == "L")[0]


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def _eigh(a, lower):
    # torch reads only the UPLO triangle; JAX's symmetrization would read both
    v, w = jax.lax.linalg.eigh(a, lower=lower, symmetrize_input=False)
    return w, v


@_eigh.defjvp
def _eigh_jvp(lower, primals, tangents):
    # JAX's rule with an exact zero diagonal in 1 / (w_j - w_i): JAX writes it 1 / (1 + w_j - w_i) - 1, which
    # rounds to about eps * |w| where it should be 0 and skews second derivatives of large eigenvalues by percents
    (a,), (a_dot,) = primals, tangents
    w, v = _eigh(a, lower)
    diagonal = jnp.eye(a.shape[-1], dtype=bool)
    gaps = jnp.where(diagonal, 1, w[..., None, :] - w[..., :, None])
    inverse_gaps = jnp.where(diagonal, 0, 1 / gaps)
    vh = jnp.conj(v).mT
    vh_a_dot_v = jnp.matmul(jnp.matmul(vh, a_dot, precision="highest"), v, precision="highest")
    v_dot = jnp.matmul(v, inverse_gaps * vh_a_dot_v, precision="highest")
    w_dot = jnp.real(jnp.diagonal(vh_a_dot_v, axis1=-2, axis2=-1))
    return (w, v), (w_dot, v_dot)


@op(grad_name="LinalgPinvBackward0", saves=((0, -1),), check=_matrix("linalg.pinv"))
def pinverse(input, rcond=1e-15):
    return jnp.linalg.pinv(input, rtol=rcond)


def matrix_power(input, n, *, out=None):
    """ATen's linalg_matrix_power: a contiguous clone (the identity copied in for n = 0), the inverse for n < 0,
    then matmuls by the bits of n, least significant first. Into out (resized once the result casts safely to it):
    the identity or the input copied, the inverse written, or the last matmul's product (a copy where there is
    none)."""
    from .basic import contiguous_format
    from .creation import eye
    from .linalg import matmul

    _square("linalg.matrix_power")((input,), {})
    if out is not None:
        _out.castable("matrix_power", out, input.dtype)
        _out.resize_out(out, input.shape)
    if n in (0, 1):
        if out is None:
            out = input.clone(memory_format=contiguous_format)
            return out.copy_(eye(input.shape[-1], dtype=input.dtype)) if n == 0 else out
        return out.copy_(eye(input.shape[-1], dtype=input.dtype) if n == 0 else input)
    if n == -1 and out is not None:
        _out.check_out_grad("linalg_inv_ex", (input,), (out,))
        return inverse(input, out=out)
    a = inverse(input) if n < 0 else input
    n = abs(n)
    if n == 2:
        return matmul(a, a, out=out)
    if n == 3:
        return matmul(matmul(a, a), a, out=out)
    z = result = None
    while n:
        n, bit = divmod(n, 2)
        z = a if z is None else matmul(z, z)
        if bit:
            if out is not None and not n:
                return out.copy_(z) if result is None else matmul(result, z, out=out)
            result = z if result is None else matmul(result, z)
    return result


def kron(input, other, *, out=None):
    """ATen's kron: each operand viewed with its dims interleaved with size-1 dims, multiplied, and viewed back.
    Into out: resized, then mul's out= into an _unsafe_view of it (out's version stays)."""
    if out is not None:
        _out.tensor_out("kron", out)
        result = kron(input, other)
        _out.resize_out(out, result.shape)
        _out.check_out_grad("mul", (input, other), (out,))
        R._check_cast(result.dtype, out.dtype)
        return _out.write_out(out, result, versioned=False)
    from .pointwise import mul
    from .shape import _unsafe_view

    n = max(input.dim(), other.dim())
    a = (1,) * (n - input.dim()) + tuple(input.shape)
    b = (1,) * (n - other.dim()) + tuple(other.shape)
    product = mul(
        _unsafe_view(input, tuple(x for d in a for x in (d, 1))),
        _unsafe_view(other, tuple(x for d in b for x in (1, d))),
    )
    return _unsafe_view(product, tuple(x * y for x, y in zip(a, b)))


def _check_cross(args, params):
    a, b = args
    if a.dim() != b.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    dim = params.get("dim")
    if dim is None:
        return {"dim": next((i for i, s in enumerate(a.shape) if s == 3), -1)}
    if a.dim() == 0 and dim in (-1, 0):
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    _wrap_dim(dim, a.dim())
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and {b.shape[dim]}"
        )


@op("cross", n_tensors=2, promote=BINARY, grad_name="LinalgCrossBackward0", saves=((1,), (0,)), check=_check_cross)
def _cross(input, other, dim=None):
    return jnp.cross(input, other, axis=dim)


def cross(input, other, dim=None, *, out=None):
    if out is not None:  # (torch.cross is linalg_cross: refused in its name)
        _out.check_out_grad("linalg_cross", (input, other), (out,))
    return _cross(input, other, dim, out=out)


def tensordot(a, b, dims=2, out=None):
    """torch.tensordot: its Python wrapper's dims, then ATen's: sum away the contracted dims of size 1 against a
    longer one, permute the contracted dims together, and multiply as matrices (mm)."""
    from . import views as _views
    from .linalg import dot, mm
    from .pointwise import mul
    from .reduction import sum
    from .shape import permute, reshape, squeeze

    if isinstance(dims, R._Tensor):
        dims = dims.tolist() if dims.numel() > 1 else int(dims.item())
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims = (list(range(-dims, 0)), list(range(dims)))
    elif not isinstance(dims, (list, tuple)):
        raise RuntimeError(
            "tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] containing two "
            f"lists, but got dims={dims}"
        )
    da, db = (list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    ta, tb, csize = a, b, 1
    for i, j in zip(da, db):
        s1, s2 = a.size(i), b.size(j)
        if s2 == 1:  # (a broadcast dim is summed right away)
            ta = sum(ta, i, True)
        elif s1 == 1:
            tb = sum(tb, j, True)
        elif s1 != s2:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {s1} in dim {i} and second has size {s2} "
                f"in dim {j}"
            )
        else:
            csize *= s1
    ca, cb = _dim_set(da, a.dim()), _dim_set(db, b.dim())
    keep_a = [i for i in range(a.dim()) if i not in ca]
    keep_b = [i for i in range(b.dim()) if i not in cb]
    size_a, size_b = math.prod(a.shape[i] for i in keep_a), math.prod(b.shape[i] for i in keep_b)
    ta = permute(ta, keep_a + [_wrap_dim(d, a.dim()) for d in da])
    tb = permute(tb, [_wrap_dim(d, b.dim()) for d in db] + keep_b)
    shape = tuple(a.shape[i] for i in keep_a) + tuple(b.shape[i] for i in keep_b)
    if size_a == 1 == size_b:  # (one number: a dot of the flattened operands, or a sum of products if either copies)
        if _views._viewable(ta, (ta.numel(),)) and _views._viewable(tb, (tb.numel(),)):
            product = dot(*(t if t.dim() == 1 else reshape(t, (t.numel(),)) for t in (ta, tb)))
        else:
            product = sum(mul(squeeze(ta), squeeze(tb)))
    else:
        product = mm(reshape(ta, (size_a, csize)), reshape(tb, (csize, size_b)))
    if out is not None:
        if out.requires_grad and tuple(out.shape) != shape:
            raise RuntimeError(
                "tensordot(): the 'out' tensor was specified and requires gradients, and its shape does not match the "
                "expected result. Either remove the 'out' argument, ensure it does not require gradients, or make sure "
                "its shape matches the expected output."
            )
        if out.dtype is not a.dtype:
            raise RuntimeError(
                f"tensordot: Expected the output tensor to have dtype {R._type_word(a.dtype)}, but got an output "
                f"tensor with dtype {R._type_word(out.dtype)}"
            )
        return _out.copy_out(out, reshape(product, shape))  # (tensordot's out= is a composite's copy)
    return reshape(product, shape)


def _dim_set(dims, n) -> set:
    """ATen's dim_list_to_bitset: the wrapped dims, each at most once."""
    seen = set()
    for d in dims:
        w = _wrap_dim(d, n)
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)
    return seen


def _pnorm(d, p, axis):
    if p == 2:  # torch's backward is 0 at distance 0 (a plain sqrt would give nan)
        return _norm_sqrt(jnp.sum(d * d, axis=axis))
    if p == float("inf"):
        return jnp.max(jnp.abs(d), axis=axis)
    if p == 0:
        return jnp.sum(d != 0, axis=axis).astype(d.dtype)
    if p == 1:  # torch's subgradient of |x| at 0 is 0
        return jnp.sum(_abs(d), axis=axis)
    s = jnp.sum(_abs(d) ** p, axis=axis)
    # 0 at distance 0 with a 0 derivative there, as torch's norm backward masks it
    zero = s == 0
    return jnp.where(zero, 0, jnp.where(zero, 1, s) ** (1.0 / p))


@op(n_tensors=2, promote=BINARY, grad_name="CdistBackward0", saves=((0, 1, -1), (0, 1, -1)), method=False)
def cdist(x1, x2, p=2.0, compute_mode=None):
    return _pnorm(x1[..., :, None, :] - x2[..., None, :, :], p, -1)


@functools.partial(jax.custom_jvp, nondiff_argnums=(4,))
def _cdist_gradient(grad, x1, x2, result, p):
    """torch's CPU _cdist_backward: per pair of rows, the p-norm's derivative by the difference (0 where the
    distance is 0, and where a difference is 0 for p < 1), summed over x2's rows."""
    diff = x1[..., :, None, :] - x2[..., None, :, :]
    g, dist = grad[..., None], result[..., None]
    zero = jnp.zeros_like(diff)
    if p == 0:
        return jnp.zeros_like(x1)
    if p == 1:
        per_pair = g * jnp.sign(diff)
    elif p == float("inf"):
        per_pair = g * jnp.sign(diff) * (jnp.abs(diff) == dist)
    else:
        safe = jnp.where(dist == 0, jnp.ones_like(dist), dist)
        if p == 2:
            per_pair = g * diff / safe
        elif p < 2:
            per_pair = jnp.abs(diff) ** (p - 1) * jnp.sign(diff) * g / safe ** (p - 1)
            per_pair = jnp.where((diff == 0) & (p < 1), zero, per_pair)
        else:
            per_pair = diff * jnp.abs(diff) ** (p - 2) * g / safe ** (p - 1)
        per_pair = jnp.where(dist == 0, zero, per_pair)
    return per_pair.sum(-2)


@_cdist_gradient.defjvp
def _cdist_gradient_jvp(p, primals, tangents):
    raise NotImplementedError("the derivative for '_cdist_backward' is not implemented.")


_cdist_backward = F.named_call("_cdist_backward", _cdist_gradient, static_argnums=4)


def _cdist_formula(grad, result, params, inputs):
    # torch's: one _cdist_backward node per input (which has no derivative of its own), x2's reading the
    # transposed gradient and result, each cloned contiguous
    x1, x2 = inputs
    p = params.get("p", 2.0)
    g1 = _cdist_backward(grad, x1, x2, result, p)
    g2 = _cdist_backward(F.clone(F.transpose(grad, -1, -2)), x2, x1, F.clone(F.transpose(result, -1, -2)), p)
    return g1, g2


R.OPS["cdist"].result_grad = _cdist_formula


@op(
    n_tensors=2,
    promote=FLOAT,
    grad_name="DistBackward0",
    saves=((0, 1, -1), (0, 1, -1)),
    check=_broadcast_check,
)
def dist(input, other, p=2):
    d = (input - other).reshape(-1)
    if d.size == 1 and p != 0:  # (torch's norm reduces nothing there: |d| itself, never underflowing through d ** p)
        return _abs(d[0])
    return _pnorm(d, p, None)


def _dist_backward(grad, result, params, inputs):
    # torch's dist_backward: norm_backward of the difference in terms of the saved result, so its double
    # backward cancels where torch's does and a norm underflowing in p-th powers gives torch's nan
    input, other = inputs
    g = _vector_norm_backward(grad, result, {"ord": params.get("p", 2)}, (input - other,))
    if g is None:  # (p = 0 counts: torch's gradient is undefined, and negating it for other fails)
        return None, RuntimeError(
            "Expected a proper Tensor but got None (or an undefined Tensor in C++) for argument #0 'self'"
        )
    return F.sum_to(g, jnp.shape(input)), F.sum_to(-g, jnp.shape(other))


R.OPS["dist"].result_grad = _dist_backward


@op("_block_diag", promote=BINARY, grad_name="BlockDiagBackward0", varargs=True, method=False)
def _block_diag(tensors):
    return jsl.block_diag(*tensors)


def block_diag(*tensors):
    return _block_diag(tensors)


@op(n_tensors=3, promote=BINARY, grad_name="BaddbmmBackward0", saves=((), (2,), (1,)))
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    prod = _blas(jnp.matmul(batch1, batch2))
    if alpha != 1:
        prod = prod * alpha
    return prod + (input * beta if beta != 1 else input)


R.OPS["baddbmm"].gemm_grads = (1, 2)


def multi_dot(tensors):
    """ATen's multi_dot: vectors at the ends as a row and a column, then mm in the cheapest order (matrix-chain
    order for four or more), viewed as the result's shape."""
    from .linalg import _C_NAMES, mm
    from .shape import unsqueeze, view

    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    shape = []
    for i, which in ((0, "first"), (n - 1, "last")):
        if ts[i].dim() not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {which} tensor must be 1D or 2D but got {ts[i].dim()}D")
    for i in range(1, n - 1):
        if ts[i].dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].dim()}D")
    mats = list(ts)
    if ts[0].dim() == 1:
        mats[0] = unsqueeze(ts[0], 0)
    else:
        shape.append(ts[0].shape[0])
    if ts[-1].dim() == 1:
        mats[-1] = unsqueeze(ts[-1], -1)
    else:
        shape.append(ts[-1].shape[1])
    for i in range(1, n):
        if mats[i].dtype is not mats[0].dtype:
            raise RuntimeError(
                f"multi_dot(): all tensors must have be the same dtype but tensor 0 is {_C_NAMES[mats[0].dtype._name]} "
                f"and tensor {i} {_C_NAMES[mats[i].dtype._name]}"
            )
        if mats[i - 1].shape[-1] != mats[i].shape[0]:
            raise RuntimeError(
                f"multi_dot(): tensors {i - 1} and {i} with shapes {list(ts[i - 1].shape)} and {list(ts[i].shape)} "
                "cannot be multiplied"
            )
    if n == 3:
        a, b, c, d = mats[0].shape[0], mats[1].shape[0], mats[2].shape[0], mats[2].shape[1]
        if a * c * (b + d) > b * d * (a + c):
            result = mm(mats[0], mm(mats[1], mats[2]))
        else:
            result = mm(mm(mats[0], mats[1]), mats[2])
    else:
        split = _matrix_chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])

        def chain(i, j):
            return mats[i] if i == j else mm(chain(i, split[i][j]), chain(split[i][j] + 1, j))

        result = chain(0, n - 1)
    return view(result, tuple(shape))


def _matrix_chain_order(p):
    """The textbook dynamic program: split[i][j], where multiplying matrices i..j splits (matrix i is p[i] x p[i+1])."""
    n = len(p) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


# LAPACK's results come back as column-major matrices (torch's strides; a view() of them can fail)
for _name, _outputs in (
    ("inverse", (0,)),
    ("_linalg_cholesky", (0,)),
    ("cholesky", (0,)),
    ("_linalg_qr", (0, 1)),
    ("_linalg_svd", (0, 2)),
    ("_linalg_eigh", (1,)),
):
    R.OPS[_name].column_major = lambda params, _outputs=_outputs: _outputs
R.OPS["_linalg_solve"].column_major = lambda params: (0,) if params.get("left", True) else ()
