"""Shape ops: views (reshape, transpose, squeeze, ...) and joins (cat, stack).

View ops are marked `view=True`: the result shares its base's version counter and is kept in step
with the base on in-place writes (see views.py).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import _wrap_dim
from . import _formulas as F
from . import _registry as R
from . import views as _views
from ._argparse import MISSING, _fits, _is_index, as_ints, check_overloads, int_list, int_list_param, parsed
from ._registry import BINARY, SAME, op


def _infer_shape(shape, numel):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape {shape}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


@op("_view", grad_name="ViewBackward0", method=False)
def _view(input, shape):
    return jnp.reshape(input, shape)


def view(input, *shape, dtype=None, size=MISSING):
    """Tensor.view(*size) or view(dtype): torch's two overloads."""
    simple = dtype is None and size is MISSING and shape and (_is_index(shape[0]) or len(shape) == 1)
    if not simple or not _is_index(shape[0]) and not _fits("tuple of ints", shape[0]):
        kwargs = {k: v for k, v in (("dtype", dtype), ("size", size)) if v is not (None if k == "dtype" else MISSING)}
        check_overloads("view", _VIEW_OVERLOADS, shape, kwargs)
        if dtype is not None or shape and isinstance(shape[0], D.dtype):
            return _view_dtype(input, dtype if dtype is not None else shape[0])
    shape = int_list_param("view", "size", shape, size)
    _views._history_first(input)
    size = _infer_shape(shape, input.numel())
    _check_viewable(input, size)
    return _view(input, size)


_VIEW_OVERLOADS = ("torch.dtype dtype", "tuple of ints size")


def _view_dtype(input, dtype):
    """Tensor.view(dtype): the same storage read as another dtype; no autograd view, no history (as torch)."""
    src, dst = input.dtype.itemsize, dtype.itemsize
    if src != dst:
        what = f"to view {R._type_word(input.dtype)} as {R._type_word(dtype)} (different element sizes)"
        if input.dim() == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        strides, offset, k = input.stride(), input.storage_offset(), max(src, dst) // min(src, dst)
        checks = [] if src > dst else [("self.size(-1)", input.shape[-1]), ("self.storage_offset()", offset)]
        for name, got in checks:
            if got % k:
                raise RuntimeError(f"{name} must be divisible by {k} {what}, but got {got}")
        if strides[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        for d in range(input.dim() - 1 if src < dst else 0):
            if strides[d] % k:
                raise RuntimeError(f"self.stride({d}) must be divisible by {k} {what}, but got {strides[d]}")
    value = input._value
    result = R._Tensor._make(value.view(D._jnp_dtype(dtype)))
    result._version_counter = input._version_counter
    if not isinstance(value, jax.core.Tracer):  # (as detach: a traced value has no storage to share)
        _views._alias(result, input, _views._BitcastKernel(value.dtype, result._value.dtype))
    return result


def _check_viewable(input, size) -> None:
    if not _views._viewable(input, size):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across "
            "two contiguous subspaces). Use .reshape(...) instead."
        )


@op(
    "_unsafe_view",
    grad_name="UnsafeViewBackward0",
    method=False,
    check=lambda args, params: _check_viewable(args[0], params["shape"]),
)
def _unsafe_view_op(input, shape):
    return jnp.reshape(input, shape)


def _unsafe_view(input, shape):
    """ATen's _unsafe_view: a view's strides without a view's history (its result is no view for autograd)."""
    result = _unsafe_view_op(input, shape)
    if result.dim() > 1 and not _views._is_contiguous(input):
        strides = _views._view_strides(tuple(input.shape), input.stride(), tuple(result.shape))
        if strides != _views._contiguous_strides(tuple(result.shape)):
            result._perm = tuple(sorted(range(result.dim()), key=lambda d: (-strides[d], d)))
    return result


@op("_reshape_alias", grad_name="ReshapeAliasBackward0", method=False)
def _reshape_alias(input, shape):
    return jnp.reshape(input, shape)


def reshape(input, *args, shape=MISSING):
    """Tensor.reshape(*shape) (and the internal callers'); torch.reshape(input, shape) is _reshape_function."""
    shape = int_list_param("reshape", "shape", args, shape)
    _views._history_first(input)
    size = _infer_shape(shape, input.numel())
    if _views._viewable(input, size):
        # torch views a contiguous tensor; a strided one it can still view goes through _reshape_alias
        return _view(input, size) if _views._is_contiguous(input) else _reshape_alias(input, size)
    # torch copies what no view can express: clone, then a reshape that is not a view of the clone
    from .basic import contiguous_format

    return _unsafe_view(input.clone(memory_format=contiguous_format), size)


