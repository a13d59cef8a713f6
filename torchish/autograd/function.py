"""torch.autograd.Function on the lowered backward.

`apply` runs the user's forward once, eagerly, on real tensors, and records one node: the ctx object
itself (as in torch, ctx *is* the grad_fn, an instance of the generated class `<Name>Backward`).
For the jitted backward that node's pure function is a `jax.custom_vjp` whose bwd builds a fresh ctx
around traced values and calls the user's backward on Tensors wrapping JAX tracers (our ops run on
tracers: each is a jitted JAX kernel).

The jitted backward is cached by structure and reused across calls, so whatever the traced backward
reads must be a traced argument or part of the structure key (`kernel.key`):
  saved tensors, tensor attributes of ctx         -> residual arguments (node.saved after the inputs)
  other ctx attributes (numbers, shapes, dtypes)  -> the key, by value
  the Function class, non-tensor args, needs_input_grad, output kinds/shapes/dtypes -> the key
A backward that cannot live in a jitted function runs eagerly on the real ctx instead (the engine asks
`_runs_eagerly`): with create_graph (the user's ops then record the double-backward graph exactly as
in torch), after set_materialize_grads(False), with ctx attributes of unknown types, and whenever a
trial trace (`_traceable`, once per structure) sees an exception (.item(), numpy), output on
stdout/stderr, a warning, a None gradient for an input that needs one, or a live tensor that is not
in ctx read as a constant.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import warnings
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import numpy as np

from . import anomaly as _anomaly
from . import grad_mode as _gm
from .function_lowering import _encode, _kernel, _traceable
from .graph import Node, _Tensor
from .saved_hooks import pack_all, unpack

__all__ = ["FunctionCtx", "BackwardCFunction", "FunctionMeta", "Function", "once_differentiable", "InplaceFunction"]

AUTOGRAD_FUNCTION_COUNTER = itertools.count()

_RETURNED_AS_IS = (
    "An input that has been returned as-is as output is being saved for backward. This is not supported if you "
    "override setup_context. You should return and save a view of the input instead, e.g. with x.view_as(x) or "
    "setup ctx inside the forward function itself."
)
_DIRTY_VIEW = (
    "If your Function modifies inplace an input that is a view of another Tensor, your Function cannot return "
    "more than one Tensor. This is not supported by the current autograd engine. You should either make sure "
    "the input is not a view (using .clone() for example) or make your Function only return one Tensor "
    "(potentially splitting it into two Functions: one doing the inplace that returns a single Tensor and a "
    "second one that does the other operations). You can ask on the forum https://discuss.pytorch.org/ if you "
    "need help to do this change."
)


def _tp_name(obj: object) -> str:
    """CPython's tp_name, which torch's messages print: bare for builtins and Python classes."""
    t = type(obj)
    if t.__flags__ & (1 << 9) or t.__module__ == "builtins":  # Py_TPFLAGS_HEAPTYPE
        return t.__name__
    return f"{t.__module__}.{t.__qualname__}"


def _is_diff_dtype(np_dtype) -> bool:
    return np_dtype.kind in "fc" or np_dtype == jnp.bfloat16


class FunctionCtx:
    """What forward / setup_context may call on ctx; torch reads these attributes after the forward."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.to_save = tensors

    def save_for_forward(self, *tensors: Any) -> None:
        Tensor = _Tensor()
        for tensor in tensors:
            if not (isinstance(tensor, Tensor) or tensor is None):
                raise AssertionError(
                    "save_for_forward expects all arguments to be tensors; you should save non-tensors as "
                    "attributes on ctx."
                )
        self.saved_for_forward = tensors

    def mark_dirty(self, *args: Any) -> None:
        self.dirty_tensors = args

    def mark_shared_storage(self, *pairs: Any) -> None:
        warnings.warn(
            "`mark_shared_storage` is deprecated. Tensors with shared storages are automatically tracked. Note "
            "that calls to `set_()` are not tracked",
            FutureWarning,
            stacklevel=2,
        )

    def mark_non_differentiable(self, *args: Any) -> None:
        self.non_differentiable = args

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value


