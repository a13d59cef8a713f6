"""torch.nn.functional: attention, resampling, shuffles, sliding blocks, instance norm and friends
(re-exported by nn.functional).

scaled_dot_product_attention takes ATen's CPU backend choice: the fused flash kernel (one
ScaledDotProductFlashAttentionForCpuBackward0 node) where its constraints hold, else the math composite,
op for op, so its graph is torch's (MulBackward1, UnsafeViewBackward0 / BmmBackward0, SafeSoftmaxBackward0).
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from .. import _dtype as D
from .._tensor import Tensor
from ..ops import creation as _C
from ..ops import linalg as _L
from ..ops import misc as _misc
from ..ops import nn_extra_ops as _X
from ..ops import pointwise as _P
from ..ops import reduction as _R
from ..ops import shape as _S
from ._ntuple import _ntuple

__all__ = [
    "scaled_dot_product_attention",
    "interpolate",
    "upsample",
    "upsample_nearest",
    "upsample_bilinear",
    "pixel_shuffle",
    "pixel_unshuffle",
    "channel_shuffle",
    "native_channel_shuffle",
    "unfold",
    "fold",
    "instance_norm",
    "local_response_norm",
    "lp_pool1d",
    "lp_pool2d",
]


def _c_name(d: Any) -> str:
    """A dtype as ATen's TypeMeta prints it (float, double, long int, c10::Half, ...)."""
    return _L._C_NAMES[d._name]


# ------------------------------------------------------------------------- attention


def _flash_ok(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None, dropout_p: float, gqa: bool) -> bool:
    """ATen's use_flash_attention_cpp: the CPU flash kernel's constraints."""
    if dropout_p != 0.0 or not (q.dim() == k.dim() == v.dim() == 4):
        return False
    if not (q.shape[0] == k.shape[0] == v.shape[0]):
        return False
    hq, hk, hv = q.shape[1], k.shape[1], v.shape[1]
    if gqa:
        if hq % hk or hk != hv:
            return False
    elif not (hq == hk == hv):
        return False
    if mask is not None:
        if mask.requires_grad:
            return False
        if mask.shape[-2] not in (q.shape[2], 1) or mask.shape[-1] not in (k.shape[2], 1):
            return False
        if mask.dim() == 4:
            if mask.shape[0] not in (1, q.shape[0]) or mask.shape[1] not in (1, hq):
                return False
        elif mask.dim() != 2:
            return False
    if not (q.shape[-1] == k.shape[-1] == v.shape[-1]):
        return False
    if q.shape[2] == 0 or k.shape[2] == 0:
        return False
    if any(t.stride(-1) != 1 for t in (q, k, v)):
        return False
    return q.dtype in (D.float32, D.float64, D.bfloat16, D.float16)


def _bool_to_additive(mask: Tensor | None, dtype: Any) -> Tensor | None:
    """ATen's convert_boolean_attn_mask: True attends (0), False is -inf."""
    if mask is None or mask.dtype is not D.bool:
        return mask
    zero = _C.zeros((), dtype=dtype)
    return _P.where(_P.logical_not(mask), float("-inf"), zero)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    q, k, v = query, key, value
    if not (q.dtype == k.dtype == v.dtype):
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{_c_name(q.dtype)} key.dtype: {_c_name(k.dtype)} and value.dtype: {_c_name(v.dtype)} instead."
        )
    if q.dim() < 2 or k.dim() < 2 or v.dim() < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
            f"{q.dim()} key.dim: {k.dim()} and value.dim: {v.dim()} instead."
        )
    if attn_mask is not None and attn_mask.dtype not in (D.bool, D.float32, q.dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: "
            f"{_c_name(attn_mask.dtype)} and  query.dtype: {_c_name(q.dtype)} instead."
        )
    if _flash_ok(q, k, v, attn_mask, dropout_p, enable_gqa):
        mask = _bool_to_additive(attn_mask, q.dtype)
        s = scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
        gqa = enable_gqa and q.shape[1] != k.shape[1]
        return _X._sdpa_flash_cpu(q, k, v, mask, bool(is_causal), float(s), gqa)
    return _sdpa_math(q, k, v, _bool_to_additive(attn_mask, q.dtype), dropout_p, is_causal, scale, enable_gqa)


