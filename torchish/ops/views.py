"""Views on immutable arrays: keeping a base and its views in step (torch's CopySlices).

A view remembers its root base and the chain of view kernels that maps the base's value to its own.
Writing into a view scatters the new contents into the base (`.at[].set` on the flat indices that the
chain selects), then every live view of that base is re-derived. For autograd the base's history gets
one `CopySlices` node whose pure function is "scatter op(view(base)) into base", and the views get
`AsStridedBackward0` nodes reading from it, as in torch.
"""

from __future__ import annotations

import weakref

import jax.numpy as jnp

from ..autograd import grad_mode as _gm
from ..autograd.graph import Node
from . import _registry as R

_last_base_old = None  # the base's value just before the latest write through a view


def _attach(view, source, kernel) -> None:
    """Make `view` (just produced from `source` by a view kernel) share source's base and version."""
    base = source._base if source._base is not None else source
    view._base = base
    view._view_fn = (source._view_fn or ()) + (kernel,)
    view._version_counter = source._version_counter
    if base._views is None:
        base._views = weakref.WeakSet()
    base._views.add(view)


def _apply_chain(chain, value):
    for k in chain:
        value = k.pure(value)
    return value


def _flat_index(base_value, chain):
    idx = jnp.arange(base_value.size, dtype=jnp.int64).reshape(base_value.shape)
    return _apply_chain(chain, idx).reshape(-1)


def _scatter(base_value, chain, new_view_value):
    flat = base_value.reshape(-1).at[_flat_index(base_value, chain)].set(new_view_value.reshape(-1))
    return flat.reshape(base_value.shape)


def _propagate_write(t) -> None:
    global _last_base_old
    base = t._base if t._base is not None else t
    if t._base is not None:
        _last_base_old = base._value
        base._value = _scatter(base._value, t._view_fn, t._value)
    if base._views:
        for v in list(base._views):
            if v is not t:
                v._value = _apply_chain(v._view_fn, base._value)


class _ChainKernel:
    """A kernel-like object for nodes the lowering differentiates: `pure` plus a structural `key`."""

    __slots__ = ("pure", "key", "op", "names")

    def __init__(self, pure, key):
        self.pure = pure
        self.key = key
        self.op = None
        self.names = None


def _view_node(base, view):
    chain = view._view_fn

    def pure(b):
        return _apply_chain(chain, b)

    k = _ChainKernel(pure, ("as_strided", tuple(c.key for c in chain)))
    edge = R._edge(base)
    node = Node(k, (base._value,), (edge,), (), ((view._value.shape, view._value.dtype),), "AsStridedBackward0")
    node.fragment = (k.key, (base._value.shape,), (edge is not None,))
    return node


def _propagate_grad_fn(view) -> None:
    """After an in-place op on a view was recorded: rewrite the base's history as CopySlices."""
    base = view._base
    op_node = view._grad_fn
    chain = view._view_fn
    inner = op_node.kernel.pure
    base_old = _last_base_old

    def pure(b, *others):
        return _scatter(b, chain, inner(_apply_chain(chain, b), *others))

    k = _ChainKernel(pure, ("copy_slices", tuple(c.key for c in chain), op_node.kernel.key))
    edges = (R._edge(base),) + op_node.next_edges[1:]
    saved = (base_old,) + op_node.saved[1:]
    node = Node(k, saved, edges, op_node.saved_versions, ((base._value.shape, base._value.dtype),),
                "torch::autograd::CopySlices")
    node.fragment = (k.key, tuple(getattr(s, "shape", None) for s in saved), tuple(e is not None for e in edges))
    base._grad_fn = node
    base._output_nr = 0
    _refresh_view_grad_fns(base)


def _refresh_view_grad_fns(base) -> None:
    if not base._views or base._grad_fn is None or not _gm._state.grad_enabled:
        return
    for v in list(base._views):
        v._grad_fn = _view_node(base, v)
        v._output_nr = 0
