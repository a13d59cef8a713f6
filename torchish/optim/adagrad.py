"""torch.optim.Adagrad."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import full_like, tensor
from . import _kernels as K
from .optimizer import (
    Optimizer,
    _check_lr,
    _commit_steps,
    _get_scalar_dtype,
    _next_steps,
    _to_scalar,
    _use_grad_for_differentiable,
)

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        # torch creates Adagrad's state eagerly, at construction
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = tensor(0.0, dtype=_get_scalar_dtype())
                state["sum"] = full_like(p, initial_accumulator_value)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)

    def share_memory(self) -> None:
        pass

    @_use_grad_for_differentiable
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            from ..autograd import grad_mode as _gm

            with _gm.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, sums, steps = [], [], [], []
            lr = _to_scalar(group["lr"])
            lr = float(lr) if isinstance(lr, Tensor) else lr
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = tensor(0.0, dtype=_get_scalar_dtype())
                    state["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
                sums.append(state["sum"])
                steps.append(state["step"])
            if not params:
                continue
            rows = []
            new_steps = _next_steps(steps)
            for step in new_steps:
                clr = lr / (1 + (step - 1) * group["lr_decay"])
                rows.append([group["weight_decay"], group["eps"], -clr])
            new_p, new_s, step_arrays = K.adagrad(
                tuple(p._value for p in params),
                tuple(g._value for g in grads),
                tuple(s._value for s in sums),
                tuple(t._value for t in steps),
                np.array(rows, np.float64),
                maximize=bool(group["maximize"]),
                weight_decay=group["weight_decay"] != 0,
            )
            _commit_steps(steps, step_arrays, new_steps)
            for ts, vs in ((params, new_p), (sums, new_s)):
                for t, v in zip(ts, vs):
                    t._set_value(v)
        return loss
