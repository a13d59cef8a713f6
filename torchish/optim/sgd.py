"""torch.optim.SGD."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from . import _kernels as K
from .optimizer import Optimizer, _check_lr, _to_scalar, _use_grad_for_differentiable

__all__ = ["SGD"]


class SGD(Optimizer):
    def __init__(
        self,
        params: Any,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        _check_lr(lr)
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        if fused:
            self._step_supports_amp_scaling = True
            self._need_device_dtype_check_for_fused = True
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    def _init_group(self, group: dict, params: list, grads: list, momentum_buffer_list: list) -> bool:
        has_sparse_grad = False
        for p in group["params"]:
            if p.grad is not None:
                params.append(p)
                grads.append(p.grad)
                if group["momentum"] != 0:
                    momentum_buffer_list.append(self.state[p].get("momentum_buffer"))
        return has_sparse_grad

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
            momentum_buffer_list: list[Tensor | None] = []
            self._init_group(group, params, grads, momentum_buffer_list)
            if not params:
                continue
            momentum = group["momentum"]
            bufs = momentum_buffer_list if momentum != 0 else [None] * len(params)
            lr = _to_scalar(group["lr"])
            lr = float(lr) if isinstance(lr, Tensor) else lr
            wd = group["weight_decay"]
            wd = float(wd) if isinstance(wd, Tensor) else wd
            scal = np.array([wd, momentum, 1 - group["dampening"], -lr], np.float64)
            new_p, new_b = K.sgd(
                tuple(p._value for p in params),
                tuple(g._value for g in grads),
                tuple(None if b is None else b._value for b in bufs),
                scal,
                maximize=bool(group["maximize"]),
                weight_decay=wd != 0,
                momentum=momentum != 0,
                nesterov=bool(group["nesterov"]),
            )
            for p, v in zip(params, new_p):
                p._set_value(v)
            if momentum != 0:
                for p, b, v in zip(params, bufs, new_b):
                    if b is None:
                        self.state[p]["momentum_buffer"] = Tensor._make(v)
                    else:
                        b._set_value(v)
        return loss
