"""The recorded graph: one Node per op call (torch's grad_fn), AccumulateGrad for leaves.

A Node keeps what the lowering needs to differentiate the op with JAX: the op's pure function,
the input values *as of record time* (references to immutable jax arrays), and where each input's
gradient goes next. It never holds a backward formula of its own.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import Any

_FREED = object()
_SEQUENCE = itertools.count()
_TENSOR: list = []


def _Tensor():
    """The Tensor class, imported late (_tensor.py imports autograd) and then cached."""
    if not _TENSOR:
        from .._tensor import Tensor

        _TENSOR.append(Tensor)
    return _TENSOR[0]


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
        "_seq",
        "_of_backward",
        "_wrapped",
        "_packed",
        "_old_self",
        "_through",
        "_operand_layouts",
        "_result",
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
        self._seq = next(_SEQUENCE)  # torch's sequence_nr: its engine runs later-created nodes first
        self._of_backward = False  # recorded by a create_graph backward: JAX's derivative graph, not torch's
        self._wrapped = None  # CopySlices: (label, out_meta) of the in-place op's node, whose saved result it names
        self._packed = None  # ((input index or -1 - output, packed, unpack_hook), ...): saved_tensors_hooks
        self._old_self = False  # an in-place op saved its input: `_saved_self` is (then holds) its old value
        self._through = ()  # create_graph: nodes whose saved result torch's formula read (saved._freed)
        self._operand_layouts = None  # an elementwise op on strided inputs: their (shape, strides) (buffers.py)
        self._result = None  # the saved result its formula reads (OpDef.result_grad)
        if type(self) is Node:  # (torch's node of each formula is a class of its own: type(grad_fn).__name__)
            self.__class__ = _named_node_class(name)

    _runs_eagerly = None  # custom nodes whose backward can't be traced override these
    _eager_vjp = None

    def name(self) -> str:
        return self._name

    def _rename(self, name: str) -> None:
        self._name = name
        if type(self).__base__ is Node and type(self) is not AccumulateGrad:
            self.__class__ = _named_node_class(name)

    def structure(self) -> tuple:
        """The node's part of a backward's cache key: op and params, saved shapes, which inputs need grad."""
        if self.fragment is None:
            self.fragment = (
                self.kernel.key,
                tuple([getattr(v, "shape", None) for v in self.saved]),
                tuple([e is not None for e in self.next_edges]),
            )
        return self.fragment

    def __repr__(self) -> str:
        return f"<{self._name.rsplit('::', 1)[-1]} object at {hex(id(self))}>"

    def __getattr__(self, name: str) -> Any:
        # torch's `grad_fn._saved_<arg>`: the tensors (and arguments) the backward formula keeps
        if name.startswith("_saved_"):
            hit = _saved_attribute(self, name[len("_saved_") :])
            if hit is not _MISSING:
                return hit
        try:
            label = object.__getattribute__(self, "_name").rsplit("::", 1)[-1]
        except AttributeError:  # a half-built node (copy, unpickling)
            label = type(self).__name__
        raise AttributeError(f"'{label}' object has no attribute '{name}'")

    @property
    def next_functions(self) -> tuple:
        return tuple(
            (e[0], e[1]) if e is not None else (None, 0) for e in (self.next_edges[i] for i in self._edge_positions())
        )

    def _edge_positions(self):
        """The inputs torch's node has edges for (an op's Python scalars have none: see OpDef.edges)."""
        keep = getattr(getattr(self.kernel, "op", None), "edges", None)
        if keep is not None:
            return keep(self.kernel.key[2])
        if getattr(self.kernel, "kept", None) is not None:  # (a CopySlices wrapping such an op)
            return self.kernel.kept
        return range(len(self.next_edges))

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


_MISSING = object()


def _register_retained(t) -> None:
    """retain_grad's hook lives on t's current grad_fn, moved there from the node that held it (torch's
    update_tensor_hooks_on_new_gradfn). An in-place view op (set_history) and detach_ do not move it: it stays
    on the old node and fires there, with the gradient of t's old geometry."""
    import weakref

    old = t._retained_on
    if old is not None and old._retained:
        for o, ref in list(old._retained.items()):
            if ref() is t:
                del old._retained[o]
    fn = t._grad_fn
    t._retained_on = fn
    if fn is None:
        return
    if fn._retained is None:
        fn._retained = {}
    fn._retained[t._output_nr] = weakref.ref(t)