class BackwardCFunction(Node, FunctionCtx):
    """ctx of one `apply` and, once applied, the grad_fn of its outputs. Instances of `<Name>Backward`."""

    # user attributes live in the instance __dict__ (from FunctionCtx); torchish's own state in slots
    __slots__ = tuple(
        "needs_input_grad _materialize _is_var _entries _out_kinds _in_meta _trace_saved _n_in _base_key "
        "_unknown_attrs".split()
    )

    # torch's C-level fields, read back as None once apply has consumed them
    to_save = None
    dirty_tensors = None
    non_differentiable = None
    saved_for_forward = None

    def __init__(self) -> None:
        Node.__init__(self, None, (), (), (), (), type(self).__name__)
        self.needs_input_grad = None
        self._materialize = True
        self._is_var = ()
        self._entries = None
        self._out_kinds = ()
        self._in_meta = ()
        self._trace_saved = None
        self._n_in = 0
        self._base_key = None
        self._unknown_attrs = False

    def __repr__(self) -> str:
        return f"<torch.autograd.function.{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *args: Any) -> Any:
        raise TypeError(f"'{type(self).__name__}' object is not callable")

    def _set_materialize(self, value: bool) -> None:
        self._materialize = bool(value)

    materialize_grads = property(None, _set_materialize)  # write-only, as in torch

    @property
    def saved_tensors(self) -> tuple:
        if self._trace_saved is not None:
            return self._trace_saved
        if self._entries is None:  # still inside forward / setup_context
            return self.__dict__.get("saved_for_forward") or ()
        if self._freed:
            from .saved import _FREED_MSG

            raise RuntimeError(_FREED_MSG)
        if self._packed is not None:
            unpacked = {k: unpack(packed, how) for k, packed, how in self._packed}
            return tuple(unpacked.get(k) for k in range(len(self._entries)))
        from .saved import _check_versions

        _check_versions(self)
        return tuple(
            None if e is None else e[0] if e[2] is None else _as_output(e[0], self, e[2]) for e in self._entries
        )

    @property
    def saved_variables(self) -> tuple:
        warnings.warn("'saved_variables' is deprecated; use 'saved_tensors'", DeprecationWarning, stacklevel=2)
        return self.saved_tensors

    def _get_user_fn(self) -> Callable:
        backward_fn = self._forward_cls.backward
        vjp_fn = self._forward_cls.vjp
        if backward_fn is not Function.backward and vjp_fn is not Function.vjp:
            raise RuntimeError(
                "Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should only "
                "implement one of them."
            )
        return vjp_fn if vjp_fn is not Function.vjp else backward_fn

    def apply(self, *args: Any) -> Any:
        """Run the user's backward (the engine's call; also torch's grad_fn.apply)."""
        user_fn = self._get_user_fn()
        if getattr(self._forward_cls, "boxed_grads_call", False):
            args = (list(args),)
        return user_fn(self, *args)

    def apply_jvp(self, *args: Any) -> Any:
        return self._forward_cls.jvp(self, *args)

    def _compiled_autograd_key(self) -> tuple:
        return self._forward_cls._compiled_autograd_key(self)

    # ------------------------------------------------------------------ engine protocol
    def _runs_eagerly(self, create_graph: bool) -> bool:
        if self._freed or self.saved is None:
            return False  # never computed: target-only or already freed
        if create_graph or not self._materialize or self._packed is not None:
            return True
        self._snapshot()
        return self._unknown_attrs or not _traceable(self)

    def _eager_vjp(self, grad_outputs: tuple, create_graph: bool) -> list:
        """The user's backward on the real ctx and tensors; gradients aligned with the tensor inputs."""
        Tensor = _Tensor()
        grads = []
        for o, kind in enumerate(self._out_kinds):
            g = grad_outputs[o] if o < len(grad_outputs) else None
            if kind == "O":
                g = None
            elif g is None and self._materialize:
                shape, dtype = self.out_meta[o]
                g = Tensor._make(jnp.zeros(shape, dtype))
            grads.append(g)
        result = self.apply(*grads)
        return _validate(self, result, self._is_var, tuple(e is not None for e in self.next_edges), self._in_meta)

    def _snapshot(self) -> None:
        """Residuals and structure key from the ctx as it is now (attributes may change after apply)."""
        res: list = []
        saved_spec = []
        for e in self._entries or ():
            if e is None:
                saved_spec.append(None)
                continue
            t = e[0]
            res.append(t._value)
            saved_spec.append((len(res) - 1, t._value.dtype, t.requires_grad))
        attrs = []
        for name, v in self.__dict__.items():
            spec = _encode(v, res)
            if spec is None:
                attrs = None
                break
            attrs.append((name, spec))
        self._unknown_attrs = attrs is None
        if attrs is None:
            res = [e[0]._value for e in self._entries or () if e is not None]
        self.saved = self.saved[: self._n_in] + tuple(res)
        key = ("autograd.Function",) + self._base_key + (tuple(saved_spec), None if attrs is None else tuple(attrs))
        self.kernel = _kernel(key)
        self.fragment = (
            key,
            tuple(getattr(v, "shape", None) for v in self.saved),
            tuple(e is not None for e in self.next_edges),
        )


