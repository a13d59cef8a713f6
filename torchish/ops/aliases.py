"""Ops torch composes of others (its CompositeImplicitAutograd functions): aliases and short compositions, each
written in terms of the ops torch's own composition calls, so their graphs and errors are torch's."""

from __future__ import annotations

from .. import _dtype as D
from .._tensor import Tensor
from . import _registry as R
from . import pointwise, reduction, selection, shape

__all__ = [
    "absolute", "true_divide", "ravel", "atleast_1d", "atleast_3d", "broadcast_tensors", "column_stack", "dstack",
    "inner", "nanmean", "msort", "isreal", "isposinf", "isneginf",
]  # fmt: skip


def absolute(input, *, out=None):
    return pointwise.abs(input, out=out)


def true_divide(input, other, *, out=None):
    return pointwise.div(input, other, out=out)


def ravel(input):
    return shape.reshape(input, (-1,))


def _each(tensors, fn):
    """torch's atleast_*: one tensor in, one out; several (or a list) in, a tuple out."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return fn(tensors[0])
    if len(tensors) == 1:
        tensors = tensors[0]
    return tuple(fn(t) for t in tensors)


def atleast_1d(*tensors):
    return _each(tensors, lambda t: shape.reshape(t, (1,)) if t.dim() == 0 else t)


def _at_least_3d(t):
    if t.dim() == 0:
        return shape.reshape(t, (1, 1, 1))
    if t.dim() == 1:
        return shape.unsqueeze(shape.unsqueeze(t, 0), -1)
    return shape.unsqueeze(t, -1) if t.dim() == 2 else t


def atleast_3d(*tensors):
    return _each(tensors, _at_least_3d)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    size = pointwise._broadcast_shapes([t.shape for t in tensors])
    return tuple(t if tuple(t.shape) == tuple(size) else shape.expand(t, size) for t in tensors)


def column_stack(tensors):
    return shape.hstack([shape.reshape(t, (t.numel(), 1)) if t.dim() <= 1 else t for t in tensors])


def dstack(tensors):
    return shape.cat([_at_least_3d(t) for t in tensors], 2)


def inner(input, other):
    if input.dim() == 0 or other.dim() == 0:
        return pointwise.mul(input, other)
    from .decomp import tensordot

    return tensordot(input, other, ([-1], [-1]))


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {R._type_word(input.dtype)}"
        )
    count = reduction.sum(pointwise.logical_not(selection.isnan(input)), dim, keepdim)
    return pointwise.div(reduction.nansum(input, dim, keepdim, dtype=dtype), count)


def msort(input):
    return selection.sort(input, 0)[0]


def isreal(input):
    from .creation import ones_like

    if input.is_complex():
        return pointwise.eq(input.imag, 0)
    return ones_like(input, dtype=D.bool)


def _isinf_signed(name, positive):
    def check(input):
        from .creation import zeros_like

        if input.is_complex():
            raise RuntimeError(f"{name} does not support complex inputs.")
        if not input.dtype.is_floating_point:
            return zeros_like(input, dtype=D.bool)
        inf = float("inf") if positive else float("-inf")
        return pointwise.eq(input, inf)

    check.__name__ = name
    return check


isposinf = _isinf_signed("isposinf", True)
isneginf = _isinf_signed("isneginf", False)


def _sum_to_size(self, *size):
    """torch's sum_to: a keepdim sum over the dims size broadcasts, viewed without the leading ones."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    from ..autograd.function import _expandable

    have = tuple(self.shape)
    lead = len(have) - len(size)
    if not _expandable(tuple(size), have):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(have)}}}.")
    if tuple(size) == have:
        return self
    dims = list(range(lead)) + [lead + d for d, s in enumerate(size) if s == 1 and have[lead + d] != 1]
    out = reduction.sum(self, dims, True) if dims else self
    return shape.view(out, tuple(size)) if lead > 0 else out


_METHODS = {
    "absolute": absolute,
    "absolute_": lambda self: self.abs_(),
    "true_divide": true_divide,
    "true_divide_": lambda self, other: self.div_(other),
    "ravel": ravel,
    "inner": inner,
    "nanmean": nanmean,
    "msort": msort,
    "isreal": isreal,
    "isposinf": isposinf,
    "isneginf": isneginf,
    "sum_to_size": _sum_to_size,
}
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