def _reshape_function(input, *args, shape=MISSING):
    return reshape(input, int_list_param("reshape", "shape", args, shape, taken=2, varargs=False))


def view_as(input, other):
    return view(input, tuple(other.shape))


def reshape_as(input, other):
    return reshape(input, tuple(other.shape))


def _check_transpose(args, params):
    n = args[0]._value.ndim
    _wrap_dim(params["dim0"], n)
    _wrap_dim(params["dim1"], n)


@op(grad_name="TransposeBackward0", check=_check_transpose)
def transpose(input, dim0, dim1):
    if input.ndim == 0:
        return input
    return jnp.swapaxes(input, _wrap_dim(dim0, input.ndim), _wrap_dim(dim1, input.ndim))


R.OPS["transpose"].result_grad = lambda g, y, p, x: F.transpose(
    g, _wrap_dim(p["dim0"], g.ndim) if g.ndim else 0, _wrap_dim(p["dim1"], g.ndim) if g.ndim else 0
)


@parsed("Tensor input, int axis0, int axis1")
def swapaxes(input, axis0, axis1):
    """transpose under numpy's names for its dims."""
    return transpose(input, axis0, axis1)


@parsed("Tensor input, int dim0, int dim1")
def swapdims(input, dim0, dim1):
    return transpose(input, dim0, dim1)


def _check_t(args, params):
    n = args[0]._value.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")


@op(grad_name="TBackward0", check=_check_t)
def t(input):
    return input.T if input.ndim == 2 else input


R.OPS["t"].result_grad = lambda g, y, p, x: F.t(g)  # (torch's grad.t(): a TBackward0 node, in 1-D too)


def _check_permute(args, params):
    n = args[0]._value.ndim
    dims = params["dims"]
    if len(dims) != n:
        raise RuntimeError(
            "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}"
        )
    wrapped = [_wrap_dim(d, n) for d in dims]
    if len(set(wrapped)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")


@op("_permute", grad_name="PermuteBackward0", method=False, check=_check_permute)
def _permute(input, dims):
    return jnp.transpose(input, tuple(d % input.ndim for d in dims)) if input.ndim else input


R.OPS["_permute"].result_grad = lambda g, y, p, x: F.permute(
    g, tuple(sorted(range(g.ndim), key=lambda d: p["dims"][d] % g.ndim))
)  # (torch's permute of the gradient: a PermuteBackward0 node, for an identity permute too)


def permute(input, *args, dims=MISSING):
    """Tensor.permute(*dims); torch.permute(input, dims) is _permute_function."""
    dims = int_list_param("permute", "dims", args, dims)  # (the arg parser's errors, before autograd's reads)
    _views._history_first(input)
    return _permute(input, dims)


def _permute_function(input, *args, dims=MISSING):
    return permute(input, int_list_param("permute", "dims", args, dims, taken=2, varargs=False))


def _check_unsqueeze(args, params):
    _wrap_dim(params["dim"], args[0]._value.ndim + 1)


@op(grad_name="UnsqueezeBackward0", check=_check_unsqueeze)
def unsqueeze(input, dim):
    return jnp.expand_dims(input, _wrap_dim(dim, input.ndim + 1))


def _squeeze_name(params, args):
    d = params.get("dim")
    return "SqueezeBackward0" if d is None else "SqueezeBackward1" if isinstance(d, int) else "SqueezeBackward2"


def _check_squeeze(args, params):
    d = params.get("dim")
    n = args[0]._value.ndim
    if d is not None:
        for x in (d,) if isinstance(d, int) else d:
            _wrap_dim(x, n)


@op(grad_name=_squeeze_name, check=_check_squeeze)
def squeeze(input, dim=None):
    if input.ndim == 0:
        return input
    if dim is None:
        return jnp.squeeze(input)
    dims = (dim,) if isinstance(dim, int) else dim
    axes = tuple(a for a in {_wrap_dim(d, input.ndim) for d in dims} if input.shape[a] == 1)
    return jnp.squeeze(input, axes) if axes else input


@parsed("Tensor input, int start_dim = 0, int end_dim = -1")
def flatten(input, start_dim=0, end_dim=-1):
    # torch's flatten checks its dims before any inner op reads the history (and start == end reads none)
    n = input.dim()
    s, e = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if n == 0:
        return reshape(input, 1)
    if s == e:
        return input
    shp = tuple(input.shape)
    mid = 1
    for x in shp[s : e + 1]:
        mid *= x
    return reshape(input, shp[:s] + (mid,) + shp[e + 1 :])


@parsed("Tensor input, int dim, tuple of ints sizes")
def unflatten(input, dim, sizes):
    _views._history_first(input)
    shp = tuple(input.shape)
    d = _wrap_dim(dim, len(shp))
    sizes = int_list("unflatten", "sizes", sizes, 2)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    try:
        inner = _infer_shape(sizes, shp[d])
    except RuntimeError as e:  # (torch rewords infer_size's mismatch; its other errors come with a C++ backtrace)
        if not str(e).startswith("shape '"):
            raise RuntimeError(f"unflatten got an unexpected error:\n{e}") from None
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} ({shp[d]}) in the "
            "input tensor"
        ) from None
    return reshape(input, shp[:d] + inner + shp[d + 1 :])


