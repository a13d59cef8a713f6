"""torch.nn.functional's margin, embedding and likelihood losses (re-exported by nn.functional).

Those ATen composes in C++ are composed here op for op (its Scalar overloads give AddBackward1 /
SubBackward1 / MulBackward1, its in-place clamp_min_ a ClampMinBackward0); those torch writes in Python are
written as torch writes them; soft_margin_loss, multi_margin_loss and multilabel_margin_loss are single ops.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .._tensor import Tensor
from ..ops import creation as _C
from ..ops import nn_extra_ops as _X
from ..ops import nn_ops as _N
from ..ops import pointwise as _P
from ..ops import reduction as _R
from ..ops import selection as _Sel

__all__ = [
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "multilabel_soft_margin_loss",
    "multilabel_margin_loss",
    "multi_margin_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "poisson_nll_loss",
    "gaussian_nll_loss",
]


def _legacy(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        from .functional import _legacy_reduction

        return _legacy_reduction(size_average, reduce)
    return reduction


def _enum(reduction: str) -> str:
    """torch.nn._reduction.get_enum: an unknown reduction is a ValueError."""
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _apply(out: Tensor, reduction: str) -> Tensor:
    """ATen's apply_loss_reduction."""
    if reduction == "mean":
        return _R.mean(out)
    if reduction == "sum":
        return _R.sum(out)
    return out


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} "
        )
    out = _X._nn_add_scalar(_P.mul(_P.neg(target), _P.sub(input1, input2)), margin)
    return _apply(out.clamp_min_(0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    zeros = _C.zeros_like(input)
    margin_clamp = _P.sub(margin, input).clamp_min_(0)
    output_margin = _P.where(_P.ne(target, 1), margin_clamp, zeros)
    output_self = _P.where(_P.ne(target, -1), input, zeros)
    return _apply(_P.add(output_margin, output_self), reduction)


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    return _X.soft_margin_loss(input, target, reduction)


def multilabel_soft_margin_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    from .functional import logsigmoid

    reduction = _legacy(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    c = input.size(class_dim)
    loss = loss.sum(dim=class_dim) / c
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


def multilabel_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    return _X.multilabel_margin_loss(input, target, reduction)


def multi_margin_loss(
    input: Tensor,
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    return _X.multi_margin_loss(input, target, weight, p, float(margin), reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and not (input1.dim() == 2 and input2.dim() == 2):
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes {list(input1.shape)} and "
            f"{list(input2.shape)}."
        )
    if td == 0 and not (input1.dim() == 1 and input2.dim() == 1):
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes {list(input1.shape)} and "
            f"{list(input2.shape)}."
        )
    eps = 9.999999960041972e-13  # ATen's EPSILON is the float 1e-12
    prod_sum = _R.sum(_P.mul(input1, input2), td)
    mag1 = _X._nn_add_scalar(_R.sum(_P.mul(input1, input1), td), eps)
    mag2 = _X._nn_add_scalar(_R.sum(_P.mul(input2, input2), td), eps)
    denom = _P.mul(mag1, mag2).sqrt_()
    cos = _P.div(prod_sum, denom)
    zeros = _C.zeros_like(cos)
    pos = _P.sub(1, cos)
    neg = _X._nn_sub_scalar(cos, margin).clamp_min_(0)
    out = _P.add(_P.where(_P.eq(target, 1), pos, zeros), _P.where(_P.eq(target, -1), neg, zeros))
    return _apply(out, reduction)


def _pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """ATen's pairwise_distance: norm(x1 - x2 + eps, p, innermost dim)."""
    dim = max(x1.dim(), x2.dim()) - 1
    return _N._norm(_X._nn_add_scalar(_P.sub(x1, x2), eps), p, dim, False)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _enum(_legacy(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, n = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pd == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a}D, positive {pd}D, and negative {n}D inputs"
        )
    dist_pos = _pairwise_distance(anchor, positive, p, eps)
    dist_neg = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = _P.minimum(dist_neg, _pairwise_distance(positive, negative, p, eps))
    out = _P.clamp_min(_P.sub(_X._nn_add_scalar(dist_pos, margin), dist_neg), 0)
    return _apply(out, reduction)


def triplet_margin_with_distance_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    *,
    distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> Tensor:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, n = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd == n):
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {a}D, positive {pd}D, and negative {n}D inputs"
        )
    if distance_function is None:
        distance_function = lambda x, y: _pairwise_distance(x, y, 2.0, 1e-6)  # noqa: E731
    dist_pos = distance_function(anchor, positive)
    dist_neg = distance_function(anchor, negative)
    if swap:
        dist_neg = _P.minimum(dist_neg, distance_function(positive, negative))
    loss = _P.clamp_min(margin + dist_pos - dist_neg, 0)
    if reduction == "sum":
        return _R.sum(loss)
    if reduction == "mean":
        return _R.mean(loss)
    return loss


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    reduction = _legacy(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    if log_input:
        loss = _P.sub(_P.exp(input), _P.mul(target, input))
    else:
        loss = _P.sub(input, _P.mul(target, _P.log(_X._nn_add_scalar(input, eps))))
    if full:
        stirling = _P.add(
            _P.sub(_P.mul(target, _P.log(target)), target),
            _X._nn_mul_scalar(_P.log(_X._nn_mul_scalar(target, 2 * math.pi)), 0.5),
        )
        loss = loss.add_(_Sel.masked_fill(stirling, _P.le(target, 1), 0))
    return _apply(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    from ..autograd import grad_mode as _gm

    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * _C.ones_like(input)
    elif bool(_R.any(_P.lt(var, 0))):
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with _gm.no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (_P.log(var) + (input - target) ** 2 / var)
    if full:
        loss += 0.5 * math.log(2 * math.pi)
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
