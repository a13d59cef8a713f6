"""torch.nn.functional.

Functions that torch implements as a composition of other ATen ops are composed here the same way,
so outputs carry torch's grad_fn (F.linear -> AddmmBackward0, cross_entropy -> NllLossBackward0 over
LogSoftmaxBackward0, dropout -> MulBackward0); the rest call single ops from ops/nn_ops.py.
"""

from __future__ import annotations

import warnings
from typing import Any

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from ..ops import _out as _O
from ..ops import linalg as _L
from ..ops import nn_ops as _N
from ..ops import pointwise as _P
from ..ops import pointwise_special as _PS
from ..ops import reduction as _R
from ..ops import shape as _S
from ..ops._registry import _type_word
from ._functional_attention import (  # noqa: F401
    _canonical_mask,
    _in_projection,
    _in_projection_packed,
    _mha_shape_check,
    _none_or_dtype,
    multi_head_attention_forward,
)
from ._functional_conv import (  # noqa: F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    pad,
)
from ._functional_dropout import (  # noqa: F401
    _dropout_impl,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
)
from ._functional_extra import (  # noqa: F401
    channel_shuffle,
    fold,
    instance_norm,
    interpolate,
    local_response_norm,
    lp_pool1d,
    lp_pool2d,
    native_channel_shuffle,
    pixel_shuffle,
    pixel_unshuffle,
    scaled_dot_product_attention,
    unfold,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from ._functional_losses import (  # noqa: F401
    cosine_embedding_loss,
    gaussian_nll_loss,
    hinge_embedding_loss,
    margin_ranking_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    poisson_nll_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)

Size = Any


# ------------------------------------------------------------------------- reductions (legacy args)


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch.nn._reduction.legacy_get_string, with its deprecation warning."""
    warnings.warn(
        "size_average and reduce args will be deprecated, please use reduction='{}' instead.".format(
            "mean"
            if (reduce is None or reduce) and (size_average is None or size_average)
            else "sum"
            if reduce is None or reduce
            else "none"
        ),
        stacklevel=3,
    )
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        return "mean"
    if reduce:
        return "sum"
    return "none"


def _check_reduction_string(reduction: str) -> None:
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


# ------------------------------------------------------------------------- linear


def _check_mm_shapes(m1: Tensor, m2_shape: tuple, rows: int, k: int) -> None:
    if k != m2_shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {m2_shape[0]}x{m2_shape[1]})")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None, *, out: Tensor | None = None) -> Tensor:
    """y = x W^T + b, decomposed as ATen's at::linear (addmm for a 1-D bias, matmul otherwise); into out, linear's
    out= (its result's dtype only)."""
    if out is None:
        return _linear(input, weight, bias)
    _O.check_out_grad("linear", (input, weight, bias), (out,))
    return _O.exact_out("linear", out, _linear(input, weight, bias))


def _linear(input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {input.dim()}D and {weight.dim()}D"
        )
    wt = _N._linear_t(weight) if weight.dim() == 2 else _S.t(weight)
    wt._version_counter = weight._version_counter
    wt.__dict__["_transpose_of"] = weight  # (its layout, which mm's formulas branch on: it is no registered view)
    if bias is not None and bias.dim() == 1 and weight.dim() == 2:
        shp = tuple(input.shape)
        x2 = input if input.dim() == 2 else _S.reshape(input, -1, shp[-1])
        if x2.dtype is not weight.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tw(x2)} and {_tw(weight)}")
        if bias.dtype is not weight.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tw(bias)} and {_tw(weight)}")
        rows = x2.shape[0]
        _check_mm_shapes(x2, tuple(wt.shape), rows, shp[-1])
        if bias.shape[0] != wt.shape[1]:
            raise RuntimeError(
                f"The expanded size of the tensor ({wt.shape[1]}) must match the existing size ({bias.shape[0]}) at "
                f"non-singleton dimension 1.  Target sizes: [{rows}, {wt.shape[1]}].  Tensor sizes: "
                f"[{bias.shape[0]}]"
            )
        out = _L.addmm(bias, x2, wt)
        return out if input.dim() == 2 else _S.view(out, shp[:-1] + (wt.shape[1],))
    out = _L.matmul(input, wt)
    if bias is not None:
        out = _P.add(out, bias)
    return out