def _unflatten_method(self, dim, sizes):
    if not sizes:  # (torch's Tensor.unflatten is Python: it says so before its parser sees the sizes)
        raise RuntimeError("unflatten: sizes must be non-empty")
    return unflatten.method(self, dim, sizes)


def _check_expand(args, params):
    shp = args[0]._value.shape
    size = params["size"]
    if len(size) < len(shp):
        w = R._type_word(args[0].dtype)  # torch prints the legacy type name, or the backend's for newer dtypes
        kind = f"CPU{w}Type" if w in ("Bool", "BFloat16") or w.startswith("Complex") else f"torch.{w}Tensor"
        raise RuntimeError(
            f"expand({kind}{{{list(shp)}}}, size={list(size)}): the number of sizes provided "
            f"({len(size)}) must be greater or equal to the number of dimensions in the tensor ({len(shp)})"
        )
    lead = len(size) - len(shp)
    out = [0] * len(size)
    for i in reversed(range(len(size))):  # torch checks from the last dimension
        s = size[i]
        if i < lead:
            if s == -1:
                raise RuntimeError(
                    f"The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}"
                )
            out[i] = s
            continue
        cur = shp[i - lead]
        if s == -1:
            out[i] = cur
        elif cur != 1 and cur != s:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(size)}.  Tensor sizes: {list(shp)}"
            )
        else:
            out[i] = s
    return {"size": tuple(out)}


@op("_expand", grad_name="ExpandBackward0", method=False, check=_check_expand)
def _expand(input, size):
    return jnp.broadcast_to(input, size)


def expand(input, *sizes, size=MISSING, implicit=False):
    sizes = int_list_param("expand", "size", sizes, size)
    _views._history_first(input)
    return _expand(input, sizes)


def expand_as(input, other):
    return _expand(input, tuple(other.shape))


def broadcast_to(input, size):
    return _expand(input, int_list("broadcast_to", "size", size, 2))


def _check_cat(args, params):
    if len(args) == 0:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    shapes = [a._value.shape for a in args]
    ref = next((s for s in shapes if s != (0,)), shapes[0])
    for i, s in enumerate(shapes):
        if len(s) == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    d = _wrap_dim(params["dim"], len(ref))
    for i, s in enumerate(shapes):
        if s == (0,) and ref != (0,):
            continue
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for j in range(len(s)):
            if j != d and s[j] != ref[j]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size {ref[j]} but got size "
                    f"{s[j]} for tensor number {i} in the list."
                )


@op(promote=BINARY, grad_name="CatBackward0", varargs=True, method=False, check=_check_cat)
def cat(tensors, dim=0):
    ref = next((t for t in tensors if t.shape != (0,)), tensors[0])
    parts = [t for t in tensors if t.shape != (0,) or ref.shape == (0,)]
    return jnp.concatenate(parts, axis=_wrap_dim(dim, ref.ndim))


@R.takes_tensor_list
def concat(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


@R.takes_tensor_list
def concatenate(tensors, dim=0, *, out=None):
    return cat(tensors, dim, out=out)


def _check_stack(args, params):
    if len(args) == 0:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = args[0]._value.shape
    for i, a in enumerate(args):
        if a._value.shape != s0:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                f"{list(a._value.shape)} at entry {i}"
            )
    _wrap_dim(params["dim"], len(s0) + 1)


