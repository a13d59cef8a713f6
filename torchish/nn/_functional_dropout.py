"""torch.nn.functional's dropout, dropout1d/2d/3d (re-exported by nn.functional): ATen's _dropout_impl, a mask
drawn by bernoulli_ (torch's stream, in the input's memory order) and scaled by 1 / (1 - p); the feature forms
one draw per channel."""

from __future__ import annotations

import warnings

from .._tensor import Tensor
from ..ops import creation as _C
from ..ops import pointwise as _P
from ..ops import shape as _S


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dense_memory_order(t: Tensor) -> list[int] | None:
    """The dims of a non-overlapping, dense, non-contiguous tensor, outermost in memory first (the layout
    torch's empty_like keeps); None for a contiguous tensor or one empty_like lays out contiguously."""
    if t.is_contiguous() or t.dim() < 2:
        return None
    strides = t.stride()
    perm = sorted(range(t.dim()), key=lambda d: (-strides[d] if t.shape[d] != 1 else 0, d))
    expected = 1
    for d in reversed(perm):
        if t.shape[d] != 1:
            if strides[d] != expected:
                return None
            expected *= t.shape[d]
    return perm


def _dropout_impl(input: Tensor, p: float, train: bool, inplace: bool, feature: bool) -> Tensor:
    """ATen's _dropout_impl: the same calls, so the mask draws torch's bernoulli stream."""
    if p == 0 or not train or input.numel() == 0:
        return input
    if p == 1:
        zero = _C.zeros((), dtype=input.dtype)
        return input.mul_(zero) if inplace else _P.mul(input, zero)
    if feature:
        noise = _C.empty(tuple(input.shape[:2]) + (1,) * (input.dim() - 2), dtype=input.dtype)
    else:
        noise = _C.empty_like(input)
    from ..autograd import grad_mode as _gm

    perm = None if feature else _dense_memory_order(input)
    with _gm.no_grad():
        if perm is not None:
            # torch's empty_like keeps a dense input's strides: bernoulli_ draws in memory order
            noise = _C.empty(tuple(input.shape[d] for d in perm), dtype=input.dtype)
            noise.bernoulli_(1 - p)
            noise.div_(1 - p)
            noise = _S.permute(noise, tuple(perm.index(d) for d in range(input.dim())))
        else:
            noise.bernoulli_(1 - p)
            noise.div_(1 - p)
    return input.mul_(noise) if inplace else _P.mul(input, noise)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    return _dropout_impl(input, p, training, inplace, feature=False)


def _feature_dropout_batched(input: Tensor, p: float, training: bool, inplace: bool, batched: bool) -> Tensor:
    if not batched:
        input = _S.unsqueeze(input, 0)
    result = _dropout_impl(input, p, training, inplace, feature=True)
    return result if batched else _S.squeeze(result, 0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    inp_dim = input.dim()
    if inp_dim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {inp_dim}D input. Note that dropout1d exists to "
            "provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional "
            "batch dimension (i.e. 2D or 3D inputs)."
        )
    return _feature_dropout_batched(input, p, training, inplace, inp_dim == 3)


def _warn_rank(name: str, inp_dim: int, spatial: int) -> None:
    """torch's deprecation warning for a dropout2d / dropout3d input of another rank (at the caller's line)."""
    if inp_dim not in (spatial + 1, spatial + 2):
        warnings.warn(
            f"{name}: Received a {inp_dim}-D input to {name}, which is deprecated and will result in an error in a "
            "future release. To retain the behavior and silence this warning, please use dropout instead. Note that "
            f"{name} exists to provide channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
            f"dimension, and an optional batch dimension (i.e. {spatial + 1}D or {spatial + 2}D inputs).",
            stacklevel=3,
        )


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    inp_dim = input.dim()
    _warn_rank("dropout2d", inp_dim, 2)
    if inp_dim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.",
            stacklevel=2,
        )
    return _dropout_impl(input, p, training, inplace, feature=True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    _check_p(p)
    inp_dim = input.dim()
    _warn_rank("dropout3d", inp_dim, 3)
    return _feature_dropout_batched(input, p, training, inplace, inp_dim == 5)
