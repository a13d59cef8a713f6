"""torch.autograd.graph's saved-tensor hooks: pack_hook runs when an op saves a tensor for its backward, and
unpack_hook when the backward (or `grad_fn._saved_*`) reads it. A packed tensor is what the backward gets,
as it is then: torch checks no version for it."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from . import grad_mode as _gm
from .graph import _Tensor


class saved_tensors_hooks:
    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        if _gm._state.saved_hooks_disabled is not None:
            raise RuntimeError(_gm._state.saved_hooks_disabled)
        _gm._state.saved_hooks = _gm._state.saved_hooks + ((self.pack_hook, self.unpack_hook),)

    def __exit__(self, *args: Any) -> None:
        _gm._state.saved_hooks = _gm._state.saved_hooks[:-1]


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors kept on the CPU (ours live where JAX put them; on CPU this is a copy)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: (t.device, t.cpu()), lambda packed: packed[1].to(packed[0]))


class disable_saved_tensors_hooks:
    """Inside, registering saved-tensor hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._prev = _gm._state.saved_hooks_disabled
        _gm._state.saved_hooks_disabled = self.error_message

    def __exit__(self, *args: Any) -> None:
        _gm._state.saved_hooks_disabled = self._prev


def pack_all(tensors) -> tuple | None:
    """[(index, packed, (unpack_hook, the saved tensor's autograd meta))] for the tensors an op saves, by the
    innermost hooks; None without hooks."""
    hooks = _gm._state.saved_hooks
    if not hooks:
        return None
    pack, unpack_hook = hooks[-1]
    return tuple((i, pack(t), (unpack_hook, _meta(t))) for i, t in tensors)


def _meta(t):
    acc = t._accumulator() if t._grad_fn is None and t.requires_grad else None
    return weakref.ref(t), t.requires_grad, t._grad_fn, t._output_nr, acc


def unpack(packed, how, like=None):
    """The tensor the backward gets: the hook's data with the saved tensor's autograd meta (its grad_fn, or
    its leaf's AccumulateGrad), as torch's SavedVariable unpacks it. like: (shape, dtype) the data must keep,
    as the backward was built for them."""
    hook, (original, requires_grad, grad_fn, output_nr, acc) = how
    t = hook(packed)
    if not isinstance(t, _Tensor()):
        raise TypeError(
            f"Output of saved tensor unpack_hook expected to be a Tensor but got result of type {type(t).__name__}"
        )
    if like is not None and (tuple(t._value.shape), t._value.dtype) != (tuple(like[0]), like[1]):
        raise RuntimeError(
            f"torchish: unpack_hook returned a tensor of shape {list(t.shape)} and dtype {t.dtype} for a saved "
            f"tensor of shape {list(like[0])}; the backward needs the saved shape and dtype"
        )
    if t is original():
        return t
    out = _Tensor()._make(t._value, requires_grad and grad_fn is None)
    out._grad_fn, out._output_nr = grad_fn, output_nr
    if acc is not None:
        out._acc = weakref.ref(acc)
    return out
