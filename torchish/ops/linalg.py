"""Matrix products. torch's matmul decomposes by rank; the grad_fn names follow that decomposition."""

from __future__ import annotations

import math
import warnings

import jax.numpy as jnp

from ..autograd import grad_mode as _gm
from ..autograd.lowering import unsigned_zeros
from . import _formulas as F
from . import _registry as R
from ._registry import _C_NAMES, BINARY, op
from .views import _history_first


def _same_dtype(a, b, style):
    if a.dtype is not b.dtype:
        if style == "dot":
            raise RuntimeError(
                f"dot : expected both vectors to have same dtype, but found {R._type_word(a.dtype)} and "
                f"{R._type_word(b.dtype)}"
            )
        if style == "mv":  # (mv is addmv into a tensor of vec's dtype)
            words = (R._type_word(b.dtype), R._type_word(a.dtype), R._type_word(b.dtype))
            raise RuntimeError("addmv input tensors must have the same dtype, but got {}, {}, and {}".format(*words))
        if style == "bmm":
            raise RuntimeError(f"expected scalar type {R._type_word(a.dtype)} but found {R._type_word(b.dtype)}")
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[a.dtype._name]} != "
            f"{_C_NAMES[b.dtype._name]}"
        )


def _check_matmul(args, params):
    x, y = args
    sx, sy = x._value.shape, y._value.shape
    if not sx or not sy:  # torch's matmul checks this itself, before the dot/mv/mm it calls reads histories
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(sx)}D and {len(sy)}D")
    _history_first(x)
    _history_first(y)
    if len(sx) == 2 == len(sy) and sx[1] == sy[0] and x._value.dtype == y._value.dtype:
        return  # the common case, without building the error texts' inputs
    a, b = x.dim(), y.dim()
    sx, sy = tuple(x.shape), tuple(y.shape)
    if a == 1 and b == 1:
        _same_dtype(x, y, "dot")
        if sx != sy:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{sx[0]}] and src [{sy[0]}] to have the same number of "
                f"elements, but got {sx[0]} and {sy[0]} elements respectively"
            )
        return
    _check_matmul_sizes(sx, sy)
    if a == 3 == b and not (x.numel() and y.numel()):
        return  # (bmm of no elements returns before its dtype check)
    _same_dtype(x, y, "mv" if (a, b) == (2, 1) else "bmm" if a == 3 == b else "mm")


def _check_matmul_sizes(sx, sy) -> None:
    """The size errors of the kernel torch's matmul folds into (each precedes its kernel's dtype check)."""
    a, b = len(sx), len(sy)
    if a == 2 and b == 1:
        if sx[1] != sy[0]:
            raise RuntimeError(f"size mismatch, got input ({sx[0]}), mat ({sx[0]}x{sx[1]}), vec ({sy[0]})")
        return
    if b <= 2 and a <= 2:
        m1 = sx if a == 2 else (1, sx[0])
        if m1[1] != sy[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1[0]}x{m1[1]} and {sy[0]}x{sy[1]})")
        return
    k1 = sx[-1]
    k2 = sy[-2] if b >= 2 else sy[0]
    if b <= 2:
        rows = math.prod(sx[:-1])
        if k1 != k2 and b == 1:  # (torch folds x to 2-D and calls mv)
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k1}), vec ({sy[0]})")
        if k1 != k2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k1} and {sy[0]}x{sy[-1]})")
        return
    bx, by = sx[:-2] if a >= 2 else (), sy[:-2]
    for i in range(1, min(len(bx), len(by)) + 1):
        p, q = bx[-i], by[-i]
        if p != q and p != 1 and q != 1:
            raise RuntimeError(
                f"The size of tensor a ({p}) must match the size of tensor b ({q}) at non-singleton dimension "
                f"{max(len(bx), len(by)) - i}"
            )
    if k1 != k2:  # (bmm over the broadcast batch dims, folded into one)
        batch = 1
        for i in range(1, max(len(bx), len(by)) + 1):
            batch *= max(bx[-i] if i <= len(bx) else 1, by[-i] if i <= len(by) else 1)
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k1}] but got: [{batch}, {k2}]."
        )