@op(promote=BINARY, grad_name="StackBackward0", varargs=True, method=False, check=_check_stack)
def stack(tensors, dim=0):
    return jnp.stack(tensors, axis=_wrap_dim(dim, tensors[0].ndim + 1))


@R.takes_tensor_list
def hstack(tensors, *, out=None):
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1, out=out)


@R.takes_tensor_list
def vstack(tensors, *, out=None):
    return cat([atleast_2d(t) for t in tensors], 0, out=out)


def atleast_2d(t):
    return t if t.dim() >= 2 else reshape(t, (1, -1))


def _check_select(args, params):
    shp = args[0]._value.shape
    if not shp:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(params["dim"], len(shp))
    i = params["index"]
    if not -shp[d] <= i < shp[d]:
        raise IndexError(f"select(): index {i} out of range for tensor of size {list(shp)} at dimension {d}")


@op(grad_name="SelectBackward0", check=_check_select)
def select(input, dim, index):
    return jnp.take(input, index, axis=_wrap_dim(dim, input.ndim))


def _select_traced(input, index, *, dim):
    d = _wrap_dim(dim, input.ndim)
    return jax.lax.dynamic_index_in_dim(input, jnp.where(index < 0, index + input.shape[d], index), d, False)


def _placed(g, shape, dim, index):  # torch's select_backward / slice_backward: zeros with grad written in
    index = slice(*index) if isinstance(index, tuple) else index  # (a slice as (start, stop, step): hashable)
    return jnp.zeros(shape, g.dtype).at[(slice(None),) * dim + (index,)].set(g)


_select_backward = F.named_call("select_backward", _placed, static_argnums=(1, 2, 3))
_slice_backward = F.named_call("slice_backward", _placed, static_argnums=(1, 2, 3))
R.OPS["select"].result_grad = lambda g, y, p, x: _select_backward(
    g, x[0].shape, _wrap_dim(p["dim"], x[0].ndim), p["index"]
)


# (x[i] over a dataset's indices, narrow / slices at every offset: one compiled forward each, not one per value)
R.OPS["select"].dynamic_forward = (lambda p: ({"dim": p["dim"]}, (p["index"],)), _select_traced)


def _check_narrow(args, params):
    shp = args[0]._value.shape
    if not shp:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    s, n = params["start"], params["length"]
    if not isinstance(s, (int, np.integer)) or isinstance(s, bool):  # (a tensor that was not 0-dim and integral)
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    if n < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    size = shp[_wrap_dim(params["dim"], len(shp))]
    if not -size <= s <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {s})")
    s = s + size if s < 0 else s
    if s + n > size:
        raise RuntimeError(f"start ({s}) + length ({n}) exceeds dimension size ({size}).")
    _views._history_first(args[0])  # (then the slice narrow is made of reads the history)


@op(grad_name="SliceBackward0", check=_check_narrow)
def narrow(input, dim, start, length):
    d = _wrap_dim(dim, input.ndim)
    s = start % input.shape[d] if start < 0 else start
    return jax.lax.slice_in_dim(input, s, s + length, axis=d)


def _narrow_traced(input, start, *, dim, length):
    d = _wrap_dim(dim, input.ndim)
    return jax.lax.dynamic_slice_in_dim(input, jnp.where(start < 0, start + input.shape[d], start), length, axis=d)


def _narrow_backward(g, y, p, x):
    d = _wrap_dim(p["dim"], x[0].ndim)
    start = p["start"] % x[0].shape[d] if p["start"] < 0 else p["start"]
    return _slice_backward(g, x[0].shape, d, (start, start + p["length"], 1))


R.OPS["narrow"].result_grad = _narrow_backward
R.OPS["narrow"].dynamic_forward = (
    lambda p: ({"dim": p["dim"], "length": p["length"]}, (p["start"],)),
    _narrow_traced,
)


@op("_slice", grad_name="SliceBackward0", method=False)
def _slice(input, dim, start, stop, step):
    idx = [slice(None)] * input.ndim
    idx[dim] = slice(start, stop, step)
    return input[tuple(idx)]


