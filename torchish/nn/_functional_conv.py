"""torch.nn.functional convolutions, pooling and padding (re-exported by nn.functional)."""

from __future__ import annotations

from typing import Any

from .._tensor import Tensor
from ..ops import _out as _O
from ..ops import nn_conv_ops as _K
from ..ops import shape as _S
from ..ops._registry import warn_once
from ._ntuple import _ntuple

__all__ = [
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "max_pool1d_with_indices",
    "max_pool2d_with_indices",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "pad",
]


# ------------------------------------------------------------------------- convolution


def _conv_padding(padding: Any, nd: int, weight: Tensor, dilation: tuple, stride: tuple) -> tuple:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            k = tuple(weight.shape[2:])
            pads = []
            for i in range(nd):
                total = dilation[i] * (k[i] - 1)
                pads.append((total // 2, total - total // 2))
            if any(a != b for a, b in pads):
                warn_once(
                    "padding same",
                    "Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy of "
                    "the input be created (Triggered internally at "
                    "/__w/pytorch/pytorch/aten/src/ATen/native/Convolution.cpp:1101.)",
                )
            return tuple(pads)
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    return tuple((p, p) for p in _ntuple(nd)(padding))


def _convnd(
    nd: int,
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    transposed: bool = False,
    output_padding: Any = 0,
) -> Tensor:
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: "
            f"{list(input.shape)}"
        )
    batched = input.dim() == nd + 2
    x = input if batched else _S.unsqueeze(input, 0)
    stride_, dilation_ = _ntuple(nd)(stride), _ntuple(nd)(dilation)
    pads = _conv_padding(padding, nd, weight, dilation_, stride_)
    if weight.dim() != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions"
            if weight.dim() < 3
            else f"Expected {nd + 2}-dimensional input for {nd + 2}-dimensional weight {list(weight.shape)}, but got "
            f"{x.dim()}-dimensional input of size {list(x.shape)} instead"
        )
    cin = x.shape[1]
    if not transposed and weight.shape[1] * groups != cin:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[1] * groups} channels, but got {cin} channels instead"
        )
    if transposed and weight.shape[0] != cin:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} to have "
            f"{weight.shape[0]} channels, but got {cin} channels instead"
        )
    out_ch = weight.shape[1] * groups if transposed else weight.shape[0]
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != out_ch):
        raise RuntimeError(
            f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with {out_ch} elements, "
            f"but got bias of size {list(bias.shape)} instead"
        )
    out = _K.convolution(x, weight, bias, stride_, pads, dilation_, transposed, _ntuple(nd)(output_padding), groups)
    return out if batched else _S.squeeze(out, 0)


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups, True, output_padding)


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups, True, output_padding)


def conv_transpose3d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups, True, output_padding)


# ------------------------------------------------------------------------- pooling


def _pool_args(
    nd: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool, name: str
) -> tuple:
    k = _ntuple(nd)(kernel_size)
    s = _ntuple(nd)(stride) if stride is not None and stride != [] and stride != () else k
    p = _ntuple(nd)(padding)
    d = _ntuple(nd)(dilation)
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    for i in range(nd):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(
                f"pad should be at most half of effective kernel size, but got pad={p[i]}, kernel_size={k[i]} and "
                f"dilation={d[i]}"
            )
    spatial = tuple(input.shape[-nd:])
    out = tuple(_K.pool_out_size(spatial[i], k[i], p[i], s[i], d[i], ceil_mode) for i in range(nd))
    if any(o <= 0 for o in out):
        raise RuntimeError(
            f"Given input size: ({'x'.join(str(v) for v in input.shape[-nd - 1 :])}). Calculated output size: "
            f"({input.shape[-nd - 1]}x{'x'.join(str(o) for o in out)}). Output size is too small"
        )
    return k, s, p, d, out