@op(
    "_matmul",
    n_tensors=2,
    promote=BINARY,
    grad_name="UnsafeViewBackward0",  # (only matmul's out= form runs this op, and torch records none of those)
    saves=((1,), (0,)),
    check=_check_matmul,
    method=False,
)
def _matmul(input, other):
    return _blas(jnp.matmul(input, other))


R.OPS["_matmul"].history_first = False  # (_check_matmul)


@op("_squeeze_", grad_name="SqueezeBackward4", method=False)
def _squeeze_(input):
    return input[0]


def matmul(input, other, *, out=None):
    if out is not None or not (isinstance(input, R._Tensor) and isinstance(other, R._Tensor)):
        return _matmul(input, other, out=out)
    if not input.dim() or not other.dim():
        _check_matmul((input, other), {})
    return _matmul_impl(input, other)


def _matmul_impl(x, y):
    """ATen's matmul, op by op (its graph is these ops' nodes): dot, mv, mm, the larger operand's batch folded
    into mm / mv, or both expanded to one batch for bmm."""
    from .pointwise import _broadcast_shapes
    from .shape import _unsafe_view, expand, reshape, squeeze, t, transpose, unsqueeze

    a, b = x.dim(), y.dim()
    if a == 1 and b == 1:
        return dot(x, y)
    if a == 2 and b == 1:
        return mv(x, y)
    if a == 1 and b == 2:
        # the in-place squeeze_ of the fresh mm result leaves it at version 1
        result = _squeeze_(mm(unsqueeze(x, 0), y))
        result._version_counter[0] = 1
        return result
    if a == 2 and b == 2:
        return mm(x, y)
    if _should_fold(x, y):
        flip = b > a  # (y.mT @ x.mT).mT
        big = transpose(y, -2, -1) if flip else x
        small = (t(x) if a == 2 else x) if flip else y
        shape = tuple(big.shape[:-1])
        folded = reshape(big, (math.prod(shape), big.shape[-1]))
        if small.dim() == 1:
            return _unsafe_view(mv(folded, small), shape)
        out = _unsafe_view(mm(folded, small), (*shape, small.shape[1]))
        return transpose(out, -2, -1).contiguous() if flip else out
    n, k = (x.shape[-2] if a > 1 else 1), x.shape[-1]
    k2, p = (y.shape[-2], y.shape[-1]) if b > 1 else (y.shape[0], 1)
    bx, by = tuple(x.shape[:-2]), tuple(y.shape[:-2])
    if a == 3 == b and bx[0] != by[0]:  # a lone batch of one that needs grad is squeezed away, not expanded
        if bx[0] == 1 and x.requires_grad:
            return _matmul_impl(squeeze(x, 0), y)
        if by[0] == 1 and y.requires_grad:
            return _matmul_impl(x, squeeze(y, 0))
    batch = _broadcast_shapes([bx, by])
    size = math.prod(batch)
    xs = reshape(expand(x, (*batch, n, k)), (size, n, k))
    if b == 1:
        out = squeeze(bmm(xs, unsqueeze(reshape(expand(y, (*batch, k2)), (size, k2)), 2)), -1)
    else:
        out = bmm(xs, reshape(expand(y, (*batch, k2, p)), (size, k2, p)))
    return _unsafe_view(out, batch + ((n,) if a > 1 else ()) + ((p,) if b > 1 else ()))


