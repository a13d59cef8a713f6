"""The top-level forms torch gives nn.functional's ops (torch.conv1d, torch.dropout, torch.layer_norm, ...) with
torch's top-level signatures, which differ from F's in places (reduction an int, batch_norm's order, embedding's
weight first); and the window functions."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from . import _dtype as D
from ._tensor import Tensor
from ._toplevel import _check_int, _check_tensor, _type_name
from .autograd import grad_mode as _gm
from .nn import functional as F
from .nn._functional_dropout import _dropout_impl
from .ops import nn_ops as _N
from .ops._registry import _C_NAMES
from .ops.creation import arange as _arange
from .ops.creation import empty as _empty
from .ops.creation import ones as _ones
from .ops.creation import tensor as _tensor
from .ops.shape import cat as _cat

# the same signatures at the top level
conv1d, conv2d, conv3d = F.conv1d, F.conv2d, F.conv3d
conv_transpose1d, conv_transpose2d, conv_transpose3d = F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d
cosine_similarity, pairwise_distance, bilinear, prelu = F.cosine_similarity, F.pairwise_distance, F.bilinear, F.prelu
pixel_shuffle, pixel_unshuffle, channel_shuffle = F.pixel_shuffle, F.pixel_unshuffle, F.channel_shuffle
native_channel_shuffle, rms_norm, threshold_ = F.native_channel_shuffle, F.rms_norm, F.threshold_
adaptive_avg_pool1d = F.adaptive_avg_pool1d

# at::Reduction; any other int reduces nothing. The default is 0: torch's binding reads the schema's default
# (at::Reduction::Mean) as 0, so torch.kl_div(x, y) is unreduced where F.kl_div(x, y) is a mean
_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}


def _reduction(fname: str, reduction: Any, pos: int) -> str:
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise TypeError(f"{fname}(): argument 'reduction' (position {pos}) must be int, not {_type_name(reduction)}")
    return _REDUCTIONS.get(reduction, "none")


# ---------------------------------------------------------------------------------------------- dropout


def _dropout(fname: str, input: Tensor, p: float, train: bool, inplace: bool, feature: bool) -> Tensor:
    _check_tensor(fname, input)
    if not 0 <= p <= 1:  # (ATen's check: a RuntimeError, where F's is a ValueError)
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    if feature and p != 0 and train and input.numel() and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _dropout_impl(input, p, train, inplace, feature)


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout("dropout", input, p, train, False, False)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout("dropout_", input, p, train, True, False)


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """Zeroes whole channels (dim 1) of an input of 2 or more dims."""
    return _dropout("feature_dropout", input, p, train, False, True)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _dropout("feature_dropout_", input, p, train, True, True)


# ---------------------------------------------------------------------------------------------- activations


def selu(input: Tensor) -> Tensor:
    _check_tensor("selu", input)
    return F.selu(input)


def selu_(input: Tensor) -> Tensor:
    _check_tensor("selu_", input)
    return F.selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0) -> Tensor:
    _check_tensor("celu", input)
    return F.celu(input, alpha)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    _check_tensor("celu_", input)
    return F.celu(input, alpha, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5, *, out: Tensor | None = None) -> Tensor:
    _check_tensor("hardshrink", input)
    return F.hardshrink(input, lambd, out=out)


def threshold(input: Tensor, threshold: float, value: float, *, out: Tensor | None = None) -> Tensor:
    _check_tensor("threshold", input)
    return _N.threshold(input, threshold, value, out=out)


# ---------------------------------------------------------------------------------------------- normalisation


def _shape_arg(fname: str, shape: Any) -> tuple:
    if not isinstance(shape, Sequence):
        raise TypeError(
            f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of ints, not {_type_name(shape)}"
        )
    return tuple(shape)


def layer_norm(
    input: Tensor,
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-05,
    cudnn_enable: bool = True,
) -> Tensor:
    _check_tensor("layer_norm", input)
    return F.layer_norm(input, _shape_arg("layer_norm", normalized_shape), weight, bias, eps)


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-05,
    cudnn_enabled: bool = True,
) -> Tensor:
    _check_tensor("group_norm", input)
    return F.group_norm(input, num_groups, weight, bias, eps)


def batch_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    training: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    """F.batch_norm with torch.batch_norm's argument order: weight and bias first, all positional."""
    _check_tensor("batch_norm", input)
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(
    input: Tensor,
    weight: Tensor | None,
    bias: Tensor | None,
    running_mean: Tensor | None,
    running_var: Tensor | None,
    use_input_stats: bool,
    momentum: float,
    eps: float,
    cudnn_enabled: bool,
) -> Tensor:
    _check_tensor("instance_norm", input)
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def embedding(
    weight: Tensor, indices: Tensor, padding_idx: int = -1, scale_grad_by_freq: bool = False, sparse: bool = False
) -> Tensor:
    """F.embedding with the weight first; padding_idx is an index of weight's rows, any negative one none (F's
    -1 is the last row)."""
    _check_tensor("embedding", weight, "weight")
    _check_tensor("embedding", indices, "indices", 2)
    pad = padding_idx if 0 <= padding_idx < weight.shape[0] else None  # (a row no index can reach pads nothing)
    return F.embedding(indices, weight, pad, scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


# ---------------------------------------------------------------------------------------------- losses


def kl_div(input: Tensor, target: Tensor, reduction: int = 0, *, log_target: bool = False) -> Tensor:
    """ATen's kl_div: reduction 1 is a plain mean, without F's warning about 'batchmean'."""
    _check_tensor("kl_div", input)
    loss = F.kl_div(input, target, reduction="none", log_target=log_target)
    red = _reduction("kl_div", reduction, 3)
    return loss.mean() if red == "mean" else loss.sum() if red == "sum" else loss


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    pos_weight: Tensor | None = None,
    reduction: int = 0,
) -> Tensor:
    _check_tensor("binary_cross_entropy_with_logits", input)
    red = _reduction("binary_cross_entropy_with_logits", reduction, 5)
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=red, pos_weight=pos_weight)