def _max_pool(
    nd: int,
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
) -> Any:
    k, s, p, d, out = _pool_args(nd, input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool")
    # ATen pools an unbatched input directly (no unsqueeze/squeeze around it)
    vals, idx = _K.max_pool_nd(input, k, s, p, d, out)
    return (vals, idx) if return_indices else vals


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """torch runs 1-D pooling as 2-D pooling over an inserted dimension (hence SqueezeBackward1)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"max_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    x = _S.unsqueeze(input, -2)
    stride_ = _ntuple(1)(stride)[0] if stride is not None and stride != [] and stride != () else None
    res = _max_pool(
        2,
        x,
        (1, _ntuple(1)(kernel_size)[0]),
        None if stride_ is None else (1, stride_),
        (0, _ntuple(1)(padding)[0]),
        (1, _ntuple(1)(dilation)[0]),
        ceil_mode,
        True,
    )
    vals, idx = _S.squeeze(res[0], -2), _S.squeeze(res[1], -2)
    return (vals, idx) if return_indices else vals


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _avg_pool(
    nd: int,
    input: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> Tensor:
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, _, out = _pool_args(nd, input, kernel_size, stride, padding, 1, ceil_mode, "avg_pool")
    return _K.avg_pool_nd(input, k, s, p, out, count_include_pad, divisor_override)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    out: Tensor | None = None,
) -> Tensor:
    if out is not None:  # (a structured kernel's out=)
        _O.check_out_grad("avg_pool2d", (input,), (out,))
    result = _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return result if out is None else _O.exact_out("avg_pool2d", out, result)


def avg_pool3d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    out: Tensor | None = None,
) -> Tensor:
    if out is not None:  # (a structured kernel's out=)
        _O.check_out_grad("avg_pool3d", (input,), (out,))
    result = _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
    return result if out is None else _O.exact_out("avg_pool3d", out, result)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"avg_pool1d() Expected 2D or 3D input tensor, but got {list(input.shape)}")
    x = _S.unsqueeze(input, -2)
    stride_ = _ntuple(1)(stride)[0] if stride is not None and stride != [] and stride != () else None
    res = _avg_pool(
        2,
        x,
        (1, _ntuple(1)(kernel_size)[0]),
        None if stride_ is None else (1, stride_),
        (0, _ntuple(1)(padding)[0]),
        ceil_mode,
        count_include_pad,
        None,
    )
    return _S.squeeze(res, -2)


def _adaptive_size(nd: int, input: Tensor, output_size: Any) -> tuple:
    size = _ntuple(nd)(output_size)
    spatial = tuple(input.shape[-nd:])
    return tuple(spatial[i] if size[i] is None else size[i] for i in range(nd))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    size = _adaptive_size(2, input, output_size)
    if size == (1, 1):
        # ATen reduces to a mean over the spatial dims for a 1x1 output
        from ..ops.reduction import mean

        return mean(input, (-1, -2), keepdim=True)
    return _K.adaptive_avg_pool_nd(input, size)


def adaptive_avg_pool3d(input: Tensor, output_size: Any) -> Tensor:
    return _K.adaptive_avg_pool_nd(input, _adaptive_size(3, input, output_size))


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    x = _S.unsqueeze(input, -2)
    return _S.squeeze(adaptive_avg_pool2d(x, (1, _ntuple(1)(output_size)[0])), -2)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    vals, idx = _K.adaptive_max_pool_nd(input, _adaptive_size(2, input, output_size))
    return (vals, idx) if return_indices else vals


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    x = _S.unsqueeze(input, -2)
    vals, idx = adaptive_max_pool2d(x, (1, _ntuple(1)(output_size)[0]), True)
    vals, idx = _S.squeeze(vals, -2), _S.squeeze(idx, -2)
    return (vals, idx) if return_indices else vals


# ------------------------------------------------------------------------- padding


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError(
            f"Padding length should be less than or equal to two times the input dimension but got padding length "
            f"{len(pad)} and input of dimension {input.dim()}"
        )
    if mode == "constant":
        return _K.constant_pad_nd(input, pad, 0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    n = len(pad) // 2
    ok = {1: (2, 3), 2: (3, 4), 3: (4, 5)}.get(n, ())
    if input.dim() not in ok:
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.dim()}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
        )
    if mode == "reflect":
        for i in range(n):
            dim = input.dim() - 1 - i
            size = input.shape[dim]
            if pad[2 * i] >= size or pad[2 * i + 1] >= size:
                raise RuntimeError(
                    f"Argument #4: Padding size should be less than the corresponding input dimension, but got: "
                    f"padding ({pad[2 * i]}, {pad[2 * i + 1]}) at dimension {dim} of input {list(input.shape)}"
                )
    return _K._pad_mode(input, pad, mode)