def _sdpa_math(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor | None,
    dropout_p: float,
    is_causal: bool,
    scale: float | None,
    enable_gqa: bool,
) -> Tensor:
    """ATen's _scaled_dot_product_attention_math, op for op."""
    origin = q.dtype
    if origin in (D.float16, D.bfloat16):
        q = q.to(D.float32)
    if k.dtype in (D.float16, D.bfloat16):
        k = k.to(D.float32)
    if v.dtype in (D.float16, D.bfloat16):
        v = v.to(D.float32)
    negative = scale is not None and scale < 0.0
    base = abs(scale) if negative else scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
    factor = math.sqrt(base)
    q = _misc._mul_scalar(q, 0.0 - factor if negative else factor)
    if is_causal:
        if mask is not None:
            raise RuntimeError(
                "_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"
            )
        lq, lk = q.shape[-2], k.shape[-2]
        mask = _bool_to_additive(_S.tril(_C.ones((lq, lk), dtype=D.bool)), q.dtype)
    if enable_gqa:
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if not (hq == hk == hv):
            if hq % hk or hq % hv:
                raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
            k = _misc.repeat_interleave(k, hq // hk, dim=-3)
            v = _misc.repeat_interleave(v, hq // hv, dim=-3)
    attn = _L.matmul(q, _misc._mul_scalar(_S.transpose(k, -2, -1), factor))
    if mask is not None:
        attn = attn.add_(mask)
    attn = _X._safe_softmax(attn, -1)
    if dropout_p > 0.0:
        from .functional import dropout

        attn = dropout(attn, dropout_p, True)
    out = _L.matmul(attn, v)
    return out if out.dtype is origin else out.to(origin)


# ------------------------------------------------------------------------- interpolation


def _is_integer(x: Any) -> bool:
    if isinstance(x, numbers.Integral) and not isinstance(x, bool):
        return True
    if isinstance(x, Tensor):
        return not x.dtype.is_floating_point and not x.dtype.is_complex and x.dtype is not D.bool
    return isinstance(x, int)


_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


def interpolate(
    input: Tensor,
    size: Any = None,
    scale_factor: Any = None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    recompute_scale_factor: bool | None = None,
    antialias: bool = False,
) -> Tensor:
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(
                "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | "
                "trilinear"
            )
    elif align_corners is None:
        align_corners = False
    dim = input.dim() - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scale_factors = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(input.shape[2:])} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format."
                )
            if not all(_is_integer(x) for x in size):
                raise TypeError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], but "
                    f"got size with types {[type(x) for x in size]}"
                )
            output_size = [int(s) for s in size]
        else:
            output_size = [int(size) for _ in range(dim)]
    elif scale_factor is not None:
        output_size = None
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format."
                )
            scale_factors = [float(s) for s in scale_factor]
        else:
            scale_factors = [float(scale_factor) for _ in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError(
            "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D tensor as input"
        )
    nd = {"linear": 3, "bilinear": 4, "bicubic": 4, "trilinear": 5}
    if mode == "area" and input.dim() in (3, 4, 5):
        from ._functional_conv import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[input.dim() - 3](input, output_size)
    if (mode in ("nearest", "nearest-exact") and input.dim() in (3, 4, 5)) or nd.get(mode) == input.dim():
        if antialias:
            raise NotImplementedError(f"interpolate(antialias=True) for mode {mode!r} is not supported by torchish")
        if output_size is None:
            # ATen's compute_output_size: the spatial size times the scale, truncated
            output_size = [int(input.shape[i + 2] * scale_factors[i]) for i in range(dim)]
        scales = None if scale_factors is None else tuple(scale_factors)
        return _X.upsample_nd(input, tuple(output_size), mode, bool(align_corners), scales)
    if mode == "lanczos" and input.dim() == 4:
        raise NotImplementedError("interpolate(mode='lanczos') is not supported by torchish")
    for m, need in (("bilinear", 4), ("trilinear", 5), ("linear", 3)):
        if mode == m and input.dim() in (3, 4, 5) and input.dim() != need:
            raise NotImplementedError(f"Got {input.dim()}D input, but {m} mode needs {need}D input")
    raise NotImplementedError(
        f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) for the modes: {_MODES} "
        f"(got {mode})"
    )


