"""Copies, dtype/device conversion and whole-tensor writes (fill_, zero_, copy_)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._device import _jax_device
from . import _registry as R
from . import views as _views
from ._registry import SAME, op
from .pointwise import _broadcast_shapes


class memory_format:
    """torch.memory_format: how a new tensor is laid out in memory (our owners: row-major, or `_perm`)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"torch.{self._name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")


@op(promote=SAME, grad_name="CloneBackward0")
def clone(input, *, memory_format=None):
    return jnp.array(input, copy=True)


@op(
    "_to_copy",
    promote=SAME,
    grad_name="ToCopyBackward0",
    method=False,
    out_dtype=lambda compute, params: params["dtype"],
)
def _to_copy(input, dtype):
    return input.astype(D._jnp_dtype(dtype))


def _to_dtype(t, dtype):
    if t.dtype is dtype:
        return t
    return _to_copy(t, dtype)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    for a in args:
        if isinstance(a, D.dtype):
            dtype = a
        elif isinstance(a, R._Tensor):
            dtype, device = a.dtype, a.device
        elif a is not None:
            device = a
    return dtype, device


_TO = tuple(
    f"{first}bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None"
    for first in ("torch.device device = None, torch.dtype dtype = None, ", "torch.dtype dtype, ", "Tensor tensor, ")
)


def to(self, *args, **kwargs):
    """Tensor.to(dtype) / to(device) / to(device, dtype) / to(other); copy=True forces a new tensor."""
    if kwargs.keys() - {"dtype", "device", "copy", "non_blocking", "memory_format"}:  # (out=, or a misspelling)
        from ._argparse import invalid_combination

        raise TypeError(invalid_combination("to", args, kwargs, _TO))
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    dtype, device = _parse_to(args, kwargs)
    out = self
    if dtype is not None and dtype is not self.dtype:
        out = _to_copy(self, dtype)
    if device is not None:
        dev = _jax_device(device)
        if dev is not None and dev not in out._value.devices():
            moved = _to_copy(out, out.dtype) if out is self else out
            moved._value = jax.device_put(moved._value, dev)
            out = moved
    if copy and out is self:
        out = clone(self)
    return out


def _cast_method(dtype):
    def method(self, memory_format=None):
        return _to_dtype(self, dtype)

    return method


def type_as(self, other):
    return _to_dtype(self, other.dtype)


def _type(self, dtype=None, non_blocking=False):
    names = {
        "torch.FloatTensor": D.float32,
        "torch.DoubleTensor": D.float64,
        "torch.LongTensor": D.int64,
        "torch.IntTensor": D.int32,
        "torch.BoolTensor": D.bool,
        "torch.HalfTensor": D.float16,
        "torch.ByteTensor": D.uint8,
        "torch.ShortTensor": D.int16,
        "torch.CharTensor": D.int8,
        "torch.BFloat16Tensor": D.bfloat16,
    }
    if dtype is None:
        inv = {v: k for k, v in names.items()}
        return inv.get(self.dtype, "torch.Tensor")
    if isinstance(dtype, str):
        dtype = names[dtype]
    return _to_dtype(self, dtype)


def _overwrite(t, value):
    """Write `value` (a jax array or scalar) into all of t; the written contents are constants."""
    src = R._Tensor._make(jnp.asarray(value))
    return _copy_from(t, src, _target=t)


def fill_(self, value):
    if isinstance(value, R._Tensor):
        # autograd's check comes first; torch then copy_s the value in (a clone where it aliases self), with
        # copy_'s check of self's own layout
        self._check_inplace(R._inplace_records(R.OPS["_fill_tensor"], (self, value)))
        _views._check_overlap(self, ())
        if value.dim() != 0:
            raise RuntimeError(
                f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} dimensions."
            )
        # (the value is read as a scalar: no overlap check against it, and torch's FillBackward3 either way)
        return R.dispatch(R.OPS["_fill_tensor"], (self, value), (), inplace_target=self)
    return _write_constant(self, R.OPS["_fill_scalar"], (("value", value),))


