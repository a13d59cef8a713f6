"""torch.nn.utils.clip_grad: gradient norms and clipping, as one jitted computation over all grads."""

from __future__ import annotations

import functools
import types
import warnings
from collections.abc import Iterable
from typing import Union

import jax
import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd import grad_mode as _gm

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]

_tensor_or_tensors = Union[Tensor, Iterable[Tensor]]


def _vector_norm(x: jax.Array, p: float) -> jax.Array:
    x = x.reshape(-1)
    if p == 2.0:
        return jnp.sqrt(jnp.sum(x * x))
    if p == float("inf"):
        return jnp.max(jnp.abs(x)) if x.size else jnp.zeros((), x.dtype)
    if p == float("-inf"):
        return jnp.min(jnp.abs(x))
    if p == 0:
        return jnp.sum(x != 0).astype(x.dtype)
    if p == 1.0:
        return jnp.sum(jnp.abs(x))
    return jnp.sum(jnp.abs(x) ** p) ** (1.0 / p)


@functools.partial(jax.jit, static_argnums=(1,))
def _total_norm(grads: tuple, p: float) -> jax.Array:
    # torch: the norm of the per-tensor norms (each in its own dtype, stacked in the first one's)
    norms = [_vector_norm(g, p).astype(grads[0].dtype) for g in grads]
    return _vector_norm(jnp.stack(norms), p)


@jax.jit
def _scale(grads: tuple, total_norm: jax.Array, max_norm: float) -> tuple:
    clip_coef = max_norm / (total_norm + 1e-6)
    coef = jnp.minimum(clip_coef, 1.0)
    return tuple(g * coef.astype(g.dtype) for g in grads)


def get_total_norm(
    tensors: _tensor_or_tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: bool | None = None
) -> Tensor:
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if len(tensors) == 0:
        from ...ops.creation import tensor

        return tensor(0.0)
    total = _total_norm(tuple(t._value for t in tensors), norm_type)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return Tensor._make(total)


def clip_grads_with_norm_(
    parameters: _tensor_or_tensors, max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    if len(grads) == 0:
        return
    with _gm.no_grad():
        for g, v in zip(grads, _scale(tuple(g._value for g in grads), total_norm._value, float(max_norm))):
            g._set_value(v)


def clip_grad_norm_(
    parameters: _tensor_or_tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and len(parameters) == 0:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: _tensor_or_tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: _tensor_or_tensors, clip_value: float, foreach: bool | None = None) -> None:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    with _gm.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
