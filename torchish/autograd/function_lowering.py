"""A custom Function's node in the jitted backward: its kernel is a `jax.custom_vjp` whose bwd builds a fresh
ctx around traced values and calls the user's backward (see function.py for what goes into the key)."""

from __future__ import annotations

import contextlib
import enum
import functools
import gc
import io
import types
import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import grad_mode as _gm
from . import lowering as L
from .graph import _Tensor

_KERNELS: OrderedDict = OrderedDict()
_KERNELS_SIZE = 256


class _Id:
    """Hashes and compares by identity: key part for functions, classes and modules read by a backward."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Id) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


_ATOMS = (type(None), bool, int, str, bytes, type(Ellipsis), np.dtype, enum.Enum, np.generic)
_BY_ID = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type, types.ModuleType, functools.partial)


def _encode(v: Any, res: list) -> Any:
    """Spec of a ctx attribute: arrays become residuals (appended to res), the rest is static; None = unknown."""
    from .. import _dtype as D
    from .._device import device

    Tensor = _Tensor()
    if isinstance(v, Tensor):
        res.append(v._value)
        return ("T", len(res) - 1, v._value.dtype, v.requires_grad)
    if isinstance(v, jax.Array):
        res.append(v)
        return ("A", len(res) - 1, v.dtype)
    if isinstance(v, float):
        return ("F", type(v), float.__repr__(v))  # by repr: -0.0 and nan must key as themselves
    if isinstance(v, complex):
        return ("F", type(v), complex.__repr__(v))
    if isinstance(v, _ATOMS) or isinstance(v, (D.dtype, device)):
        return ("S", type(v), v)
    if isinstance(v, (tuple, list, slice)):
        items = (v.start, v.stop, v.step) if isinstance(v, slice) else v
        parts = tuple(_encode(x, res) for x in items)
        return None if None in parts else ("L", type(v), parts)
    if isinstance(v, dict):
        parts = tuple((type(k), k, _encode(x, res)) for k, x in v.items())
        ok = all(p[2] is not None and isinstance(p[1], (str, int)) for p in parts)
        return ("M", type(v), parts) if ok else None
    if isinstance(v, _BY_ID):
        return ("O", _Id(v))
    return None


def _decode(spec: tuple, res: tuple) -> Any:
    Tensor = _Tensor()
    tag = spec[0]
    if tag == "T":
        return Tensor._make(res[spec[1]], spec[3])
    if tag == "A":
        return res[spec[1]]
    if tag == "F":
        return spec[1](spec[2])
    if tag == "S":
        return spec[2]
    if tag == "L":
        t, items = spec[1], [_decode(p, res) for p in spec[2]]
        return t(*items) if t is slice or hasattr(t, "_fields") else t(items)  # namedtuples take fields
    if tag == "M":
        return spec[1]((k, _decode(p, res)) for _, k, p in spec[2])
    return spec[1].obj


class _FnKernel:
    """Kernel of a custom Function node: `pure` is a custom_vjp running the user's backward when traced."""

    __slots__ = ("pure", "key", "op", "names", "traceable", "none_for_needed")

    def __init__(self, key: tuple) -> None:
        self.key = key
        self.op = None
        self.names = None
        self.traceable = None
        self.none_for_needed = False
        self.pure = _build_pure(self, key)


def _kernel(key: tuple) -> _FnKernel:
    k = _KERNELS.pop(key, None) or _FnKernel(key)
    _KERNELS[key] = k  # most recently used last
    if len(_KERNELS) > _KERNELS_SIZE:
        _KERNELS.popitem(last=False)
    return k


def _build_pure(kernel: _FnKernel, key: tuple) -> Callable:
    """Everything the bwd uses comes from the key or from its traced residuals, never from one call's ctx."""
    _, cls, args_key, in_meta, outs, saved_spec, attrs = key
    n_in = len(in_meta)
    is_var = tuple(a[0] == "T" for a in args_key)
    needs = tuple(a[0] == "T" and a[1] for a in args_key)
    has_edge = tuple(a[1] for a in args_key if a[0] == "T")
    out_meta = tuple(m for _, m in outs)

    # only shapes and dtypes of the primal outputs matter to the engine; one output is a bare array, as
    # CopySlices (a dirty view) expects
    @jax.custom_vjp
    def pure(*saved):
        out = tuple(jnp.zeros(shape, dtype) for shape, dtype in out_meta)
        return out[0] if len(out) == 1 else out

    def fwd(*saved):
        return pure(*saved), tuple(saved[n_in:])

    def bwd(res, cts):
        from .function import _validate

        Tensor = _Tensor()
        cts = cts if len(outs) > 1 else (cts,)
        if attrs is None:
            raise AssertionError("torchish: a custom Function with unknown ctx attributes must run eagerly")
        with _gm.no_grad():
            ctx = cls._backward_cls()
            ctx.needs_input_grad = needs
            ctx._trace_saved = tuple(None if s is None else Tensor._make(res[s[0]], s[2]) for s in saved_spec)
            for name, spec in attrs:
                ctx.__dict__[name] = _decode(spec, res)
            grads = []
            for (kind, (shape, dtype)), c in zip(outs, cts):
                if kind == "O":
                    grads.append(None)
                elif kind == "I":
                    grads.append(Tensor._make(jnp.zeros(shape, dtype)))
                else:
                    grads.append(Tensor._make(c))
            out = [
                g if h else None for g, h in zip(_validate(ctx, ctx.apply(*grads), is_var, has_edge, in_meta), has_edge)
            ]
        if any(h and g is None for h, g in zip(has_edge, out)):
            kernel.none_for_needed = True  # torch leaves .grad untouched; a zero cotangent would not
        return tuple(None if g is None else g._value for g in out) + (None,) * len(res)

    pure.defvjp(fwd, bwd)
    return pure


def _traceable(node) -> bool:
    """Trial-trace the node's backward once per structure: can it live in the jitted backward?"""
    k = node.kernel
    if k.traceable is not None:
        return k.traceable
    diff = tuple(j for j, e in enumerate(node.next_edges) if e is not None)
    metas = node.out_meta
    cts = [L._zeros_like_meta(m) for m in metas]
    out = io.StringIO()
    ok = False
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always")
            closed = jax.make_jaxpr(lambda s, c: L._node_vjp(k.pure, s, diff, c, metas))(node.saved, cts)
        ok = not out.getvalue() and not caught and not k.none_for_needed and not _reads_live_tensor(closed.consts)
    except Exception:  # anything the trace can't do, the eager run will (or will raise torch's error)
        ok = False
    k.traceable = ok
    return ok


def _reads_live_tensor(consts: list) -> bool:
    """A constant that is the value of a tensor still alive was read from outside ctx (a global, a module's
    weight): baked into the cached backward it would go stale, so such a backward runs eagerly."""
    ids = {id(c) for c in consts if isinstance(c, jax.Array)}
    if not ids:
        return False
    Tensor = _Tensor()
    # issubclass(type(o)), not isinstance: isinstance may call a lazy module's __class__ (and warn)
    return any(issubclass(type(o), Tensor) and id(o._value) in ids for o in gc.get_objects())