@op("_fill_scalar", promote=SAME, grad_name="FillBackward2", method=False)
def _fill_scalar(input, value):
    return jnp.full(input.shape, value, input.dtype)


@op("_fill_tensor", n_tensors=2, promote=SAME, grad_name="FillBackward3", method=False)
def _fill_tensor(input, value):
    return jnp.broadcast_to(value.astype(input.dtype), input.shape)


@op("_zero", promote=SAME, grad_name="ZeroBackward0", method=False)
def _zero(input):
    return jnp.zeros_like(input)


def zero_(self):
    return _write_constant(self, R.OPS["_zero"], ())


def _write_constant(self, op_def, params):
    # autograd's check_inplace comes before the history is read (where a stale view would be refused with
    # the message for a write through its base); no overlap check, as torch's fill_ and zero_ have none
    self._check_inplace(R._inplace_records(op_def, (self,)))
    return R.dispatch(op_def, (self,), params, inplace_target=self)


def _copy_check(args, params):
    """copy_'s TensorIterator broadcasts [self, src] (the output takes part) and may not resize self."""
    shp, sshp = args[0]._value.shape, args[1]._value.shape
    if shp != sshp:
        out = _broadcast_shapes((shp, sshp))
        if out != shp:
            raise RuntimeError(f"output with shape {list(shp)} doesn't match the broadcast shape {list(out)}")


@op(
    "_copy_from", n_tensors=2, promote=SAME, grad_name="torch::autograd::CopyBackwards", method=False, check=_copy_check
)
def _copy_from(input, src):
    return jnp.broadcast_to(src.astype(input.dtype), input.shape)


def copy_(self, src, non_blocking=False):
    if not isinstance(src, R._Tensor):
        src = R._Tensor._make(jnp.asarray(src))
    if not (self.dtype.is_floating_point or self.dtype.is_complex):  # (a tensor of such a dtype takes no history)
        with R._gm.no_grad():
            return _copy_from(self, src, _target=self)
    return _copy_from(self, src, _target=self)


@functools.cache
def _without_derivative(aten):
    def fail(*_):
        raise RuntimeError(f"derivative for aten::{aten} is not implemented")

    f = jax.custom_jvp(lambda value, a, b: value)
    f.defjvp(fail)
    return f


@op("_out_without_derivative", n_tensors=4, promote=SAME, grad_name="torch::autograd::NotImplemented", method=False)
def _out_without_derivative(target, value, a, b, aten):
    return _without_derivative(aten)(value, a, b)


def write_underived(aten, out, value, a, b=None):
    """An out= torch's autograd has no formula for (conj_physical, slice_scatter): out, already of value's shape and
    dtype, takes it in place; where an input (a, b) requires grad, out's grad_fn is a NotImplemented node, whose
    backward raises."""
    with R._gm.no_grad():
        value = value.detach()
    return _out_without_derivative(out, value, a, a if b is None else b, aten=aten, _target=out)


def _detach_copy(t):
    return R._Tensor._make(t._value)


def resize_(self, *sizes, memory_format=None):
    """Tensor.resize_: keep the leading elements in memory order; new elements are zero (torch leaves them
    uninitialised)."""
    from .creation import _size

    shape = _size("resize_", sizes)
    n = 1
    for d in shape:
        n *= d
    flat = self._value.reshape(-1)
    if n <= flat.size:
        new = flat[:n]
    else:
        new = jnp.concatenate([flat, jnp.zeros((n - flat.size,), flat.dtype)])
    if self.requires_grad and self._grad_fn is None and self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if tuple(shape) != tuple(self._value.shape):  # (torch's resize_ to the same shape changes nothing)
        self._set_value(new.reshape(shape))
    return self


# laid out in memory as their input (preserve_format), as TensorIterator's elementwise results are
R.OPS["clone"].pointwise = R.OPS["_to_copy"].pointwise = True