class FunctionMeta(type):
    """Gives every Function subclass its own backward class, `<Name>Backward`."""

    def __init__(cls, name: str, bases: tuple, attrs: dict) -> None:
        backward_fn = type(name + "Backward", (BackwardCFunction,), {"_forward_cls": cls})
        backward_fn._autograd_function_id = next(AUTOGRAD_FUNCTION_COUNTER)
        cls._backward_cls = backward_fn
        super().__init__(name, bases, attrs)


class _SingleLevelFunction(FunctionCtx, metaclass=FunctionMeta):
    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> Any:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom autograd.Function to use it "
            "with backward mode AD."
        )

    vjp = backward  # vjp and backward are aliases of each other

    clear_saved_tensors_on_access = False
    boxed_grads_call = False

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with forward mode AD."
        )


class Function(_SingleLevelFunction):
    """Base class of custom autograd Functions: static forward/backward, called as `MyFn.apply(...)`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, so you "
            "should invoke them on the class itself. Instantiating an autograd function will raise an error in a "
            "future version of PyTorch.",
            DeprecationWarning,
            stacklevel=2,
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(
            "Legacy autograd function with non-static forward method is deprecated. Please use new-style autograd "
            "function with static forward method. (Example: "
            "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)"
        )

    generate_vmap_rule = False

    @staticmethod
    def vmap(info: Any, in_dims: Any, *args: Any) -> Any:
        raise NotImplementedError(
            "To use autograd.Function with vmap, you must either override the vmap staticmethod or set "
            "generate_vmap_rule=True."
        )

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        setup = _is_setup_context_defined(cls.setup_context)
        if setup:
            sig = inspect.signature(cls.forward)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
        return _apply(cls, _resolve_kwargs(cls, args, kwargs, has_ctx=not setup), setup)

    @staticmethod
    def _compiled_autograd_key(ctx: Any) -> tuple:
        return (ctx._autograd_function_id,)


class InplaceFunction(Function):
    """Kept, as in torch, only for backward compatibility."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


def _is_setup_context_defined(fn: Callable) -> bool:
    return fn != _SingleLevelFunction.setup_context


_MISSING = object()


def _resolve_kwargs(cls, args: tuple, kwargs: dict, has_ctx: bool) -> tuple:
    """torch's C++ apply: keyword arguments go to their positional slot of forward (by its code object)."""
    if not kwargs:
        return tuple(args)
    code = cls.forward.__code__
    off = 1 if has_ctx else 0
    names = code.co_varnames[: code.co_argcount]
    n_params = code.co_argcount - off
    n_pos = len(args)
    max_idx = n_pos - 1
    slot = {}
    for key in kwargs:
        if key not in names[off:]:
            raise TypeError(f"forward() got an unexpected keyword argument '{key}'")
        idx = names.index(key, off) - off
        if idx < n_pos:
            raise TypeError(f"forward() got multiple values for argument '{key}'")
        max_idx = max(max_idx, idx)
        slot[key] = idx
    total = max_idx + 1
    if total > n_params:
        raise TypeError(f"forward() takes {n_params} positional arguments but {total} were given")
    out = list(args) + [_MISSING] * (total - n_pos)
    for key, idx in slot.items():
        out[idx] = kwargs[key]
    for i, a in enumerate(out):
        if a is _MISSING:
            raise TypeError(f"forward() missing required argument: '{names[i + off]}' (position {i})")
    return tuple(out)