def _should_fold(x, y) -> bool:
    """ATen's should_fold: fold the larger operand's batch into one matrix when the smaller needs grad (its
    gradient then needs no batch-sized intermediate), or when the fold is a view."""
    larger = x.dim() >= y.dim()
    big, small = (x, y) if larger else (y, x)
    if not (big.dim() >= 3 and small.dim() <= 2):
        return False
    if small.requires_grad:
        return True
    if x.dim() == 2:
        return False
    if big.numel() == 0:
        return True
    shape, strides = list(big.shape), list(big.stride())
    if not larger:  # (of y.mT)
        shape[-2:], strides[-2:] = shape[:-3:-1], strides[:-3:-1]
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(big.dim() - 2))


def _blas(r):
    """A BLAS product's result: its sums start from +0.0, so an all -0.0 sum of products comes out +0.0."""
    return unsigned_zeros(r) if r.dtype.kind == "f" else r


def _check_mm(args, params):
    x, y = args
    if x.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if y.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_matmul(args, params)


def _column_major(t) -> bool:
    """torch's mm_mat1/mat2_backward test: a column-major matrix gets its gradient as t(mm(...)) (column order)."""
    source = t.__dict__.get("_transpose_of")  # (F.linear's weight.t())
    if source is not None:
        strides, sizes = source.stride()[::-1], tuple(source.shape)[::-1]
    else:
        strides, sizes = t.stride(), t.shape
    return strides[0] == 1 and strides[1] == sizes[0]


def _matrix_layouts(*mats):
    """The column-major flags torch's mm formulas branch on, recorded where a backward may need them."""
    if not (_gm.is_grad_enabled() and any(m.requires_grad for m in mats)):
        return (False,) * len(mats)
    return tuple(_column_major(m) for m in mats)


def _check_mm_layouts(args, params):
    _check_mm(args, params)
    return {"layouts": _matrix_layouts(*args)}


@op(n_tensors=2, promote=BINARY, grad_name="MmBackward0", saves=((1,), (0,)), check=_check_mm_layouts)
def mm(input, mat2, layouts=(False, False)):
    return _blas(jnp.matmul(input, mat2))


_t_call = F.t


def _mm_grads(g, a, b, layouts, alpha=1):
    """torch's mm_mat1_backward / mm_mat2_backward (alpha scales both), a column-major operand's gradient as the
    transpose of a product; in torch's terms, so a create_graph history has its MmBackward0 / TBackward0 nodes."""
    ga = _t_call(jnp.matmul(b, _t_call(g))) if layouts[0] else jnp.matmul(g, _t_call(b))
    gb = _t_call(jnp.matmul(_t_call(g), a)) if layouts[1] else jnp.matmul(_t_call(a), g)
    if alpha != 1:
        ga, gb = ga * alpha, gb * alpha
    return _blas(ga), _blas(gb)


R.OPS["mm"].result_grad = lambda g, y, p, x: _mm_grads(g, x[0], x[1], p["layouts"])


def _transpose_call(m):
    return F.transpose(m, 1, 2)


_bmm_call = F.named_call("bmm", jnp.matmul)
_mv_call = F.named_call("mv", jnp.matmul)
_broadcast_mul = F.named_call("broadcast_mul", jnp.multiply)  # (torch's mul broadcasts inside its one node)


def _check_bmm(args, params):
    x, y = args
    if x.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if y.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_matmul(args, params)


@op(n_tensors=2, promote=BINARY, grad_name="BmmBackward0", saves=((1,), (0,)), check=_check_bmm)
def bmm(input, mat2):
    return _blas(jnp.matmul(input, mat2))


# torch's formulas in its terms (bmm of transposes; mv's grad.ger(vec) and self.t().mv(grad); dot's products)
R.OPS["bmm"].result_grad = lambda g, y, p, x: (
    _blas(_bmm_call(g, _transpose_call(x[1]))),
    _blas(_bmm_call(_transpose_call(x[0]), g)),
)


def _check_dot(args, params):
    x, y = args
    if x.dim() != 1 or y.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.dim()}D and {y.dim()}D tensors")
    _check_matmul(args, params)


