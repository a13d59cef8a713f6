"""Ops behind torch.nn.functional's convolutions, pooling and padding.

Pooling windows are gathered as strided slices of the (padded) input stacked on a last axis, so max
pooling selects with argmax: the gradient goes to the first maximum of each window and the indices
are torch's flat offsets into the unpadded input.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from . import _formulas
from . import _registry as R
from ._registry import SAME


def op(*args, method=False, **kwargs):
    return R.op(*args, method=method, **kwargs)


_DN = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


# ------------------------------------------------------------------------- convolution


@op(n_tensors=3, promote=SAME, grad_name="ConvolutionBackward0", saves=((1,), (0,), ()))
def convolution(
    input,
    weight,
    bias=None,
    stride=(1,),
    padding=((0, 0),),
    dilation=(1,),
    transposed=False,
    output_padding=(0,),
    groups=1,
):
    nd = input.ndim - 2
    if not transposed:
        out = jax.lax.conv_general_dilated(
            input,
            weight,
            window_strides=stride,
            padding=padding,
            rhs_dilation=dilation,
            dimension_numbers=_DN[nd],
            feature_group_count=groups,
            precision=jax.lax.Precision.HIGHEST,
        )
    else:
        # a transposed convolution is the gradient of a convolution: dilate the input by the stride and
        # convolve with the flipped, in/out-swapped kernel
        cin = weight.shape[0]
        k = weight.shape[2:]
        w = weight.reshape((groups, cin // groups, weight.shape[1]) + k)
        w = jnp.swapaxes(w, 1, 2).reshape((groups * weight.shape[1], cin // groups) + k)
        w = jnp.flip(w, axis=tuple(range(2, 2 + nd)))
        pads = [
            (dilation[i] * (k[i] - 1) - padding[i][0], dilation[i] * (k[i] - 1) - padding[i][1] + output_padding[i])
            for i in range(nd)
        ]
        out = jax.lax.conv_general_dilated(
            input,
            w,
            window_strides=(1,) * nd,
            padding=pads,
            lhs_dilation=stride,
            rhs_dilation=dilation,
            dimension_numbers=_DN[nd],
            feature_group_count=groups,
            precision=jax.lax.Precision.HIGHEST,
        )
    if bias is not None:
        out = out + bias.reshape((1, -1) + (1,) * nd)
    return out


# ------------------------------------------------------------------------- pooling


def pool_out_size(size: int, k: int, p: int, s: int, d: int, ceil_mode: bool) -> int:
    """ATen's pooling_output_shape."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    out = num // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _patches(x, k, s, p, d, out, pad_value):
    """(*lead, *spatial) -> (*lead, *out, prod(k)): every pooling window, row-major within the window."""
    nd = len(k)
    lead = x.ndim - nd
    spatial = x.shape[lead:]
    pads = [(0, 0)] * lead
    for i in range(nd):
        need = (out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
        pads.append((p[i], max(0, need - spatial[i] - p[i])))
    xp = jnp.pad(x, pads, constant_values=pad_value) if any(a or b for a, b in pads) else x
    parts = []
    for offs in itertools.product(*[range(ki) for ki in k]):
        start = [0] * lead + [offs[i] * d[i] for i in range(nd)]
        limit = list(x.shape[:lead]) + [start[lead + i] + (out[i] - 1) * s[i] + 1 for i in range(nd)]
        parts.append(jax.lax.slice(xp, start, limit, [1] * lead + list(s)))
    return jnp.stack(parts, axis=-1)


def _window_index_table(spatial, k, s, p, d, out):
    """Flat input offset of every (output position, window element): torch's max-pool indices."""
    nd = len(k)
    grids = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
    offs = np.array(list(itertools.product(*[range(ki) for ki in k])))  # (K, nd)
    flat = np.zeros(tuple(out) + (len(offs),), np.int64)
    for i in range(nd):
        coord = grids[i][..., None] * s[i] - p[i] + offs[:, i] * d[i]
        flat = flat * spatial[i] + coord
    return flat


@op(
    "max_pool_nd",
    promote=SAME,
    grad_name=lambda p, a: f"MaxPool{len(p['kernel_size'])}DWithIndicesBackward0",
    n_out=2,
    saves=((0, -1),),
)
def max_pool_nd(input, kernel_size, stride, padding, dilation, out_size):
    nd = len(kernel_size)
    pad_value = -jnp.inf if jnp.issubdtype(input.dtype, jnp.floating) else jnp.iinfo(input.dtype).min
    win = _patches(input, kernel_size, stride, padding, dilation, out_size, pad_value)
    # NaN wins a window in torch; argmax already prefers NaN
    arg = jnp.argmax(win, axis=-1)
    vals = jnp.take_along_axis(win, arg[..., None], axis=-1)[..., 0]
    table = jnp.asarray(_window_index_table(input.shape[-nd:], kernel_size, stride, padding, dilation, out_size))
    idx = jnp.take_along_axis(jnp.broadcast_to(table, arg.shape + table.shape[-1:]), arg[..., None], axis=-1)
    return vals, idx[..., 0]


def _avg_divisors(spatial, k, s, p, out, count_include_pad, divisor_override):
    if divisor_override:
        return np.full(tuple(out), float(divisor_override))
    per_dim = []
    for i in range(len(k)):
        o = np.arange(out[i])
        start = o * s[i] - p[i]
        end = np.minimum(start + k[i], spatial[i] + p[i])
        size_pad = end - start
        size = np.minimum(end, spatial[i]) - np.maximum(start, 0)
        per_dim.append(size_pad if count_include_pad else size)
    div = per_dim[0].astype(np.float64)
    for a in per_dim[1:]:
        div = div[..., None] * a
    return div


@op("avg_pool_nd", promote=SAME, grad_name=lambda p, a: f"AvgPool{len(p['kernel_size'])}DBackward0")
def avg_pool_nd(input, kernel_size, stride, padding, out_size, count_include_pad=True, divisor_override=None):
    nd = len(kernel_size)
    win = _patches(input, kernel_size, stride, padding, (1,) * nd, out_size, 0)
    total = jnp.sum(win, axis=-1)
    div = _avg_divisors(input.shape[-nd:], kernel_size, stride, padding, out_size, count_include_pad, divisor_override)
    return total / jnp.asarray(div, input.dtype)


def _adaptive_ranges(size, out):
    return [(math.floor(i * size / out), math.ceil((i + 1) * size / out)) for i in range(out)]


@op("adaptive_avg_pool_nd", promote=SAME, grad_name=lambda p, a: f"AdaptiveAvgPool{len(p['output_size'])}DBackward0")
def adaptive_avg_pool_nd(input, output_size):
    nd = len(output_size)
    x = input
    for i in range(nd):
        ax = x.ndim - nd + i
        parts = [
            jnp.mean(jax.lax.slice_in_dim(x, a, b, axis=ax), axis=ax, keepdims=True)
            for a, b in _adaptive_ranges(x.shape[ax], output_size[i])
        ]
        x = jnp.concatenate(parts, axis=ax)
    return x


@op(
    "adaptive_max_pool_nd",
    promote=SAME,
    n_out=2,
    saves=((0, -1),),
    grad_name=lambda p, a: f"AdaptiveMaxPool{len(p['output_size'])}DBackward0",
)
def adaptive_max_pool_nd(input, output_size):
    nd = len(output_size)
    spatial = input.shape[-nd:]
    lead = input.shape[:-nd]
    ranges = [_adaptive_ranges(spatial[i], output_size[i]) for i in range(nd)]
    vals, idxs = [], []
    for cell in itertools.product(*ranges):
        sl = input
        for i, (a, b) in enumerate(cell):
            sl = jax.lax.slice_in_dim(sl, a, b, axis=len(lead) + i)
        flat = sl.reshape(lead + (-1,))
        arg = jnp.argmax(flat, axis=-1)
        vals.append(jnp.take_along_axis(flat, arg[..., None], axis=-1)[..., 0])
        # window-local argmax -> flat offset into the input's spatial dims
        local = np.array(list(itertools.product(*[range(a, b) for a, b in cell])))
        table = np.zeros(len(local), np.int64)
        for i in range(nd):
            table = table * spatial[i] + local[:, i]
        idxs.append(jnp.asarray(table)[arg])
    shape = lead + tuple(output_size)
    return jnp.stack(vals, axis=-1).reshape(shape), jnp.stack(idxs, axis=-1).reshape(shape)


# ------------------------------------------------------------------------- padding


def _pairs(pad, ndim):
    """torch's pad list (last dim first) -> per-dim (lo, hi) for all ndim dims."""
    pairs = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        pairs[ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pairs


@op(promote=SAME, grad_name="ConstantPadNdBackward0")
def constant_pad_nd(input, pad, value=0):
    cfg = [(lo, hi, 0) for lo, hi in _pairs(pad, input.ndim)]
    return jax.lax.pad(input, jnp.asarray(value, input.dtype), cfg)


# torch's: constant_pad_nd of the gradient by the negated pad
R.OPS["constant_pad_nd"].result_grad = lambda g, y, p, x: _formulas.constant_pad_nd(
    g, tuple((-lo, -hi, 0) for lo, hi in _pairs(p["pad"], g.ndim))
)


@op(
    "_pad_mode",
    promote=SAME,
    grad_name=lambda p, a: {
        "reflect": f"ReflectionPad{len(p['pad']) // 2}DBackward0",
        "replicate": f"ReplicationPad{len(p['pad']) // 2}DBackward0",
        "circular": "torch::autograd::CopySlices",
    }[p["mode"]],
)
def _pad_mode(input, pad, mode):
    jmode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    return jnp.pad(input, _pairs(pad, input.ndim), mode=jmode)