def _tw(t: Tensor) -> str:
    from ..ops._registry import _type_word

    return _type_word(t.dtype)


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """ATen's bilinear: both inputs flattened to matrices, one _trilinear, the result viewed back, plus bias."""
    if not (input1.dtype == input2.dtype == weight.dtype and (bias is None or bias.dtype == weight.dtype)):
        named = [("input1", input1), ("input2", input2), ("weight", weight)] + (
            [("bias", bias)] if bias is not None else []
        )
        got = ", ".join(f"{k}: {_L._C_NAMES[t.dtype._name]}" for k, t in named)  # (the C++ type names)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and "
                f"{input2.shape[i]}"
            )
    for k, t in ((1, input1), (2, input2)):
        if t.shape[-1] != weight.shape[k]:
            raise RuntimeError(
                f"bilinear(): input{k} size does not match weight size: got {t.shape[-1]} but expected "
                f"{weight.shape[k]}"
            )
    if bias is not None and bias.shape[0] != weight.shape[0]:
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected {weight.shape[0]}"
        )
    size = tuple(input1.shape[:-1]) + (weight.shape[0],)
    flat1 = _S.reshape(input1, (-1, input1.shape[-1]))
    flat2 = _S.reshape(input2, (-1, input2.shape[-1]))
    out = _S.reshape(_L._trilinear(flat1, weight, flat2, (1, 3), (0,), (1, 2), (2, 3)), size)
    return _P.add(out, bias) if bias is not None else out


def identity(input: Tensor) -> Tensor:
    return input


# ------------------------------------------------------------------------- activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return input.relu_() if inplace else _P.relu(input)


def relu_(input: Tensor) -> Tensor:
    return input.relu_()


def _maybe_inplace(fn, input: Tensor, inplace: bool, *args: Any, **kwargs: Any) -> Tensor:
    return fn(input, *args, _target=input, **kwargs) if inplace else fn(input, *args, **kwargs)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.hardtanh, input, inplace, 0.0, 6.0)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_N.hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    if inplace:
        return _N._elu_inplace(input, alpha, _target=input)
    return _N.elu(input, alpha)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    if inplace:
        return _N._elu_inplace(input, _SELU_ALPHA, _SELU_SCALE, _target=input)
    return _N.elu(input, _SELU_ALPHA, _SELU_SCALE)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.celu, input, inplace, alpha)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    if inplace:
        return _N._leaky_relu_inplace(input, negative_slope, _target=input)
    return _N.leaky_relu(input, negative_slope)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def gelu(input: Tensor, approximate: str = "none", *, out: Tensor | None = None) -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _N.gelu(input, approximate=approximate, out=out)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.silu, input, inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.mish, input, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.hardsigmoid, input, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.hardswish, input, inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0, *, out: Tensor | None = None) -> Tensor:
    return _N.softplus(input, beta, threshold, out=out)