def _slice_traced(input, start, *, dim, length, step):  # (start, stop: normalized, 0 <= start <= stop)
    if length == 0:
        return jax.lax.slice_in_dim(input, 0, 0, axis=dim)
    span = (length - 1) * step + 1
    window = jax.lax.dynamic_slice_in_dim(input, start, span, axis=dim)
    return window if step == 1 else jax.lax.slice_in_dim(window, 0, span, step, axis=dim)


def _split_slice(p):
    length = max(0, -(-(p["stop"] - p["start"]) // p["step"]))
    return {"dim": p["dim"], "length": length, "step": p["step"]}, (p["start"],)


R.OPS["_slice"].dynamic_forward = (_split_slice, _slice_traced)
R.OPS["_slice"].result_grad = lambda g, y, p, x: _slice_backward(
    g, x[0].shape, p["dim"], (p["start"], p["stop"], p["step"])
)


# unbind and split are one node with many outputs in torch (output_nr i of UnbindBackward0, ...); output i is
# kept in step with the input as the view that select / narrow would make


@op("_unbind", grad_name="UnbindBackward0", method=False, n_out=None)
def _unbind(input, dim):
    return tuple(jnp.unstack(input, axis=dim))


def _split_name(params, args):
    return "SplitWithSizesBackward0" if params["with_sizes"] else "SplitBackward0"


@op("_split", grad_name=_split_name, method=False, n_out=None)
def _split(input, dim, sections, with_sizes):
    starts = [sum(sections[:i]) for i in range(len(sections))]
    return tuple(jax.lax.slice_in_dim(input, s, s + n, axis=dim) for s, n in zip(starts, sections))


@parsed("Tensor input, int dim = 0")
def unbind(input, dim=0):
    _views._history_first(input)
    if input.dim() == 0:  # torch wraps the dim as for a 1-d tensor first
        raise IndexError(f"Dimension specified as {_wrap_dim(dim, 1)} but tensor has no dimensions")
    d = _wrap_dim(dim, input.dim())
    n = input.shape[d]
    if n == 0:
        return ()
    outs = _unbind(input, d)
    kernels = [R._kernel(R.OPS["select"], (("dim", d), ("index", i)), (input,)) for i in range(n)]
    _views._multi_output_views(outs, input, kernels)
    return outs


_SPLIT = ("Tensor input, int split_size, int dim = 0", "Tensor input, tuple of ints split_size, int dim = 0")
_SPLIT_WITH_SIZES = ("Tensor input, tuple of ints split_sizes, int dim = 0",)


def split(tensor, split_size_or_sections, dim=0):
    # (torch's Tensor.split is Python: it passes an int, or a tensor int() takes, to _VF.split, anything else to
    # _VF.split_with_sizes)
    if isinstance(split_size_or_sections, R._Tensor):
        try:
            split_size_or_sections = int(split_size_or_sections)
        except ValueError:
            pass
    args = (tensor, split_size_or_sections, dim)
    if isinstance(split_size_or_sections, int):
        args, _ = as_ints(check_overloads("split", _SPLIT, args, {}), args, {})
    else:
        args, _ = as_ints(check_overloads("split_with_sizes", _SPLIT_WITH_SIZES, args, {}), args, {})
    tensor, split_size_or_sections, dim = args
    _views._history_first(tensor)
    if tensor.dim() == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = _wrap_dim(dim, tensor.dim())
    size = tensor.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        if step == 0 and size:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}")
        sections = [min(step, size - s) for s in range(0, size, step)] if size else [0]
    else:
        sections = list(split_size_or_sections)
        if any(n < 0 for n in sections):
            raise RuntimeError(
                f"split_with_sizes expects split_sizes have only non-negative entries, but got split_sizes={sections}"
            )
        if sum(sections) != size:
            raise RuntimeError(
                f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at dimension "
                f"{d}), but got split_sizes={sections}"
            )
    outs = _split(tensor, d, tuple(sections), not isinstance(split_size_or_sections, int))
    kernels, start = [], 0
    for n in sections:
        kernels.append(R._kernel(R.OPS["narrow"], (("dim", d), ("start", start), ("length", n)), (tensor,)))
        start += n
    _views._multi_output_views(outs, tensor, kernels)
    return outs


@parsed("Tensor input, int chunks, int dim = 0")
def chunk(input, chunks, dim=0):
    # (torch's chunk checks its arguments; the split it calls reads the history)
    if input.dim() == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    d = _wrap_dim(dim, input.dim())
    if input.shape[d] == 0:  # torch splits an empty dim into `chunks` empty pieces (split_with_sizes)
        return split(input, [0] * chunks, d)
    return split(input, -(-input.shape[d] // chunks), d)


def _check_diagonal(args, params):
    n = args[0].dim()
    d1, d2 = params.get("dim1", 0), params.get("dim2", 1)
    if _wrap_dim(d1, n) == _wrap_dim(d2, n):
        raise RuntimeError(f"diagonal dimensions cannot be identical {d1}, {d2}")


@op(grad_name="DiagonalBackward0", check=_check_diagonal)
def diagonal(input, offset=0, dim1=0, dim2=1):
    # a strided slice of the two dims flattened, not jnp.diagonal's gather: the slice's transpose is a pad, which
    # keeps the -0.0 torch's diagonal_backward copies in, where a gather's scatter-add would make it +0.0
    d1, d2 = _wrap_dim(dim1, input.ndim), _wrap_dim(dim2, input.ndim)
    n, m = input.shape[d1], input.shape[d2]
    rest = [d for d in range(input.ndim) if d not in (d1, d2)]
    flat = jnp.transpose(input, rest + [d1, d2]).reshape(tuple(input.shape[d] for d in rest) + (n * m,))
    length = max(0, min(n, m - offset) if offset >= 0 else min(n + offset, m))
    if length == 0:
        return flat[..., :0]
    start = offset if offset >= 0 else -offset * m
    return jax.lax.slice_in_dim(flat, start, start + (length - 1) * (m + 1) + 1, stride=m + 1, axis=-1)


def _check_unfold(args, params):
    shp = args[0]._value.shape
    d = _wrap_dim(params["dimension"], len(shp))
    size, step = params["size"], params["step"]
    if size > (shp[d] if shp else 1):
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {shp[d] if shp else 1} but size is {size}")
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")


@op(grad_name="UnfoldBackward0", check=_check_unfold)
def unfold(input, dimension, size, step):
    """Tensor.unfold: every window of `size` along a dim, `step` apart, as a new last dim (a view)."""
    if input.ndim == 0:  # (one window, of `size` 0 or 1)
        return input.reshape(1)[:size]
    d = _wrap_dim(dimension, input.ndim)
    starts = jnp.arange((input.shape[d] - size) // step + 1) * step
    windows = jnp.take(input, starts[:, None] + jnp.arange(size)[None, :], axis=d)
    return jnp.moveaxis(windows, d + 1, -1)


@op("_as_strided", grad_name="AsStridedBackward0", method=False)
def _as_strided(input, size, stride, storage_offset, source_strides, source_offset):
    """as_strided as a gather from the input's own elements (its storage positions, read off its layout)."""
    where = {p: i for i, p in enumerate(_views._positions(input.shape, source_strides, source_offset).tolist())}
    idx = np.array([where[p] for p in _views._positions(size, stride, storage_offset).tolist()], np.int64)
    return input.reshape(-1)[idx].reshape(size)


def as_strided(input, size, stride, storage_offset=None):
    """A view of input's storage with the given sizes and strides (torch's as_strided)."""
    size, stride = int_list("as_strided", "size", size, 1), int_list("as_strided", "stride", stride, 2)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(st < 0 for st in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {list(stride)}")
    source_strides, source_offset = _views._layout(input)
    offset = source_offset if storage_offset is None else int(storage_offset)
    if offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {offset}")
    owner, _ = _views._storage(input)
    numel = int(np.prod(size))
    needed = 0 if numel == 0 else offset + 1 + sum((n - 1) * st for n, st in zip(size, stride))
    item = input.element_size()
    if needed > owner._value.size:
        sizes = ", ".join(map(str, size))
        strides = ", ".join(map(str, stride))
        raise RuntimeError(
            f"setStorage: sizes [{sizes}], strides [{strides}], storage offset {offset}, and itemsize {item} requiring "
            f"a storage size of {needed * item} are out of bounds for storage of size {owner._value.size * item}"
        )
    own = set(_views._positions(tuple(input.shape), source_strides, source_offset).tolist())
    if numel and not set(_views._positions(size, stride, offset).tolist()) <= own:
        raise NotImplementedError("torchish: as_strided reaching storage outside the input's own elements")
    return _as_strided(input, size, stride, offset, tuple(source_strides), source_offset)


def _check_flip(args, params):
    seen = set()
    for d in params["dims"]:
        w = _wrap_dim(d, args[0]._value.ndim)
        if w in seen:
            raise RuntimeError(f"dim {w} appears multiple times in the list of dims")
        seen.add(w)


@op(promote=SAME, grad_name="FlipBackward0", method=False, check=_check_flip)
def _flip(input, dims):
    return jnp.flip(input, tuple(_wrap_dim(d, input.ndim) for d in dims))


def flip(input, *args, dims=None):
    """torch.flip(input, dims): dims a tuple (a lone int is the method's varargs form only)."""
    return _flip(input, int_list_param("flip", "dims", args, MISSING if dims is None else dims, 2, varargs=False))


def _flip_method(self, *dims, **kwargs):
    unknown = [k for k in kwargs if k != "dims"]
    if unknown and (dims or "dims" in kwargs):  # (the method's one overload: out= is an unknown keyword)
        raise TypeError(f"flip() got an unexpected keyword argument '{unknown[0]}'")
    return flip(self, *dims, **kwargs) if not dims else _flip(self, int_list_param("flip", "dims", dims))


def _check_repeat(args, params):
    shape, repeats = args[0]._value.shape, params["repeats"]
    if len(repeats) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    padded = (1,) * (len(repeats) - len(shape)) + tuple(shape)
    target = [n * r for n, r in zip(padded, repeats)]
    if any(n < 0 for n in target):
        bad = next(n for n in target if n < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: {target}")


@op(promote=SAME, grad_name="RepeatBackward0", method=False, check=_check_repeat)
def _repeat(input, repeats):
    x = input.reshape((1,) * (len(repeats) - input.ndim) + input.shape)
    return jnp.tile(x, repeats)


def repeat(input, *sizes, repeats=MISSING):
    return _repeat(input, int_list_param("repeat", "repeats", sizes, repeats))


def _check_roll(args, params):
    shifts, dims = params["shifts"], params["dims"]
    shifts = shifts if isinstance(shifts, tuple) else (shifts,)
    dims = () if dims is None else dims if isinstance(dims, tuple) else (dims,)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not (not dims and len(shifts) == 1) and len(shifts) != len(dims):  # (one shift, no dims: the flattened roll)
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    for d in dims:
        _wrap_dim(d, args[0]._value.ndim)


@op(promote=SAME, grad_name="RollBackward0", check=_check_roll)
def roll(input, shifts, dims=None):
    if dims is None or dims == ():  # (one shift of the flattened tensor)
        return jnp.roll(input, shifts[0] if isinstance(shifts, tuple) else shifts)
    return jnp.roll(input, shifts, dims)


def _roll_backward(grad, result, params, inputs):
    shifts, dims = params["shifts"], params.get("dims")
    shifts = shifts if isinstance(shifts, tuple) else (shifts,)
    if dims is None or dims == ():  # (the flattened roll)
        return F.roll(grad.reshape(-1), -shifts[0], 0).reshape(grad.shape)
    dims = dims if isinstance(dims, tuple) else (dims,)
    return F.roll(grad, tuple(-s for s in shifts), dims)


R.OPS["roll"].result_grad = _roll_backward


@op(promote=SAME, grad_name="TrilBackward0", inplace=True)
def tril(input, diagonal=0):
    return jnp.tril(input, diagonal)


@op(promote=SAME, grad_name="TriuBackward0", inplace=True)
def triu(input, diagonal=0):
    return jnp.triu(input, diagonal)


R.OPS["tril"].result_grad = lambda g, y, p, x: F.tril(g, p.get("diagonal", 0))
R.OPS["triu"].result_grad = lambda g, y, p, x: F.triu(g, p.get("diagonal", 0))


_VIEW_OPS = (
    "_view",
    "_reshape_alias",
    "transpose",
    "t",
    "_permute",
    "unsqueeze",
    "squeeze",
    "_expand",
    "select",
    "narrow",
    "_slice",
    "diagonal",
    "unfold",
    "_as_strided",
)
for _name in _VIEW_OPS:
    R.OPS[_name].is_view = True
R.OPS["narrow"].history_first = False  # composite in torch: its checks precede the slice that reads the history


# (Python's TypeErrors name a function by its qualified name: torch's say reshape(), permute())
_reshape_function.__qualname__ = "reshape"
_permute_function.__qualname__ = "permute"
