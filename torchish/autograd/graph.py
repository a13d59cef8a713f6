"""The recorded graph: one Node per op call (torch's grad_fn), AccumulateGrad for leaves.

A Node keeps what the lowering needs to differentiate the op with JAX: the op's pure function,
the input values *as of record time* (references to immutable jax arrays), and where each input's
gradient goes next. It never holds a backward formula of its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

_FREED = object()


class _RemovableHandle:
    _ids = itertools.count()

    def __init__(self, hooks_dict: dict) -> None:
        self._hooks = hooks_dict
        self.id = next(self._ids)

    def remove(self) -> None:
        if self._hooks is not None:
            self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Node:
    """A recorded op call. `next_edges[i]` is (node, output_nr) for input i, or None."""

    __slots__ = (
        "kernel",
        "saved",
        "next_edges",
        "saved_versions",
        "out_meta",
        "fragment",
        "_name",
        "_hooks",
        "_prehooks",
        "_freed",
        "__weakref__",
        "metadata",
        "_custom",
        "_saves_tensors",
        "_tensor_hooks",
        "_retained",
    )

    def __init__(self, kernel, saved: tuple, next_edges: tuple, saved_versions: tuple, out_meta: tuple, name: str):
        self.kernel = kernel  # has .pure (fn of saved args -> output or tuple) and .key (hashable)
        self.saved = saved
        self.next_edges = next_edges
        self.saved_versions = saved_versions  # ((version_counter, expected, tensor_meta, index), ...)
        self.out_meta = out_meta  # ((shape, np dtype), ...) one per output
        self.fragment = None
        self._name = name
        self._hooks = None
        self._prehooks = None
        self._freed = False
        self.metadata: dict = {}
        self._custom = None
        self._saves_tensors = False  # torch saved tensors for this node: a second backward must fail
        self._tensor_hooks = None  # output_nr -> {id: hook} for hooks registered on non-leaf tensors
        self._retained = None  # output_nr -> weakref of a tensor that called retain_grad()

    def name(self) -> str:
        return self._name

    def structure(self) -> tuple:
        """The node's part of a backward's cache key: op and params, saved shapes, which inputs need grad."""
        if self.fragment is None:
            self.fragment = (
                self.kernel.key,
                tuple(getattr(v, "shape", None) for v in self.saved),
                tuple(e is not None for e in self.next_edges),
            )
        return self.fragment

    def __repr__(self) -> str:
        return f"<{self._name} object at {hex(id(self))}>"

    @property
    def next_functions(self) -> tuple:
        return tuple((e[0], e[1]) if e is not None else (None, 0) for e in self.next_edges)

    def register_hook(self, fn: Callable) -> _RemovableHandle:
        if self._hooks is None:
            self._hooks = {}
        handle = _RemovableHandle(self._hooks)
        self._hooks[handle.id] = fn
        return handle

    def register_prehook(self, fn: Callable) -> _RemovableHandle:
        if self._prehooks is None:
            self._prehooks = {}
        handle = _RemovableHandle(self._prehooks)
        self._prehooks[handle.id] = fn
        return handle

    def __call__(self, *grads: Any) -> Any:
        from .engine import _call_node

        return _call_node(self, grads)


class AccumulateGrad:
    """The grad_fn-like sink of a leaf tensor; `variable` is the leaf."""

    __slots__ = ("variable", "_hooks", "_prehooks", "__weakref__", "metadata")

    next_edges = ()
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable
        self._hooks = None
        self._prehooks = None
        self.metadata: dict = {}

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"

    register_hook = Node.register_hook
    register_prehook = Node.register_prehook