# ---------------------------------------------------------------------------------------------- apply


def _apply(cls, args: tuple, setup: bool) -> Any:
    from ..ops._registry import _edge

    Tensor = _Tensor()
    ctx = cls._backward_cls()
    is_var = tuple(isinstance(a, Tensor) for a in args)
    needs = tuple(v and a.requires_grad for a, v in zip(args, is_var))
    executable = _gm._state.grad_enabled and any(needs)
    ctx.needs_input_grad = needs
    ctx._is_var = is_var
    if executable:
        # as in torch, the node's inputs are the tensor arguments only. Edges and values are taken before
        # the forward: an input it modifies in place keeps its old history here
        tensors = [a for a in args if isinstance(a, Tensor)]
        ctx.next_edges = tuple(_edge(a) for a in tensors)
        ctx.saved = tuple(a._value for a in tensors)
        ctx._in_meta = tuple((a._value.shape, a._value.dtype) for a in tensors)
        _anomaly._record_traceback(ctx)
    with _gm.no_grad():
        if setup:
            out = cls.forward(*args)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args)
    return _process_outputs(cls, ctx, args, out, executable, setup)


def _process_outputs(cls, ctx: BackwardCFunction, args: tuple, out: Any, executable: bool, setup: bool) -> Any:
    """torch's process_outputs: what to save, which outputs get this grad_fn, dirty and non-diff outputs."""
    Tensor = _Tensor()
    unpack = not isinstance(out, tuple)
    raw = (out,) if unpack else tuple(out)
    d = ctx.__dict__
    to_save = d.pop("to_save", None)
    saved_for_forward = d.pop("saved_for_forward", None)
    non_diff = d.pop("non_differentiable", None)
    dirty = d.pop("dirty_tensors", None)
    setup_saved = set()
    if setup and saved_for_forward:
        setup_saved.update(id(t) for t in saved_for_forward if isinstance(t, Tensor))
    to_save_list = []
    for i, t in enumerate(to_save or ()):
        if t is None:
            to_save_list.append(None)
        elif isinstance(t, Tensor):
            if setup:
                setup_saved.add(id(t))
            if executable:
                to_save_list.append(t)
        elif executable:
            raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type {_tp_name(t)}")
    nd_ids = set()
    for t in non_diff or ():
        if not isinstance(t, Tensor):  # torch's message really stops there
            raise RuntimeError("mark_non_differentiable only accepts variable arguments, but got ")
        nd_ids.add(id(t))
    dirty_ids = set()
    for t in dirty or ():
        if not isinstance(t, Tensor):  # torch's message really stops there
            raise RuntimeError("mark_dirty can only accept variables, but argument ")
        dirty_ids.add(id(t))
        t._version_counter[0] += 1
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    rows, raw_ids, rebased = [], set(), []  # rows: (output, kind, meta) with kind O(ther) D(iff) N(on-diff) I(nt)
    for i, o in enumerate(raw):
        if not isinstance(o, Tensor):
            rows.append((o, "O", ((), np.dtype(np.float32))))
            continue
        is_input, is_mod = id(o) in input_ids, id(o) in dirty_ids
        diff_type = _is_diff_dtype(o._value.dtype)
        is_diff = executable and id(o) not in nd_ids and diff_type
        var = o
        if not is_diff:
            if not var.requires_grad:
                if is_input and not is_mod:
                    if id(o) in setup_saved:
                        raise RuntimeError(_RETURNED_AS_IS)
                    var = _view_as_self(var)
            elif is_input:
                var = var.detach()
            elif var._base is None:
                var.detach_()
        elif is_mod:
            if var._grad_fn is None and var.requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            if not is_input:
                warnings.warn(
                    "Only input Tensors should be given to ctx.mark_dirty(). If a Tensor is not an input, there is "
                    "no need to pass it to mark_dirty().",
                    stacklevel=3,
                )
            if var._base is not None and len(raw) > 1:
                raise RuntimeError(_DIRTY_VIEW)
            var._grad, var._hooks = None, None
            rebased.append(var)
        elif is_input:
            if id(o) in setup_saved:
                raise RuntimeError(_RETURNED_AS_IS)
            var = _view_as_self(var)
        if is_diff:
            var._grad_fn, var._output_nr = ctx, i
            if var._base is not None and not (is_input and is_mod):  # (CreationMeta::IN_CUSTOM_FUNCTION)
                var._creation = "custom_function"
        raw_ids.add(id(o))
        rows.append((var, "D" if is_diff else "N" if diff_type else "I", (var._value.shape, var._value.dtype)))
    for t in dirty or ():
        if id(t) not in raw_ids:
            raise RuntimeError(
                "Some elements marked as dirty during the forward method were not returned as output. The inputs "
                "that are modified inplace must all be outputs of the Function."
            )
    outputs = tuple(r[0] for r in rows)
    if executable:
        _finish_node(cls, ctx, args, rows, to_save_list, rebased)
    return outputs[0] if unpack else outputs