@op(n_tensors=2, promote=BINARY, grad_name="DotBackward0", saves=((1,), (0,)), check=_check_dot)
def dot(input, tensor):
    return _blas(jnp.dot(input, tensor))


@op(n_tensors=2, promote=BINARY, grad_name="MvBackward0", saves=((1,), (0,)), check=_check_matmul)
def mv(input, vec):
    return _blas(jnp.matmul(input, vec))


R.OPS["mv"].result_grad = lambda g, y, p, x: (_broadcast_mul(g.reshape(-1, 1), x[1]), _blas(_mv_call(_t_call(x[0]), g)))
R.OPS["dot"].result_grad = lambda g, y, p, x: (g * x[1], g * x[0])


def outer(input, vec2, *, out=None):
    """ATen's outer: input.reshape(n, 1) * vec2 (into out, that mul's out=)."""
    from .pointwise import mul
    from .shape import reshape

    for t, name in ((input, "self"), (vec2, "vec2")):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return mul(reshape(input, (input.shape[0], 1)), vec2, out=out)


def ger(input, vec2, *, out=None):
    if out is not None:  # (ATen's ger_out warns on every call; ger itself does not)
        warnings.warn(
            "torch.ger is deprecated and will be removed in a future PyTorch release. Use torch.outer instead. "
            "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:1270.)",
            UserWarning,
            stacklevel=R._user_stacklevel(),
        )
    return outer(input, vec2, out=out)


def _check_addmm_layouts(args, params):
    return {"layouts": _matrix_layouts(args[1], args[2])}


@op(
    n_tensors=3, promote=BINARY, grad_name="AddmmBackward0", saves=((), (2,), (1,)), inplace=True,
    check=_check_addmm_layouts,
)  # fmt: skip
def addmm(input, mat1, mat2, *, beta=1, alpha=1, layouts=(False, False)):
    prod = jnp.matmul(mat1, mat2)
    if alpha != 1:
        prod = prod * alpha
    return prod + (input * beta if beta != 1 else input)


def _addmm_backward(g, y, p, x):
    from ._formulas import sum_to

    g_input = g if p.get("beta", 1) == 1 else g * p["beta"]  # (maybe_multiply; the engine sums it to input's shape)
    return (sum_to(g_input, x[0].shape), *_mm_grads(g, x[1], x[2], p["layouts"], p.get("alpha", 1)))


R.OPS["addmm"].result_grad = _addmm_backward


@op(n_tensors=3, promote=BINARY, grad_name="TrilinearBackward0", saves=((1, 2), (0, 2), (0, 1)), method=False)
def _trilinear(i1, i2, i3, expand1, expand2, expand3, sumdim, unroll_dim=1):
    """(i1.unsqueeze(expand1) * i2.unsqueeze(expand2) * i3.unsqueeze(expand3)).sum(sumdim), one contraction."""
    total = i1.ndim + len(expand1)
    letters = "abcdefghijklmnopqrstuvwxyz"[:total]

    def term(expand):
        return "".join(c for d, c in enumerate(letters) if d not in expand)

    out = "".join(c for d, c in enumerate(letters) if d not in sumdim)
    return jnp.einsum(f"{term(expand1)},{term(expand2)},{term(expand3)}->{out}", i1, i2, i3)


# torch's backward of these computes the matrices' gradients with mm / bmm / mv (dot's and mv's matrix's with a
# plain product, which keeps -0.0)
for _name, _inputs in (("mm", (0, 1)), ("bmm", (0, 1)), ("mv", (1,)), ("addmm", (1, 2))):
    R.OPS[_name].gemm_grads = _inputs


def _scaled_sum(product, input, beta, alpha):
    """beta * input + alpha * product as torch's BLAS kernels form it: beta == 0 ignores input (its NaNs too)."""
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + jnp.zeros_like(input)  # (input only broadcast)
    return product + (input * beta if beta != 1 else input)


