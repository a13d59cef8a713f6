"""torch.optim.Adam and AdamW (AdamW is Adam with decoupled weight decay, as in torch 2.13)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from ..ops.creation import tensor, zeros_like
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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
            _check_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        betas = tuple(map(_to_scalar, betas))
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            self._step_supports_amp_scaling = True
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("amsgrad", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("capturable", False)
            group.setdefault("differentiable", False)
            group.setdefault("decoupled_weight_decay", False)
            group.setdefault("fused", None)
            for p in group["params"]:
                p_state = self.state.get(p, [])
                if len(p_state) != 0 and not isinstance(p_state["step"], Tensor):
                    p_state["step"] = tensor(float(p_state["step"]), dtype=_get_scalar_dtype())

    def _init_group(
        self,
        group: dict,
        params_with_grad: list,
        grads: list,
        exp_avgs: list,
        exp_avg_sqs: list,
        max_exp_avg_sqs: list,
        state_steps: list,
    ) -> bool:
        for p in group["params"]:
            if p.grad is None:
                continue
            params_with_grad.append(p)
            grads.append(p.grad)
            state = self.state[p]
            if len(state) == 0:
                state["step"] = tensor(0.0, dtype=_get_scalar_dtype())
                state["exp_avg"] = zeros_like(p)
                state["exp_avg_sq"] = zeros_like(p)
                if group["amsgrad"]:
                    state["max_exp_avg_sq"] = zeros_like(p)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            if group["amsgrad"]:
                max_exp_avg_sqs.append(state["max_exp_avg_sq"])
            state_steps.append(state["step"])
        return False

    @_use_grad_for_differentiable
    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            from ..autograd import grad_mode as _gm

            with _gm.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params: list[Tensor] = []
            grads: list[Tensor] = []
            exp_avgs: list[Tensor] = []
            exp_avg_sqs: list[Tensor] = []
            max_exp_avg_sqs: list[Tensor] = []
            state_steps: list[Tensor] = []
            self._init_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
            if params:
                _adam_group(group, params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs, state_steps)
        return loss


def _f(x: Any) -> float:
    x = _to_scalar(x)
    return float(x) if isinstance(x, Tensor) else x


def _adam_group(
    group: dict, params: list, grads: list, exp_avgs: list, exp_avg_sqs: list, max_sqs: list, steps: list
) -> None:
    """One fused call for the group; the scalars are torch's Python-double arithmetic, done here."""
    beta1, beta2 = (_f(b) for b in group["betas"])
    lr, wd, eps = _f(group["lr"]), group["weight_decay"], group["eps"]
    decoupled = bool(group["decoupled_weight_decay"])
    rows = []
    new_steps = _next_steps(steps)
    for step in new_steps:
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        step_size = lr / bias_correction1
        rows.append(
            [1 - lr * wd if decoupled else wd, 1 - beta1, beta2, 1 - beta2, bias_correction2**0.5, eps, -step_size]
        )
    amsgrad = bool(group["amsgrad"])
    new_p, new_m, new_v, new_vmax, step_arrays = K.adam(
        tuple(p._value for p in params),
        tuple(g._value for g in grads),
        tuple(m._value for m in exp_avgs),
        tuple(v._value for v in exp_avg_sqs),
        tuple(v._value for v in max_sqs) if amsgrad else None,
        tuple(t._value for t in steps),
        np.array(rows, np.float64),
        maximize=bool(group["maximize"]),
        weight_decay=0 if wd == 0 else (2 if decoupled else 1),
        amsgrad=amsgrad,
        lerp_small=abs(np.float32(1 - beta1)) < 0.5,
    )
    _commit_steps(steps, step_arrays, new_steps)
    for ts, vs in ((params, new_p), (exp_avgs, new_m), (exp_avg_sqs, new_v)):
        for t, v in zip(ts, vs):
            t._set_value(v)
    if amsgrad:
        for t, v in zip(max_sqs, new_vmax):
            t._set_value(v)


class AdamW(Adam):
    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
