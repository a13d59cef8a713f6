"""torch.autograd.forward_ad: dual tensors, whose tangents every op carries forward by JAX's jvp of its kernel.

A tangent has a history where its primals or tangents require grad (one node per op; torch records its forward
formula op by op), and custom Functions do not carry tangents.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

import jax
import jax.numpy as jnp

# the entered level (torch supports one) and the tensors that got a tangent at it, for exit_dual_level
_LEVEL: list = []
_DUALS: dict = {}  # id -> weakref (tensors compare elementwise, so no WeakSet)

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]


def enter_dual_level() -> int:
    if _LEVEL:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _LEVEL.append(0)
    return 0


def exit_dual_level(*, level: int | None = None) -> None:
    if level is None:
        level = _LEVEL[-1] if _LEVEL else -1
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    if not _LEVEL or level != _LEVEL[-1]:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported."
        )
    for ref in list(_DUALS.values()):
        t = ref()
        if t is not None:
            t._fw_tangent = None
    _DUALS.clear()
    _LEVEL.pop()


class dual_level:
    """Context manager of a forward AD level: tangents live until it exits."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()


def _set_tangent(t, tangent) -> None:
    t._fw_tangent = tangent
    _DUALS[id(t)] = weakref.ref(t, lambda _, k=id(t): _DUALS.pop(k, None))


def make_dual(tensor, tangent, *, level: int | None = None):
    if not _LEVEL:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first."
        )
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tensor._fw_tangent is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the same level 0 is not "
            "supported."
        )
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is "
            f"not supported. Tensor is of size {list(tensor.shape)} while the given forward gradient is of size "
            f"{list(tangent.shape)}."
        )
    from ..ops.shape import _view

    dual = _view(tensor, tuple(tensor.shape))
    _set_tangent(dual, tangent)
    return dual


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    tangent = tensor._fw_tangent if _LEVEL else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    from ..ops.shape import _view

    primal = _view(tensor, tuple(tensor.shape))
    primal._fw_tangent = None  # (the view op carried the tangent along)
    if primal._grad_fn is not None:  # (torch's _fw_primal view is recorded as an Identity node)
        primal._grad_fn._name = "torch::autograd::Identity"
    return UnpackedDualTensor(primal, tangent)


def _carry(k, args: tuple, values: tuple, outputs: tuple) -> None:
    """Give an op's floating outputs the tangents JAX's jvp of its kernel computes from the inputs' tangents.
    Where a primal or a tangent requires grad (in grad mode) the tangents get a history, as torch's do: one
    node for the op's tangent computation, differentiable in its primals and tangents."""
    from .._tensor import Tensor
    from . import grad_mode as _gm

    pos = [i for i, a in enumerate(args) if isinstance(a, Tensor) and jnp.issubdtype(a._value.dtype, jnp.inexact)]
    tangents = [args[i]._fw_tangent for i in pos]
    if all(t is None for t in tangents):
        return
    given = [j for j, t in enumerate(tangents) if t is not None]
    primals = tuple(values[i] for i in pos)
    wanted = [n for n, o in enumerate(outputs) if jnp.issubdtype(o._value.dtype, jnp.inexact)]

    def f(*xs: Any):
        vs = list(values)
        for i, x in zip(pos, xs):
            vs[i] = x
        return k.pure(*vs)

    def tangent_of(*xs_and_ts: Any) -> tuple:
        xs, ts = xs_and_ts[: len(pos)], iter(xs_and_ts[len(pos) :])
        tans = [next(ts).astype(p.dtype) if j in given else jnp.zeros_like(p) for j, p in enumerate(xs)]
        _, out = jax.jvp(f, tuple(xs), tuple(tans))
        out = out if isinstance(out, tuple) else (out,)
        return tuple(out[n] for n in wanted)

    sources = [args[i] for i in pos] + [tangents[j] for j in given]
    arrays = list(primals) + [tangents[j]._value for j in given]
    if _gm._state.grad_enabled and any(s.requires_grad for s in sources):
        from .. import _jaxfn

        closed = _jaxfn.trace(tangent_of, arrays)
        results = _jaxfn.apply("forward_ad", closed, tangent_of, arrays, lambda fn: fn, sources=sources, exact=True)
    else:
        results = [Tensor._make(t) for t in tangent_of(*arrays)]
    for n, t in zip(wanted, results):
        _set_tangent(outputs[n], t)
