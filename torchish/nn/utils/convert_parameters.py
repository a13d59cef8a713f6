"""torch.nn.utils.parameters_to_vector / vector_to_parameters."""

from __future__ import annotations

from collections.abc import Iterable

from ..._tensor import Tensor
from ...ops import shape as _S

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_param_device(param: Tensor, old_param_device: int | None) -> int:
    if old_param_device is None:
        return param.get_device() if param.device.type == "cuda" else -1
    warn = param.get_device() != old_param_device if param.device.type == "cuda" else old_param_device != -1
    if warn:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return old_param_device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    param_device = None
    vec = []
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        vec.append(_S.view(param, -1))
    return _S.cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    if not isinstance(vec, Tensor):
        from ..modules.module import _typename

        raise TypeError(f"expected torch.Tensor, but got: {_typename(vec)}")
    param_device = None
    pointer = 0
    for param in parameters:
        param_device = _check_param_device(param, param_device)
        num_param = param.numel()
        param.data = _S.view_as(vec[pointer : pointer + num_param], param).data
        pointer += num_param