def _expands_to(input, size) -> None:
    from .shape import _check_expand

    _check_expand((input,), {"size": tuple(size)})


def _check_addmv(args, params):
    input, mat, vec = args
    if not (mat.dim() == 2 and vec.dim() == 1 and input.dim() <= 1):
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.dim()}, {mat.dim()}, {vec.dim()}")
    n = input.numel()
    if mat.shape[1] != vec.shape[0] or not (mat.shape[0] == n or n == 1):
        shown = input.shape[0] if input.dim() else n
        raise RuntimeError(
            f"size mismatch, got input ({shown}), mat ({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})"
        )
    if not input.dtype == mat.dtype == vec.dtype:
        words = ", ".join(R._type_word(t.dtype) for t in (input, mat)) + f", and {R._type_word(vec.dtype)}"
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {words}")


@op(n_tensors=3, promote=BINARY, grad_name="AddmvBackward0", saves=((), (2,), (1,)), check=_check_addmv, inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(_blas(jnp.matmul(mat, vec)), jnp.broadcast_to(input, (mat.shape[0],)), beta, alpha)


def _check_addr(args, params):
    input, vec1, vec2 = args
    for t, name in ((vec1, "vec1"), (vec2, "vec2")):
        if t.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.dim()}-D")
    integral = all(not (t.dtype.is_floating_point or t.dtype.is_complex) for t in args)
    for name in ("beta", "alpha"):
        if integral and isinstance(params.get(name, 1), float):
            raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")
    _expands_to(input, (vec1.shape[0], vec2.shape[0]))


@op(n_tensors=3, promote=BINARY, grad_name="AddrBackward0", saves=((), (2,), (1,)), check=_check_addr, inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    # torch's elementwise kernel: beta * self + alpha * vec1 * vec2 (bool: or / and)
    outer = vec1[:, None] * vec2[None, :]
    input = jnp.broadcast_to(input, outer.shape)
    if outer.dtype == jnp.bool_:
        return (bool(beta) & input) | (bool(alpha) & outer)
    if beta == 0:
        return alpha * outer if alpha != 1 else outer
    return beta * input + (alpha * outer if alpha != 1 else outer)


def _check_addbmm(args, params):
    input, b1, b2 = args
    if b1.dim() == 3 and b2.dim() == 3 and b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1.shape[0]} and {b2.shape[0]}")
    if b1.dim() == 3 and b2.dim() == 3 and b1.shape[2] != b2.shape[1]:
        raise RuntimeError(
            f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and {b2.shape[1]}x{b2.shape[2]})"
        )
    _expands_to(input, (b1.shape[1], b2.shape[2]))
    if b1.dtype != b2.dtype:
        raise RuntimeError(
            f"mat1 and mat2 must have the same dtype, but got {R._type_word(b1.dtype)} and {R._type_word(b2.dtype)}"
        )


# (no addbmm_: torch's resizes a target of another shape to the result's)
@op(n_tensors=3, promote=BINARY, grad_name="AddbmmBackward0", saves=((), (2,), (1,)), check=_check_addbmm)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    product = _blas(jnp.einsum("bij,bjk->ik", batch1, batch2))
    return _scaled_sum(product, jnp.broadcast_to(input, product.shape), beta, alpha)


def _bad_inplace_call(target, out, args) -> str:
    return f"Bad in-place call: input tensor size {list(target)} and output tensor size {list(out)} should match"


def _addr_inplace_error(target, out, args) -> str:
    if len(target) != 2:
        return f"2D tensor expected, got {len(target)}D tensor for input"
    return f"size mismatch, input: {list(target)}, v1: [{out[0]}], v2: [{out[1]}]"


R.OPS["addmm"].inplace_shape_error = R.OPS["addmv"].inplace_shape_error = _bad_inplace_call
R.OPS["addr"].inplace_shape_error = _addr_inplace_error