def logsigmoid(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """Into out: log_sigmoid_forward's out=, which resizes it without a warning, then takes the input's dtype only."""
    if out is None:
        return _N.logsigmoid(input)
    _O.check_out_grad("log_sigmoid_forward", (input,), (out,))
    result = _N.logsigmoid(input)
    _O.resize_out(out, result.shape, warnings_given=0)
    if out.dtype is not result.dtype:
        raise RuntimeError(f"expected scalar type {_type_word(result.dtype)} but found {_type_word(out.dtype)}")
    return _O.write_out(out, result)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    return _maybe_inplace(_N.threshold, input, inplace, threshold, value)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _N.threshold(input, threshold, value, _target=input)


def hardshrink(input: Tensor, lambd: float = 0.5, *, out: Tensor | None = None) -> Tensor:
    return _N.hardshrink(input, lambd, out=out)


def softshrink(input: Tensor, lambd: float = 0.5, *, out: Tensor | None = None) -> Tensor:
    return _N.softshrink(input, lambd, out=out)


def tanhshrink(input: Tensor) -> Tensor:
    return _P.sub(input, _P.tanh(input))


def softsign(input: Tensor) -> Tensor:
    return _P.div(input, _P.add(_P.abs(input), 1))


def glu(input: Tensor, dim: int = -1) -> Tensor:
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    return _N.glu(input, dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    return _N.prelu(input, weight)


def sigmoid(input: Tensor) -> Tensor:
    return _P.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return _P.tanh(input)


def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an argument.",
        stacklevel=stacklevel,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _cast_for_softmax(input: Tensor, dtype: Any) -> Tensor:
    return input if dtype is None else input.to(dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return _R.softmax(_cast_for_softmax(input, dtype), dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _R.log_softmax(_cast_for_softmax(input, dtype), dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return _R.softmax(_cast_for_softmax(_P.neg(input), dtype), dim)


# ------------------------------------------------------------------------- losses


def _size_warning(input: Tensor, target: Tensor) -> None:
    if target.size() != input.size():
        warnings.warn(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}). This will "
            "likely lead to incorrect results due to broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def _broadcast_pair(input: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    if tuple(input.shape) == tuple(target.shape):
        return input, target
    _P._broadcast_check((input, target), {})
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(target.shape)))
    return _S.broadcast_to(input, shape), _S.broadcast_to(target, shape)


def _weighted(loss: Tensor, weight: Tensor, input: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    w = _P.mul(loss, weight)
    if reduction == "none":
        return w
    if reduction == "sum":
        return _R.sum(w)
    if reduction == "mean":
        return _P.div(_R.sum(w), _R.sum(weight)) if mean_by_weight else _R.mean(w)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    x, y = _broadcast_pair(input, target)
    if weight is not None:
        return _weighted(_P.pow(_P.sub(x, y), 2), weight, input, reduction, True)
    return _N.mse_loss(x, y, reduction)


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    x, y = _broadcast_pair(input, target)
    loss = _P.abs(_P.sub(x, y))
    if weight is not None:
        return _weighted(loss, weight, input, reduction, True)
    _check_reduction_string(reduction)
    return _R.mean(loss) if reduction == "mean" else _R.sum(loss) if reduction == "sum" else loss


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Tensor | None = None
) -> Tensor:
    _size_warning(input, target)
    x, y = _broadcast_pair(input, target)
    if weight is None:
        return _N.huber_loss(x, y, reduction, delta)
    return _weighted(_N.huber_loss(x, y, "none", delta), weight, input, reduction, False)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    _size_warning(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    x, y = _broadcast_pair(input, target)
    if beta == 0.0:
        return l1_loss(x, y, reduction=reduction)
    return _N.smooth_l1_loss(x, y, reduction, beta)


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if target.size() != input.size():
        raise ValueError(
            f"Using a target size ({target.size()}) that is different to the input size ({input.size()}) is "
            "deprecated. Please ensure they have the same size."
        )
    if weight is not None:
        new_size = tuple(np.broadcast_shapes(tuple(target.shape), tuple(weight.shape)))
        weight = _S.expand(weight, new_size)
    return _N.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if not target.size() == input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size ({input.size()})")
    return _N.binary_cross_entropy_with_logits(input, target, weight, pos_weight, reduction)


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction_string(reduction)
    return _nll_loss_nd(input, target, weight, reduction, ignore_index)


def _nll_loss_nd(input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, ignore_index: int) -> Tensor:
    if input.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() != 1 and input.shape[0] != (target.shape[0] if target.dim() else 1):
        raise ValueError(
            f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
            f"({target.shape[0] if target.dim() else 1})."
        )
    if input.dim() <= 2 or input.dim() == 4:
        return _N.nll_loss(input, target, weight, reduction, ignore_index)
    n, c = input.shape[0], input.shape[1]
    if tuple(target.shape[1:]) != tuple(input.shape[2:]):
        raise ValueError(f"Expected target size {[n] + list(input.shape[2:])}, got {list(target.shape)}")
    x = _S.view(input, (n, c, 1, -1) if input.numel() else (n, c, 0, 0))
    t = _S.view(target, (n, 1, -1) if target.numel() else (n, 0, 0))
    out = _N.nll_loss(x, t, weight, reduction, ignore_index)
    return out if reduction != "none" else _S.view(out, (n,) + tuple(input.shape[2:]))


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """ATen's cross_entropy_loss: log_softmax then nll_loss, or the probability-target / smoothing forms."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _check_reduction_string(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing:g}")
    class_dim = 0 if input.dim() == 1 else 1
    if tuple(input.shape) == tuple(target.shape):
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got {_tw(target)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _ce_prob_target(input, target, weight, reduction, label_smoothing, class_dim)
    logp = _R.log_softmax(input, class_dim)
    nll = _nll_loss_nd(logp, target, weight, reduction, ignore_index)
    if label_smoothing <= 0.0:
        return nll
    n_classes = input.shape[class_dim]
    ignore_mask = _P.eq(target, ignore_index)
    if weight is not None:
        bshape = [1] * input.dim()
        bshape[class_dim] = weight.shape[0]
        smooth = _P.neg(_R.sum(_P.mul(logp, _S.view(weight, tuple(bshape))), class_dim))
    else:
        smooth = _P.neg(_R.sum(logp, class_dim))
    smooth = _P.where(ignore_mask, 0.0, smooth)
    if reduction == "mean":
        if weight is not None:
            keep = _P.logical_not(ignore_mask)
            safe = _P.where(keep, target, 0)
            denom = _R.sum(_P.mul(weight[safe], keep))
        else:
            denom = _R.sum(_P.logical_not(ignore_mask))
        ret = _P.div(_R.sum(smooth), denom)
    elif reduction == "sum":
        ret = _R.sum(smooth)
    else:
        ret = smooth
    return _P.add(_P.mul(nll, 1 - label_smoothing), _P.mul(ret, label_smoothing / n_classes))


def _ce_prob_target(
    input: Tensor, target: Tensor, weight: Tensor | None, reduction: str, label_smoothing: float, class_dim: int
) -> Tensor:
    n_classes = input.shape[class_dim]
    logp = _R.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = _P.add(_P.mul(target, 1 - label_smoothing), label_smoothing / n_classes)
    prod = _P.mul(logp, target)
    if weight is not None:
        bshape = [1] * input.dim()
        bshape[class_dim] = weight.shape[0]
        prod = _P.mul(prod, _S.view(weight, tuple(bshape)))
    if reduction == "mean":
        if input.numel() == 0:
            return _P.mul(_P.neg(_R.sum(prod)), float("nan"))
        return _N._div_scalar_c(_P.neg(_R.sum(prod)), input.numel() // n_classes)
    if reduction == "sum":
        return _P.neg(_R.sum(prod))
    return _P.neg(_R.sum(prod, class_dim))


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size.'batchmean' "
            "divides only by the batch size, and aligns with the KL div math definition.'mean' will be changed to "
            "behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    # ATen's kl_div: xlogy(t, t) - t * input (or exp(t) * (t - input) for log targets)
    if log_target:
        loss = _P.mul(_P.exp(target), _P.sub(target, input))
    else:
        loss = _P.sub(_PS.xlogy(target, target), _P.mul(target, input))
    if reduction == "batchmean":
        red = _R.sum(loss)
        return _P.div(red, input.shape[0]) if input.dim() != 0 else red
    return _R.mean(loss) if reduction == "mean" else _R.sum(loss) if reduction == "sum" else loss


# ------------------------------------------------------------------------- normalisation


def layer_norm(
    input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return _N.layer_norm(input, weight, bias, shape, eps)


def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, eps: float | None = None) -> Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return _N._rms_norm(input, weight, shape, eps)


def group_norm(
    input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.dim()}")
    return _N.group_norm(input, weight, bias, num_groups, eps)


def _verify_batch_size(size: Any) -> None:
    size_prods = size[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if size_prods == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {size}")


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    if training:
        _verify_batch_size(input.size())
    if training and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = input.shape[1] if input.dim() > 1 else 1
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if not training and (running_mean is None or running_var is None):
        training = True
    out = _N.batch_norm(
        input, weight, bias, None if training else running_mean, None if training else running_var, training, eps
    )
    if training and running_mean is not None and running_var is not None:
        from ..autograd import grad_mode as _gm

        with _gm.no_grad():
            new_mean, new_var = _N._batch_norm_stats(input.detach(), running_mean, running_var, momentum)
        running_mean._set_value(new_mean._value)
        running_var._set_value(new_var._value)
    return out


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Tensor | None = None) -> Tensor:
    norm = _N._norm(input, p, dim, True)
    denom = _S.expand_as(_P.clamp(norm, min=eps), input)
    return _P.div(input, denom, out=out)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """ATen's form: ((x1 / |x1|) * (x2 / |x2|)).sum(dim), the norms clamped to eps outside autograd."""
    x1, x2 = _broadcast_pair(x1, x2)

    def clamped_norm(x: Tensor) -> Tensor:
        n = _vnorm(x, dim)
        from ..autograd import grad_mode as _gm

        with _gm.no_grad():
            fix = _P.sub(_P.clamp(n, min=eps), n)
        return _P.add(n, fix)

    return _R.sum(_P.mul(_P.div(x1, clamped_norm(x1)), _P.div(x2, clamped_norm(x2))), dim)


def _vnorm(x: Tensor, dim: int) -> Tensor:
    return _N._norm(x, 2.0, dim, True)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    return _N.pairwise_distance(x1, x2, p, eps, keepdim)


# ------------------------------------------------------------------------- embedding, one_hot


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _N.embedding(weight, input, padding_idx, scale_grad_by_freq)


def _embedding_renorm_(weight: Tensor, input: Tensor, max_norm: float, norm_type: float) -> None:
    """torch.embedding_renorm_: rows used by `input` whose norm exceeds max_norm are scaled in place."""
    if weight.dim() != 2:
        raise RuntimeError(
            f"Expected 2-dimensional tensor, but got {weight.dim()}-dimensional tensor for argument #1 'self' (while "
            "checking arguments for embedding_renorm_)"
        )
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError(
            "Expected tensor for argument #2 'indices' to have one of the following scalar types: Long, Int; but got "
            f"torch.{_tw(input)}Tensor instead (while checking arguments for embedding_renorm_)"
        )
    w = np.asarray(weight._value)
    rows = np.unique(np.asarray(input._value).reshape(-1))
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    new = jnp.asarray(weight._value).at[rows].multiply(jnp.asarray(scale[:, None], weight._value.dtype))
    weight._set_value(new)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    v = np.asarray(tensor._value)
    if num_classes == -1:
        if v.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(v.max()) + 1
    if v.size and v.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if v.size and v.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _N.one_hot(tensor, num_classes)