def margin_ranking_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 0
) -> Tensor:
    _check_tensor("margin_ranking_loss", input1, "input1")
    red = _reduction("margin_ranking_loss", reduction, 5)
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=red)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, reduction: int = 0) -> Tensor:
    _check_tensor("hinge_embedding_loss", input)
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction, 4))


def cosine_embedding_loss(
    input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0, reduction: int = 0
) -> Tensor:
    _check_tensor("cosine_embedding_loss", input1, "input1")
    red = _reduction("cosine_embedding_loss", reduction, 5)
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=red)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool, full: bool, eps: float, reduction: int) -> Tensor:
    _check_tensor("poisson_nll_loss", input)
    red = _reduction("poisson_nll_loss", reduction, 6)
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=red)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-06,
    swap: bool = False,
    reduction: int = 0,
) -> Tensor:
    _check_tensor("triplet_margin_loss", anchor, "anchor")
    red = _reduction("triplet_margin_loss", reduction, 8)
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=red)


# ---------------------------------------------------------------------------------------------- pooling
# (torch's stride=() is F's stride=None: the kernel size)


def _stride(stride: Any) -> Any:
    return None if isinstance(stride, (tuple, list)) and not stride else stride


def max_pool1d(
    input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> Tensor:
    _check_tensor("max_pool1d", input)
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(
    input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> Tensor:
    _check_tensor("max_pool2d", input)
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(
    input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> Tensor:
    _check_tensor("max_pool3d", input)
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(
    input: Tensor, kernel_size: Any, stride: Any = (), padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False
) -> tuple[Tensor, Tensor]:
    _check_tensor("max_pool1d_with_indices", input)
    return tuple(F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode, return_indices=True))


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = (),
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    _check_tensor("avg_pool1d", input)
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """Values and indices, always (F's return_indices=True)."""
    _check_tensor("adaptive_max_pool1d", input)
    return tuple(F.adaptive_max_pool1d(input, output_size, return_indices=True))


# ------------------------------------------------------------------------------------------ window functions


def _window(fname: str, length: Any, periodic: Any, dtype: Any, device: Any, requires_grad: bool, body: Callable):
    """ATen's window_function_checks and special cases around body(arange(n), n) (n one more when periodic:
    its last point is dropped)."""
    length = _check_int(fname, length, "window_length", 1)
    if not isinstance(periodic, bool):
        raise TypeError(f"{fname}(): argument 'periodic' (position 2) must be bool, not {_type_name(periodic)}")
    dtype = D.get_default_dtype() if dtype is None else dtype
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"{fname}(): argument 'dtype' must be torch.dtype, not {_type_name(dtype)}")
    if not (dtype.is_floating_point or dtype.is_complex):
        raise RuntimeError(
            f"{fname} expects floating point dtypes, got: TensorOptions(dtype={_C_NAMES[dtype._name]}, device=cpu, "
            "layout=Strided (default), requires_grad=false (default), pinned_memory=false, memory_format=(nullopt))"
        )
    if length < 0:
        raise RuntimeError(f"{fname} requires non-negative window_length, got window_length={length}")
    with _gm.no_grad():
        if length <= 1:
            w = (_ones if length else _empty)(length, dtype=dtype, device=device)
        else:
            if dtype.is_complex:
                word = "ComplexFloat" if dtype is D.complex64 else "ComplexDouble"
                raise NotImplementedError(f"\"arange_cpu\" not implemented for '{word}'")
            n = length + periodic
            w = body(_arange(n, dtype=dtype, device=device), n)
            if periodic:  # (torch narrows below autograd: the result is no view)
                w = w[:length].clone()
    return w.requires_grad_() if requires_grad else w


def hamming_window(
    window_length: int,
    periodic: bool = True,
    alpha: float = 0.54,
    beta: float = 0.46,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    return _window(
        "hamming_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda a, n: a.mul(math.pi * 2.0 / (n - 1)).cos().mul(-beta).add(alpha),
    )


def hann_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    return _window(
        "hann_window",
        window_length,
        periodic,
        dtype,
        device,
        requires_grad,
        lambda a, n: a.mul(math.pi * 2.0 / (n - 1)).cos().mul(-0.5).add(0.5),  # a hamming window, alpha=beta=0.5
    )


def blackman_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    def body(a: Tensor, n: int) -> Tensor:
        a = a.mul(math.pi / (n - 1))
        return a.mul(4).cos().mul(0.08).sub(a.mul(2).cos().mul(0.5)).add(0.42)

    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad, body)


def bartlett_window(
    window_length: int,
    periodic: bool = True,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    def body(a: Tensor, n: int) -> Tensor:
        a = a.mul(2.0 / (n - 1))
        half = ((n - 1) >> 1) + 1  # torch rewrites the second half in place: 2 - a there
        return _cat([a[:half], a[half:].mul(-1).add(2)])

    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad, body)


def kaiser_window(
    window_length: int,
    periodic: bool = True,
    beta: float = 12.0,
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    def body(a: Tensor, n: int) -> Tensor:
        # ATen's kernel, in the dtype's opmath type: i0(beta * sqrt(|1 - ((a - alpha) / alpha)^2|)) / i0(beta)
        opmath = D.float32 if a.dtype in (D.float16, D.bfloat16) else a.dtype
        alpha = (n - 1) / 2.0
        x = a.to(opmath).sub(alpha).div(alpha).pow(2.0).rsub(1).abs().sqrt().mul(beta).i0()
        return x.div(_tensor(beta, dtype=opmath).i0()).to(a.dtype)

    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad, body)


# the Tensor methods torch has for these, where torchish's Tensor lacks them
for _name, _fn in (("hardshrink", hardshrink), ("prelu", prelu)):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
del _name, _fn

__all__ = """conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity
pairwise_distance bilinear prelu pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle rms_norm threshold
threshold_ dropout dropout_ feature_dropout feature_dropout_ selu selu_ celu celu_ hardshrink layer_norm group_norm
batch_norm instance_norm embedding kl_div binary_cross_entropy_with_logits margin_ranking_loss hinge_embedding_loss
cosine_embedding_loss poisson_nll_loss triplet_margin_loss max_pool1d max_pool2d max_pool3d max_pool1d_with_indices
avg_pool1d adaptive_avg_pool1d adaptive_max_pool1d hann_window hamming_window blackman_window bartlett_window
kaiser_window""".split()