def _saved_attribute(node, arg):
    op = getattr(node.kernel, "op", None)
    if op is None or not op.saves:
        return _MISSING
    names = ["self" if i == 0 else n for i, n in enumerate(op.sig.parameters)]
    outputs = {"result": -1, "indices": -2}  # (see _registry._OUTPUT_NAMES)
    index = outputs.get(arg, names.index(arg) if arg in names[: op.n_tensors] else None)
    if index is None:
        params = dict(node.kernel.key[1]) if isinstance(node.kernel.key[1], tuple) else {}
        return params.get(arg, _MISSING)
    for _, _, t, i in node.saved_versions:
        if i == index:
            _check_not_freed(node)
            return t() if i < 0 else t  # a saved result is held weakly
    if index == 0 and node._old_self:
        _check_not_freed(node)
        if node._old_self is True:
            from ..ops._registry import _input_before_write

            node._old_self = _input_before_write(node, 0)
        return node._old_self
    if index is not None and index >= 0 and any(index in s for s in op.saves) and node.saved is not None:
        value = node.saved[index]  # (a Python number in a tensor's place, or an optional tensor not given)
        if value is None or isinstance(value, (int, float, complex)):
            return value
    if node._packed is not None:  # (saved_tensors_hooks)
        from .saved_hooks import unpack

        _check_not_freed(node)
        for i, packed, how in node._packed:
            if i == index:
                return unpack(packed, how)
    return _MISSING


def _check_not_freed(node) -> None:
    if node.saved is None:
        from .saved import _FREED_MSG

        raise RuntimeError(_FREED_MSG)


_NODE_CLASSES: dict = {}


def _named_node_class(name: str) -> type:
    cls = _NODE_CLASSES.get(name)
    if cls is None:  # (one class per label, found by name or label: torch::autograd::CopySlices is CopySlices)
        label = name.rsplit("::", 1)[-1]
        cls = _NODE_CLASSES.get(label) or type(label, (Node,), {"__slots__": (), "__module__": __name__})
        _NODE_CLASSES[name] = _NODE_CLASSES[label] = cls
    return cls


class AccumulateGrad(Node):
    """The grad_fn-like sink of a leaf tensor; `variable` is the leaf. A Node as in torch, though it records no
    op: the engine tells it apart from the op nodes."""

    __slots__ = ("variable", "shape")

    next_edges = ()
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable
        # the leaf's shape when its accumulator was made: torch's engine checks gradients against it (a leaf
        # that takes a new shape in no_grad mode keeps its accumulator while a graph holds it)
        self.shape = tuple(variable.shape)
        self._hooks = None
        self._prehooks = None
        self.metadata: dict = {}

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def recorded_shape(edge) -> tuple:
    """The shape an edge's destination recorded for the gradient it takes: a leaf's when its AccumulateGrad was
    made, else the node's output's (torch's engine checks gradients against it, not the tensor's shape now)."""
    node, o = edge
    return node.shape if isinstance(node, AccumulateGrad) else tuple(node.out_meta[o][0])


def _node_label(fn) -> str:
    """How torch's messages name a node: its class name without "Backward0" (`Unbind`) or, for a custom
    Function, "Backward" (`DoubleBackward` is `Double`), or with only the overload number after "Backward"
    (`PowBackward2` is `Pow2`)."""
    return re.sub(r"Backward(?:0|(\d+))?$", lambda mt: mt.group(1) or "", fn.name().rsplit("::", 1)[-1])


def _checked_hook_value(hook, r, g):
    """torch's check of what a hook returned in place of gradient g (None: kept)."""
    if r is None:
        return None
    if g is None:  # (an output, or input, that got no gradient)
        raise RuntimeError("can't replace a None gradient with a non-None value")
    from ..ops._registry import _type_word

    if not isinstance(r, _Tensor()):
        raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")
    if r.dtype is not g.dtype or r.device.type != g.device.type:
        was, got = (f"torch.{'cuda.' * (t.device.type == 'cuda')}{_type_word(t.dtype)}Tensor" for t in (g, r))
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the type of value (was {was} got {got})")
    if tuple(r.shape) != tuple(g.shape):
        raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
    return r


def _hook_name(hook) -> str:
    name = getattr(hook, "__name__", None)
    return name if isinstance(name, str) else "<unknown>"


def _checked_hook_tuple(hook, r, grads) -> tuple:
    """torch's check of what a node's pre- or post-hook returned in place of its gradients."""
    if not isinstance(r, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(r).__name__}'")
    if len(r) != len(grads):
        raise RuntimeError(
            f"hook '{_hook_name(hook)}' has returned an incorrect number of values (got {len(r)}, but expected "
            f"{len(grads)})"
        )
    return tuple(None if v is None else _checked_hook_value(hook, v, g) for v, g in zip(r, grads))


from .saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks  # noqa: E402,F401
