"""torch.optim.RMSprop."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import zeros, zeros_like
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

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("momentum", 0)
            group.setdefault("centered", False)
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("capturable", False)

    @_use_grad_for_differentiable
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            from ..autograd import grad_mode as _gm

            with _gm.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params, grads, square_avgs, grad_avgs, bufs, steps = [], [], [], [], [], []
            for p in group["params"]:
                if p.grad is None:
                    continue
                params.append(p)
                grads.append(p.grad)
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = zeros((), dtype=_get_scalar_dtype())
                    state["square_avg"] = zeros_like(p)
                    if group["momentum"] > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if group["centered"]:
                        state["grad_avg"] = zeros_like(p)
                steps.append(state["step"])
                square_avgs.append(state["square_avg"])
                grad_avgs.append(state.get("grad_avg") if group["centered"] else None)
                bufs.append(state.get("momentum_buffer") if group["momentum"] > 0 else None)
            if not params:
                continue
            new_steps = _next_steps(steps)
            lr = _to_scalar(group["lr"])
            lr = float(lr) if isinstance(lr, Tensor) else lr
            alpha, momentum, wd = group["alpha"], group["momentum"], group["weight_decay"]
            scal = np.array([wd, alpha, 1 - alpha, group["eps"], momentum, -lr], np.float64)
            centered, use_mom = bool(group["centered"]), momentum > 0
            new_p, new_sq, new_ga, new_b, step_arrays = K.rmsprop(
                tuple(p._value for p in params),
                tuple(g._value for g in grads),
                tuple(s._value for s in square_avgs),
                tuple(None if t is None else t._value for t in grad_avgs),
                tuple(None if t is None else t._value for t in bufs),
                tuple(t._value for t in steps),
                scal,
                maximize=bool(group["maximize"]),
                weight_decay=wd != 0,
                centered=centered,
                momentum=use_mom,
                lerp_small=abs(np.float32(1 - alpha)) < 0.5,
            )
            _commit_steps(steps, step_arrays, new_steps)
            for ts, vs, on in (
                (params, new_p, True),
                (square_avgs, new_sq, True),
                (grad_avgs, new_ga, centered),
                (bufs, new_b, use_mom),
            ):
                if on:
                    for t, v in zip(ts, vs):
                        t._set_value(v)
        return loss