def _finish_node(cls, ctx, args, rows, to_save, rebased) -> None:
    Tensor = _Tensor()
    out_ids = {id(r[0]) for r in rows if r[1] != "O"}
    kinds, metas = tuple(r[1] for r in rows), tuple(r[2] for r in rows)
    entries, versions = [], []
    for t in to_save:
        if t is None:
            entries.append(None)
            continue
        v, is_out = t._version_counter[0], id(t) in out_ids
        had_history = not is_out and t._grad_fn is not None
        entries.append((t, v, t._output_nr if is_out else None, had_history))
        versions.append((t._version_counter, v, t, -1 if is_out else 0))
    ctx._entries = tuple(entries)
    ctx.saved_versions = tuple(versions)
    ctx._saves_tensors = bool(versions)
    if versions and _gm._state.saved_hooks:  # saved_tensors_hooks: packed now, unpacked by each saved_tensors
        ctx._packed = pack_all([(k, t) for k, t in enumerate(to_save) if t is not None])
        ctx.saved_versions = ()
    ctx.out_meta, ctx._out_kinds = metas, kinds
    ctx._n_in = len(ctx.next_edges)
    ctx._base_key = (
        cls,
        tuple(("T", a.requires_grad) if isinstance(a, Tensor) else _static_key(a) for a in args),
        ctx._in_meta,
        tuple(zip(kinds, metas)),
    )
    ctx._snapshot()
    for var in rebased:
        if var._base is not None and not (args and var is args[0]):
            raise NotImplementedError(
                "torchish: ctx.mark_dirty() on a view is supported only for the Function's first argument"
            )
        var._after_inplace_record()


def _as_output(t, node, output_nr: int):
    """A saved output unpacks, as in torch, to a new tensor: same data and version counter, grad_fn this node."""
    out = _Tensor()._make(t._value)
    out._version_counter, out._grad_fn, out._output_nr = t._version_counter, node, output_nr
    return out


def _view_as_self(t):
    with _gm.no_grad():
        return t.view_as(t)


def _static_key(a: Any) -> Any:
    """Key part for a non-tensor argument: by value when hashable (floats by repr: -0.0, nan)."""
    if isinstance(a, float):
        return ("S", type(a), float.__repr__(a))
    if isinstance(a, complex):
        return ("S", type(a), complex.__repr__(a))
    try:
        hash(a)
    except TypeError:
        return ("X", type(a))
    return ("S", type(a), a)


# ---------------------------------------------------------------------------------------------- gradients


def _expandable(shape: tuple, desired: tuple) -> bool:
    if len(shape) > len(desired):
        return False
    return all(s == d or s == 1 for s, d in zip(reversed(shape), reversed(desired)))


def _sum_to(g, shape: tuple):
    lead = g.dim() - len(shape)
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and g.shape[lead + i] != 1)
    if dims:
        g = g.sum(dim=dims, keepdim=True)
    return g.reshape(shape)


