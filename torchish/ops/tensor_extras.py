"""Tensor methods beyond the op table: conjugate transposes (H, mH, adjoint), split_with_sizes and the unsafe
splits, predicates (is_same_size, is_signed, is_pinned, is_shared) and the memory calls that have nothing to do
on a JAX array (share_memory_, data_ptr, pin_memory)."""

from __future__ import annotations

from .._tensor import Tensor
from . import _registry as R
from . import shape

__all__ = ["adjoint", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes", "split_with_sizes"]


def _conj(t):
    return t.conj() if t.dtype.is_complex else t


def _zero_dim(self, name, line):
    R.warn_once(
        name,
        f"Tensor.{name} is deprecated on 0-D tensors. Consider using x.conj(). (Triggered internally at "
        f"/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:{line}.)",
    )
    return _conj(self)


def _h(self):
    if self.dim() == 0:
        return _zero_dim(self, "H", 4335)
    if self.dim() != 2:
        hint = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.dim()}-D tensor.{hint}")
    return _conj(shape.transpose(self, 0, 1))


def _mh(self):
    if self.dim() == 0:
        return _zero_dim(self, "mH", 4382)
    if self.dim() < 2:
        raise RuntimeError(
            f"tensor.mH is only supported on matrices or batches of matrices. Got {self.dim()}-D tensor."
        )
    return _conj(shape.transpose(self, -2, -1))


def adjoint(input):
    if input.dim() < 2:
        raise RuntimeError(
            f"tensor.adjoint() is only supported on matrices or batches of matrices. Got {input.dim()}-D tensor."
        )
    return _conj(shape.transpose(input, -2, -1))


def split_with_sizes(input, split_sizes, dim=0):
    return shape.split(input, list(split_sizes), dim)


def _unsafe(pieces):
    """torch's unsafe splits: the same pieces with an UnsafeSplit node, and no view tracking (nor its errors)."""
    node = pieces[0]._grad_fn if pieces else None
    if node is not None:
        node._rename(node._name.replace("Split", "UnsafeSplit"))
    out = []
    for p in pieces:
        q = R._Tensor._make(p._value)
        if p._grad_fn is not None:
            q._grad_fn, q._output_nr = p._grad_fn, p._output_nr
        out.append(q)
    return tuple(out)


def unsafe_split(input, split_size, dim=0):
    return _unsafe(shape.split(input, split_size, dim))


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return _unsafe(shape.split(input, list(split_sizes), dim))


def unsafe_chunk(input, chunks, dim=0):
    return _unsafe(shape.chunk(input, chunks, dim))


def _is_same_size(self, other) -> bool:
    return tuple(self.shape) == tuple(other.shape)


def _data_ptr(self) -> int:
    """The address torch would give: the same for tensors that share a start in one storage."""
    top = self
    while top._base is not None:
        top = top._base
    return id(top) * 64 + self.storage_offset() * self.element_size()


def _pin_memory(self, device=None):
    raise RuntimeError("Cannot access accelerator device when none is available.")


for _name, _fn in {
    "adjoint": adjoint,
    "split_with_sizes": split_with_sizes,
    "unsafe_split": unsafe_split,
    "unsafe_split_with_sizes": unsafe_split_with_sizes,
    "unsafe_chunk": unsafe_chunk,
    "is_same_size": _is_same_size,
    "is_signed": lambda self: self.dtype.is_signed,
    "is_pinned": lambda self, device=None: False,
    "is_shared": lambda self: False,
    "share_memory_": lambda self: self,
    "data_ptr": _data_ptr,
    "pin_memory": _pin_memory,
}.items():
    setattr(Tensor, _name, _fn)
Tensor.H = property(_h)
Tensor.mH = property(_mh)