def upsample(
    input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest", align_corners: Any = None
) -> Tensor:
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    warnings.warn(
        "`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    warnings.warn(
        "`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2
    )
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ------------------------------------------------------------------------- shuffles


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    return _X.pixel_shuffle(input, int(upscale_factor))


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    return _X.pixel_unshuffle(input, int(downscale_factor))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    return _X.channel_shuffle(input, int(groups))


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    return _X.channel_shuffle(input, int(groups))


# ------------------------------------------------------------------------- sliding blocks


def _dim_range_error(ndim: int, want: int) -> IndexError:
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    return IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {want})")


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    p2 = _ntuple(2)
    if input.dim() < 3 and input.dim() > 0:
        raise _dim_range_error(input.dim(), input.dim())
    return _X.im2col(input, p2(kernel_size), p2(dilation), p2(padding), p2(stride))


def fold(
    input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    p2 = _ntuple(2)
    return _X.col2im(input, p2(output_size), p2(kernel_size), p2(dilation), p2(padding), p2(stride))


# ------------------------------------------------------------------------- instance norm


def _verify_spatial_size(size: Any) -> None:
    prod = 1
    for s in list(size)[2:]:
        prod *= s
    if prod == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {size}")


def instance_norm(
    input: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """ATen's instance_norm: a batch norm over the (1, N*C, ...) view, the parameters repeated N times."""
    if use_input_stats:
        _verify_spatial_size(input.size())
    if not use_input_stats and (running_mean is None or running_var is None):
        raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
    b, c = input.shape[0], input.shape[1]
    shape = (1, b * c) + tuple(input.shape[2:])

    def rep(t: Tensor | None) -> Tensor | None:
        return None if t is None else t.repeat(b)

    w, bb, rm, rv = rep(weight), rep(bias), rep(running_mean), rep(running_var)
    x = _S.view(input.contiguous(), shape)
    from .functional import batch_norm

    out = batch_norm(x, rm, rv, w, bb, use_input_stats, momentum, eps)
    from ..autograd import grad_mode as _gm

    with _gm.no_grad():
        if running_mean is not None:
            running_mean.copy_(_R.mean(_S.view(rm, (b, c)), 0))
        if running_var is not None:
            running_var.copy_(_R.mean(_S.view(rv, (b, c)), 0))
    return _S.view(out, tuple(input.shape))


# ------------------------------------------------------------------------- local response norm, power pools


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> Tensor:
    """torch's composite: a channel-window average of squares through avg_pool2d / avg_pool3d."""
    from ._functional_conv import avg_pool2d, avg_pool3d, pad

    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    if dim == 3:
        div = div.unsqueeze(1)
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = avg_pool2d(div, (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = avg_pool3d(div, (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def _lp_pool(input: Tensor, norm_type: Any, kernel_size: Any, stride: Any, ceil_mode: bool, nd: int) -> Tensor:
    from ._functional_conv import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
    from .functional import relu

    max_pool, avg_pool = (max_pool1d, avg_pool1d) if nd == 1 else (max_pool2d, avg_pool2d)
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    if nd == 1:
        scale = kernel_size
    else:
        kw, kh = _ntuple(2)(kernel_size)
        scale = kw * kh
    return (_P.sign(out) * relu(_P.abs(out))).mul(scale).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: Any, kernel_size: int, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input: Tensor, norm_type: Any, kernel_size: Any, stride: Any = None, ceil_mode: bool = False) -> Tensor:
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)
