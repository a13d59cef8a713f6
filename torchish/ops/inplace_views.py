"""In-place view ops: unsqueeze_, squeeze_, transpose_, t_, swapdims_, swapaxes_.

The tensor keeps its identity and its storage and takes the geometry of the view the out-of-place op makes of it:
a view stays a view of its base, one view op further down its chain; a base takes the view's value and layout, and
the views and aliases it already had get the inverse op in front of their chains (their geometry on the storage does
not change). Its history gets torch's node for the in-place form (UnsqueezeBackward1, ...), its version a bump."""

from __future__ import annotations

import weakref

import jax.numpy as jnp

from .._tensor import Tensor, _wrap_dim
from ..autograd import grad_mode as _gm
from . import shape
from ._argparse import parsed
from .views import _ChainKernel, _dense_layout, _rebase_view, _storage_tensors


def _reshaped(self, view, name, inverse) -> Tensor:
    """Give self view's geometry (view: the out-of-place op's view of self) and its history, renamed `name`.
    inverse: the view kernels that take self's new value back to its old one."""
    node = view._grad_fn
    if self._base is not None:
        self._view_fn = view._view_fn
    if self._base is None and self._alias is not None:  # (an alias takes the op onto its chain from the owner)
        self._alias_perm = _order(view)  # (its layout, should it outlive the owner and own the storage)
        self._alias_chain = tuple(self._alias_chain) + (view._view_fn[-1],)
    if self._base is None:
        for other in list(self._views or ()):
            if other is view:
                continue
            if other._base is self:
                other._view_fn = tuple(inverse) + other._view_fn
            else:  # (an alias: detach() or .data)
                other._alias_chain = tuple(inverse) + tuple(other._alias_chain)
        if self._views is not None:  # (not discard: a weak set compares tensors, elementwise)
            self._views = weakref.WeakSet([o for o in self._views if o is not view])
        self._perm = _order(view) if self._alias is None else None
    self._value = view._value
    self._version_counter[0] += 1
    if node is not None:
        node._rename(name)
        self._grad_fn, self._output_nr = node, 0
        self._attr_version = self._version_counter[0]
    # the bump makes torch rebuild the other views' histories, and in no_grad mode this one's too
    written = self if node is not None else None
    for other in _storage_tensors(self):
        if other is not written and other._base is not None and other._grad_fn is not None:
            if other._version_counter is self._version_counter:
                _rebase_view(other._base, other)
    return self


def _order(view):
    """A base's dims outermost first where the view's dense strides are not row-major, else None."""
    strides = view.stride()
    if not _dense_layout(tuple(view.shape), tuple(strides)):
        return None
    # (a size-1 dim goes inside a dim of the same stride: its own stride is then torch's, the product inside it)
    order = tuple(sorted(range(len(strides)), key=lambda d: (-strides[d], view.shape[d] == 1)))
    return None if order == tuple(range(len(strides))) else order


def _checked(self) -> None:
    self._check_inplace(_gm._state.grad_enabled and self.requires_grad)


def _kernel(name, fn, *key, steps):
    return _ChainKernel(fn, (name, *key), steps=steps)


@parsed(method=("int dim",))
def unsqueeze_(self, dim) -> Tensor:
    _checked(self)
    d = _wrap_dim(dim, self.dim() + 1)
    view = shape.unsqueeze(self, dim)
    return _reshaped(
        self,
        view,
        "UnsqueezeBackward1",
        [_kernel("squeeze", lambda v: jnp.squeeze(v, d), d, steps=(("squeeze", {"dim": d}),))],
    )


@parsed(method=("", "int dim", "tuple of ints dim"))
def squeeze_(self, dim=None) -> Tensor:
    _checked(self)
    n = self.dim()
    if dim is None:
        dropped = [d for d, s in enumerate(self.shape) if s == 1]
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dropped = sorted({_wrap_dim(d, n) for d in dims if self.shape[_wrap_dim(d, n)] == 1}) if n else []
    name = "SqueezeBackward3" if dim is None else "SqueezeBackward4" if isinstance(dim, int) else "SqueezeBackward5"
    view = shape.squeeze(self) if dim is None else shape.squeeze(self, dim)
    back = _kernel(
        "unsqueezes",
        lambda v: jnp.expand_dims(v, tuple(dropped)) if dropped else v,
        tuple(dropped),
        steps=tuple(("unsqueeze", {"dim": d}) for d in dropped),
    )
    return _reshaped(self, view, name, [back])


@parsed(method=("int dim0, int dim1",))
def transpose_(self, dim0, dim1) -> Tensor:
    _checked(self)
    n = self.dim()
    a, b = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    view = shape.transpose(self, dim0, dim1)
    back = _kernel(
        "transpose",
        lambda v: jnp.swapaxes(v, a, b) if v.ndim else v,
        a,
        b,
        steps=(("transpose", {"dim0": a, "dim1": b}),),
    )
    return _reshaped(self, view, "TransposeBackward1", [back])


@parsed(method=("int dim0, int dim1",))
def swapdims_(self, dim0, dim1) -> Tensor:
    return transpose_(self, dim0, dim1)


@parsed(method=("int axis0, int axis1",))
def swapaxes_(self, axis0, axis1) -> Tensor:
    return transpose_(self, axis0, axis1)


def t_(self) -> Tensor:
    _checked(self)
    if self.dim() > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.dim()}D")
    view = shape.t(self)
    return _reshaped(self, view, "TBackward1", [_kernel("t", lambda v: v.T, steps=(("t", {}),))])


for _name, _fn in {
    "unsqueeze_": unsqueeze_,
    "squeeze_": squeeze_,
    "transpose_": transpose_,
    "swapdims_": swapdims_,
    "swapaxes_": swapaxes_,
    "t_": t_,
}.items():
    setattr(Tensor, _name, getattr(_fn, "method", _fn))