def _validate(node, result: Any, is_var: tuple, has_edge: tuple, in_meta: tuple) -> list:
    """torch's PyNode::apply and validate_outputs: count, types, then shapes (summed to) and dtypes (cast).
    `result` has one entry per forward argument; the returned list one per tensor argument (node input)."""
    from .. import _dtype as D

    Tensor = _Tensor()
    name = node.name()
    if not isinstance(result, tuple):
        result = (result,)
    n = len(is_var)
    if len(result) > n and all(r is None for r in result[n:]):
        result = result[:n]
    if len(result) != n:
        raise RuntimeError(
            f"function {name} returned an incorrect number of gradients (expected {n}, got {len(result)})"
        )
    for i, (g, v) in enumerate(zip(result, is_var)):
        if not v:
            if g is not None:
                raise RuntimeError(
                    f"function {name} returned a gradient different than None at position {i + 1}, but the "
                    "corresponding forward input was not a Variable"
                )
        elif g is not None and not isinstance(g, Tensor):
            raise RuntimeError(f"expected Variable or None (got {_tp_name(g)})")
    out = [g for g, v in zip(result, is_var) if v]
    for k, g in enumerate(out):
        if g is None or not has_edge[k]:  # (an input without an edge keeps what backward returned, unchecked)
            continue
        shape, dtype = in_meta[k]
        gshape = tuple(g.shape)
        if gshape != tuple(shape):
            if not _expandable(tuple(shape), gshape):
                raise RuntimeError(
                    f"Function {name} returned an invalid gradient at index {k} - got {list(gshape)} but expected "
                    f"shape compatible with {list(shape)}"
                )
            g = _sum_to(g, tuple(shape))
        gk = g._value.dtype.kind
        if gk != "f" and gk != "V" and (dtype.kind == "c") != (gk == "c"):
            raise RuntimeError(
                "Expected isFloatingType(grad.scalar_type()) || (input_is_complex == grad_is_complex) to be true, "
                "but got false.  (Could this error message be improved?  If so, please report an enhancement "
                "request to PyTorch.)"
            )
        if g._value.dtype != dtype:
            g = g.to(D._from_np(dtype))
        out[k] = g
    return out


# ---------------------------------------------------------------------------------------------- once_differentiable


class _DelayedError(Node):
    """torch's DelayedError: a backward through it raises. Printed `<Error>`, named torch::autograd::Error."""

    __slots__ = ("_msg",)

    def __repr__(self) -> str:
        return f"<Error object at {hex(id(self))}>"

    def _runs_eagerly(self, create_graph: bool) -> bool:
        return True

    def _eager_vjp(self, grad_outputs: tuple, create_graph: bool) -> list:
        raise RuntimeError(self._msg)


def _identity(*xs):
    return xs


def _requiring_grad(t):
    t.requires_grad = True
    return t


def _delayed_error(msg: str, outputs: tuple) -> Any:
    from ..ops.views import _ChainKernel

    Tensor = _Tensor()
    # detached aliases that require grad: the node needs an edge to something for its outputs to get it
    fakes = [None if v is None else _requiring_grad(v.detach()) for v in outputs]
    edges = tuple(None if f is None else (f._accumulator(), 0) for f in fakes)
    vals = tuple(None if f is None else f._value for f in fakes)
    metas = tuple(((), np.dtype(np.float32)) if v is None else (v.shape, v.dtype) for v in vals)
    kern = _ChainKernel(_identity, ("delayed_error",))
    node = _DelayedError(kern, vals, edges, (), metas, "torch::autograd::Error")
    node._msg = msg
    node.fragment = (kern.key, tuple(getattr(v, "shape", None) for v in vals), tuple(e is not None for e in edges))
    results = [None if v is None else Tensor._make(v) for v in vals]
    for i, t in enumerate(results):
        if t is not None:
            t._grad_fn, t._output_nr = node, i
    return results[0] if len(results) == 1 else tuple(results)


def once_differentiable(fn: Callable) -> Callable:
    """Run a backward without recording; differentiating its result again raises torch's error."""

    @functools.wraps(fn)
    def wrapper(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        Tensor = _Tensor()
        with _gm.no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not _gm.is_grad_enabled():
            return outputs
        # as in torch: only an approximation of "some input requires grad"
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        outputs_ = outputs if isinstance(outputs, tuple) else (outputs,)
        return _delayed_error(
            "trying to differentiate twice a function that was marked with @once_differentiable", outputs_
        )

    return wrapper
