"""Ops behind the rest of torch.nn.functional: attention's safe softmax, upsampling, pixel and channel
shuffles, im2col / col2im, grid sampling, pdist, max unpooling, embedding_bag.

Each is one ATen kernel with its own backward node in torch. Index and weight tables that depend only on
shapes and static arguments are computed on the host in the kernel's arithmetic (ATen's opmath type:
float32 for float32 inputs), so the gathered taps and their weights are torch's; the arrays are then
combined in the order ATen's CPU loops combine them.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap_dim
from . import _registry as R
from ._registry import FLOAT, SAME


def op(*args, method=False, **kwargs):
    return R.op(*args, method=method, **kwargs)


# ------------------------------------------------------------------------- attention


@op("_safe_softmax", promote=FLOAT, grad_name="SafeSoftmaxBackward0", saves=((-1,),))
def _safe_softmax(input, dim=-1):
    """softmax, with rows that are all -inf giving 0 rather than NaN (ATen's _safe_softmax)."""
    return _masked_rows_softmax(input, _wrap_dim(dim, input.ndim))


def _masked_rows_softmax(x, axis):
    masked = jnp.all(x == -jnp.inf, axis=axis, keepdims=True)
    # a masked row is softmaxed as zeros (no NaN to leak into the gradient), then zeroed
    out = jax.nn.softmax(jnp.where(masked, jnp.zeros((), x.dtype), x), axis=axis)
    return jnp.where(masked, jnp.zeros((), out.dtype), out)


def _safe_softmax_grad(g, y, p, x):
    # torch's formula: _softmax_backward_data(grad, result, dim); a masked row's result is 0, so is its gradient
    axis = _wrap_dim(p["dim"], y.ndim)
    return (g - (g * y).sum(axis, keepdims=True)) * y


R.OPS["_safe_softmax"].result_grad = _safe_softmax_grad


@op(
    "_sdpa_flash_cpu",
    n_tensors=4,
    promote=SAME,
    grad_name="ScaledDotProductFlashAttentionForCpuBackward0",
    saves=((0, 1, 2, 3, -1),) * 3 + ((),),
)
def _sdpa_flash_cpu(query, key, value, attn_mask=None, is_causal=False, scale=1.0, gqa=False):
    """ATen's CPU flash attention (4-D inputs, one head size): one node with edges to query, key and value.
    Computed as the math form with the scale applied once to q @ k^T; fully masked rows give 0, as its kernel."""
    if gqa:
        key = jnp.repeat(key, query.shape[-3] // key.shape[-3], axis=-3)
        value = jnp.repeat(value, query.shape[-3] // value.shape[-3], axis=-3)
    hp = jax.lax.Precision.HIGHEST
    attn = jnp.matmul(query, jnp.swapaxes(key, -1, -2), precision=hp) * jnp.asarray(scale, query.dtype)
    if attn_mask is not None:
        attn = attn + attn_mask.astype(attn.dtype)
    if is_causal:
        lq, lk = attn.shape[-2:]
        attn = jnp.where(jnp.tril(jnp.ones((lq, lk), bool)), attn, jnp.asarray(-jnp.inf, attn.dtype))
    return jnp.matmul(_masked_rows_softmax(attn, attn.ndim - 1), value, precision=hp)


R.OPS["_sdpa_flash_cpu"].edges = lambda sig: (0, 1, 2)


# ------------------------------------------------------------------------- upsampling


_UPSAMPLE_NAMES = {
    "nearest": "UpsampleNearest{n}DBackward0",
    "nearest-exact": "UpsampleNearestExact{n}DBackward0",
    "linear": "UpsampleLinear1DBackward0",
    "bilinear": "UpsampleBilinear2DBackward0",
    "trilinear": "UpsampleTrilinear3DBackward0",
    "bicubic": "UpsampleBicubic2DBackward0",
}


def _scale_value(scale, in_size, out_size, dt):
    """ATen's compute_scales_value: 1/scale when a scale was given, else in/out, in the opmath type."""
    if scale is not None and scale > 0:
        return dt.type(1.0 / scale)
    return dt.type(in_size) / dt.type(out_size)


def _area_scale(in_size, out_size, align_corners, scale, dt):
    if align_corners:
        return dt.type(in_size - 1) / dt.type(out_size - 1) if out_size > 1 else dt.type(0)
    return _scale_value(scale, in_size, out_size, dt)


def _source_index(scale, out_size, align_corners, cubic, dt):
    dst = np.arange(out_size).astype(dt)
    if align_corners:
        return scale * dst
    src = scale * (dst + dt.type(0.5)) - dt.type(0.5)
    return src if cubic else np.where(src < 0, dt.type(0), src)


def _nearest_taps(in_size, out_size, scale, exact, shortcuts=False):
    o = np.arange(out_size)
    if shortcuts and out_size == in_size:
        return o[:, None]
    if shortcuts and out_size == 2 * in_size:
        return (o >> 1)[:, None]
    s = _scale_value(scale, in_size, out_size, np.dtype(np.float32))
    if exact:
        # (dst + 0.5) in double times the float scale, floored as a float
        src = np.floor(((o + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(o.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), in_size - 1)[:, None]


def _guard(real, in_size, dt):
    idx = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam = np.minimum(np.maximum(real - idx.astype(dt), dt.type(0)), dt.type(1))
    return idx, lam


def _linear_taps(in_size, out_size, align_corners, scale, dt):
    if out_size == in_size:
        o = np.arange(out_size)
        return np.stack([o, o], 1), np.stack([np.ones(out_size, dt), np.zeros(out_size, dt)], 1)
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    i0, l1 = _guard(_source_index(s, out_size, align_corners, False, dt), in_size, dt)
    i1 = i0 + (i0 < in_size - 1)
    return np.stack([i0, i1], 1), np.stack([dt.type(1) - l1, l1], 1)


def _cubic_coeffs(t, dt):
    a = dt.type(-0.75)
    one = dt.type(1)

    def conv1(x):
        return ((a + dt.type(2)) * x - (a + dt.type(3))) * x * x + one

    def conv2(x):
        return ((a * x - dt.type(5) * a) * x + dt.type(8) * a) * x - dt.type(4) * a

    x2 = one - t
    return np.stack([conv2(t + one), conv1(t), conv1(x2), conv2(x2 + one)], 1)


def _cubic_taps(in_size, out_size, align_corners, scale, dt):
    s = _area_scale(in_size, out_size, align_corners, scale, dt)
    idx, lam = _guard(_source_index(s, out_size, align_corners, True, dt), in_size, dt)
    taps = np.clip(idx[:, None] + np.arange(-1, 3)[None, :], 0, in_size - 1)
    return taps, _cubic_coeffs(lam, dt)


def _take(x, idx, axis):
    return jnp.take(x, jnp.asarray(idx), axis=axis)


def _take_scatter_back(x, idx, back, axis):
    @jax.custom_vjp
    def f(v):
        return _take(v, idx, axis)

    def fwd(v):
        return f(v), None

    def bwd(_, g):
        moved = jnp.moveaxis(g, axis, 0)
        out = jnp.zeros((x.shape[axis],) + moved.shape[1:], g.dtype).at[jnp.asarray(back)].add(moved)
        return (jnp.moveaxis(out, 0, axis),)

    f.defvjp(fwd, bwd)
    return f(x)


def _check_upsample(args, params):
    x = args[0]
    out = params["output_size"]
    nd = len(out)
    ins = tuple(x.shape[-nd:])
    if any(v <= 0 for v in ins) or any(v <= 0 for v in out):
        if nd == 1:
            raise RuntimeError(
                f"Input and output sizes should be greater than 0, but got input (W: {ins[0]}) and output (W: {out[0]})"
            )
        names = "DHW"[3 - nd :]
        a = ", ".join(f"{n}: {v}" for n, v in zip(names, ins))
        b = ", ".join(f"{n}: {v}" for n, v in zip(names, out))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({a}) output ({b})")
    if not x.dtype.is_floating_point:
        kernel = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact"}.get(params["mode"])
        name = f"{kernel}{nd}d" if kernel else f"upsample_{params['mode']}{nd}d"
        if nd == 2:
            name += "_channels_last"
        raise NotImplementedError(f"\"{name}\" not implemented for '{R._type_word(x.dtype)}'")


@op(
    "upsample_nd",
    promote=SAME,
    grad_name=lambda p, a: _UPSAMPLE_NAMES[p["mode"]].format(n=len(p["output_size"])),
    check=_check_upsample,
)
def upsample_nd(input, output_size, mode, align_corners=False, scales=None):
    nd = len(output_size)
    if mode == "bicubic" and tuple(input.shape[-nd:]) == tuple(output_size):
        # ATen's bicubic backward copies the gradient where the sizes match, though its forward interpolated
        @jax.custom_vjp
        def same_size(v):
            return _interpolated(v, output_size, mode, align_corners, scales)

        same_size.defvjp(lambda v: (same_size(v), None), lambda _, g: (g,))
        return same_size(input)
    return _interpolated(input, output_size, mode, align_corners, scales)


def _interpolated(input, output_size, mode, align_corners, scales):
    nd = len(output_size)
    dt = np.dtype(input.dtype)
    scales = scales or (None,) * nd
    x = input
    # the first spatial dim is the outermost sum in ATen's loop: apply the last dim first
    for i in reversed(range(nd)):
        ax = input.ndim - nd + i
        n_in, n_out = input.shape[ax], output_size[i]
        if mode in ("nearest", "nearest-exact"):
            # ATen's nearest kernels take the identity / halving shortcuts for out == in and out == 2 * in even
            # when a scale was given, except the 1-D and 3-D forwards: the values and the gradient go where
            # torch's send them
            idx = _nearest_taps(
                n_in, n_out, scales[i], mode == "nearest-exact", shortcuts=mode == "nearest" and nd == 2
            )
            idx = idx[:, 0]
            back = _nearest_taps(n_in, n_out, scales[i], mode == "nearest-exact", shortcuts=mode == "nearest")[:, 0]
            x = _take(x, idx, ax) if np.array_equal(idx, back) else _take_scatter_back(x, idx, back, ax)
            continue
        taps, w = (_cubic_taps if mode == "bicubic" else _linear_taps)(n_in, n_out, align_corners, scales[i], dt)
        bshape = [1] * x.ndim
        bshape[ax] = n_out
        acc = None
        for j in range(taps.shape[1]):
            t = jnp.take(x, jnp.asarray(taps[:, j]), axis=ax) * jnp.asarray(w[:, j]).reshape(bshape)
            acc = t if acc is None else acc + t
        x = acc
    return x


# ------------------------------------------------------------------------- shuffles


def _check_pixel_shuffle(args, params):
    x, r = args[0], params["upscale_factor"]
    if x.dim() < 3:
        raise RuntimeError(
            f"pixel_shuffle expects input to have at least 3 dimensions, but got input with {x.dim()} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if x.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, "
            f"but input.size(-3)={x.shape[-3]} is not divisible by {r * r}"
        )


@op(promote=SAME, grad_name="PixelShuffleBackward0", check=_check_pixel_shuffle)
def pixel_shuffle(input, upscale_factor):
    r = upscale_factor
    *lead, c, h, w = input.shape
    n = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = jnp.transpose(x, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def _check_pixel_unshuffle(args, params):
    x, r = args[0], params["downscale_factor"]
    if x.dim() < 3:
        raise RuntimeError(
            f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with {x.dim()} dimension(s)"
        )
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if x.shape[-2] % r:
        raise RuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
            f"{x.shape[-2]} is not divisible by {r}"
        )
    if x.shape[-1] % r:
        raise RuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
            f"{x.shape[-1]} is not divisible by {r}"
        )


@op(promote=SAME, grad_name="PixelUnshuffleBackward0", check=_check_pixel_unshuffle)
def pixel_unshuffle(input, downscale_factor):
    r = downscale_factor
    *lead, c, h, w = input.shape
    n = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = jnp.transpose(x, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def _check_channel_shuffle(args, params):
    x, g = args[0], params["groups"]
    if x.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(x.shape)}")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    if x.shape[1] % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {x.shape[1]} channels and {g} groups.")


@op(promote=SAME, grad_name="ChannelShuffleBackward0", check=_check_channel_shuffle)
def channel_shuffle(input, groups):
    n, c = input.shape[:2]
    x = input.reshape((n, groups, c // groups) + input.shape[2:])
    return jnp.swapaxes(x, 1, 2).reshape(input.shape)


# ------------------------------------------------------------------------- im2col / col2im


def _blocks(size, k, d, p, s):
    return (size + 2 * p - (d * (k - 1) + 1)) // s + 1


def _check_conv_args(k, s, p, d):
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kernel_height: {k[0]} kernel_width: {k[1]}"
        )
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilation_height: {d[0]} dilation_width: {d[1]}"
        )
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")


def _check_im2col(args, params):
    x = args[0]
    k, d, p, s = params["kernel_size"], params["dilation"], params["padding"], params["stride"]
    _check_conv_args(k, s, p, d)
    if x.dim() not in (3, 4) or any(v == 0 for v in x.shape[-3:]):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, "
            f"but got: {list(x.shape)}"
        )
    h, w = x.shape[-2:]
    oh, ow = _blocks(h, k[0], d[0], p[0], s[0]), _blocks(w, k[1], d[1], p[1], s[1])
    if oh < 1 or ow < 1:
        raise RuntimeError(
            f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as ({oh}, {ow}), but its "
            "components must be at least one."
        )


@op(promote=SAME, grad_name="Im2ColBackward0", check=_check_im2col)
def im2col(input, kernel_size, dilation, padding, stride):
    k, d, p, s = kernel_size, dilation, padding, stride
    x = input if input.ndim == 4 else input[None]
    n, c, h, w = x.shape
    oh, ow = _blocks(h, k[0], d[0], p[0], s[0]), _blocks(w, k[1], d[1], p[1], s[1])
    xp = jnp.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    parts = []
    for i, j in itertools.product(range(k[0]), range(k[1])):
        start = (0, 0, i * d[0], j * d[1])
        limit = (n, c, i * d[0] + (oh - 1) * s[0] + 1, j * d[1] + (ow - 1) * s[1] + 1)
        parts.append(jax.lax.slice(xp, start, limit, (1, 1, s[0], s[1])))
    out = jnp.stack(parts, axis=2).reshape(n, c * k[0] * k[1], oh * ow)
    return out if input.ndim == 4 else out[0]


def _check_col2im(args, params):
    x = args[0]
    o, k, d, p, s = (params[n] for n in ("output_size", "kernel_size", "dilation", "padding", "stride"))
    _check_conv_args(k, s, p, d)
    if x.dim() not in (2, 3) or any(v == 0 for v in x.shape[-2:]):
        raise RuntimeError(
            "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for "
            f"input, but got: {list(x.shape)}"
        )
    c = x.shape[-2]
    if c % (k[0] * k[1]):
        raise RuntimeError(
            "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got "
            f"input.size(1)={c} and kernel_size=({k[0]}, {k[1]})."
        )
    bh, bw = _blocks(o[0], k[0], d[0], p[0], s[0]), _blocks(o[1], k[1], d[1], p[1], s[1])
    if bh < 1 or bw < 1:
        raise RuntimeError(
            f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), calculated shape of the array of sliding blocks as "
            f"({bh}, {bw}), but its components must be at least one."
        )
    if x.shape[-1] != bh * bw:
        raise RuntimeError(
            f"Given output_size=({o[0]}, {o[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to match the "
            f"calculated number of sliding blocks {bh} * {bw} = {bh * bw}, but got input.size(2)={x.shape[-1]}."
        )


@op(promote=SAME, grad_name="Col2ImBackward0", check=_check_col2im)
def col2im(input, output_size, kernel_size, dilation, padding, stride):
    o, k, d, p, s = output_size, kernel_size, dilation, padding, stride
    x = input if input.ndim == 3 else input[None]
    n = x.shape[0]
    c = x.shape[1] // (k[0] * k[1])
    bh, bw = _blocks(o[0], k[0], d[0], p[0], s[0]), _blocks(o[1], k[1], d[1], p[1], s[1])
    cols = x.reshape(n, c, k[0], k[1], bh, bw)
    out = jnp.zeros((n, c, o[0] + 2 * p[0], o[1] + 2 * p[1]), x.dtype)
    # contributions land in ATen's loop order: kernel row, then kernel column
    for i, j in itertools.product(range(k[0]), range(k[1])):
        hs, ws = i * d[0], j * d[1]
        out = out.at[:, :, hs : hs + (bh - 1) * s[0] + 1 : s[0], ws : ws + (bw - 1) * s[1] + 1 : s[1]].add(
            cols[:, :, i, j]
        )
    out = out[:, :, p[0] : p[0] + o[0], p[1] : p[1] + o[1]]
    return out if input.ndim == 3 else out[0]


# ------------------------------------------------------------------------- losses


# ATen's C++ composites add and subtract Python numbers through the Scalar overloads
@op("_nn_add_scalar", n_tensors=2, promote=R.BINARY, grad_name="AddBackward1")
def _nn_add_scalar(input, other):
    return input + other


@op("_nn_sub_scalar", n_tensors=2, promote=R.BINARY, grad_name="SubBackward1")
def _nn_sub_scalar(input, other):
    return input - other


@op("_nn_mul_scalar", n_tensors=2, promote=R.BINARY, grad_name="MulBackward1")
def _nn_mul_scalar(input, other):
    return input * other


for _name in ("_nn_add_scalar", "_nn_sub_scalar", "_nn_mul_scalar"):
    R.OPS[_name].pointwise = True
    R.OPS[_name].edges = lambda sig: (0,)


def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _not_differentiable(fn, name, t):
    from ..autograd import grad_mode as _gm

    if t is not None and t.requires_grad and _gm.is_grad_enabled():
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input cannot have "
            "requires_grad True."
        )


def _check_soft_margin(args, params):
    _not_differentiable("soft_margin_loss", "target", args[1])


@op(
    n_tensors=2,
    promote=R.BINARY,
    grad_name="SoftMarginLossBackward0",
    saves=((0, 1), ()),
    check=_check_soft_margin,
)
def soft_margin_loss(input, target, reduction="mean"):
    return _reduce(jnp.log1p(jnp.exp(-input * target)), reduction)


def _check_multi_margin(args, params):
    x, t, w = args
    if x.dim() > 2:
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(x.shape)}"
        )
    n = x.shape[0] if x.dim() == 2 else 1
    c = x.shape[-1] if x.dim() else 1
    if not (t.dim() <= 1 and t.numel() == n):
        raise RuntimeError(
            "multi_margin_loss: target tensor should be 1-D with size equal to the number of input samples (batch "
            f"size). Expected target size [{n}], but got {list(t.shape)}. Input has shape {list(x.shape)}."
        )
    if w is not None and not (w.dim() <= 1 and w.numel() == c):
        raise RuntimeError(f"inconsistent weight size, expected {c} but got {list(w.shape)}")
    _not_differentiable("multi_margin_loss", "weight", w)
    if w is not None and w.dtype is not x.dtype:
        raise RuntimeError(f"expected scalar type {R._type_word(x.dtype)} but found {R._type_word(w.dtype)}")
    tv = np.asarray(t._value)
    if tv.size and (tv.min() < 0 or tv.max() >= c):
        raise RuntimeError("target out of range")


@op(
    n_tensors=3,
    promote=SAME,
    promoted=(0, 2),
    grad_name="MultiMarginLossBackward0",
    saves=((0, 1, 2), (), ()),
    check=_check_multi_margin,
)
def multi_margin_loss(input, target, weight=None, p=1, margin=1.0, reduction="mean"):
    x = input.reshape(-1, input.shape[-1] if input.ndim else 1)
    t = target.reshape(-1)
    c = x.shape[1]
    xy = jnp.take_along_axis(x, t[:, None], axis=1)
    z = jnp.asarray(margin, x.dtype) - xy + x
    h = jnp.where(z > 0, z, jnp.zeros((), x.dtype))
    if p == 2:
        h = h * h
    if weight is not None:
        h = h * weight[t][:, None]
    h = jnp.where(jnp.arange(c)[None, :] == t[:, None], jnp.zeros((), x.dtype), h)
    loss = jnp.sum(h, axis=1) / jnp.asarray(c, x.dtype)
    if reduction == "none":
        return loss.reshape(target.shape) if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, reduction)


def _check_multilabel_margin(args, params):
    x, t = args
    if x.dim() > 2 or (x.dim() == 2 and x.shape[0] == 0 and False):
        raise RuntimeError(
            f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: {list(x.shape)}"
        )
    if tuple(t.shape) != tuple(x.shape) and not (x.dim() <= 1 and t.dim() <= 1 and t.numel() == x.numel()):
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    c = x.shape[-1] if x.dim() else 1
    tv = np.asarray(t._value).reshape(-1, c)
    for row in tv:
        for v in row:
            if v < 0:
                break
            if v >= c:
                raise RuntimeError("argument #2 'target' is out of range")


def _multilabel_masks(t, c):
    """Per row: which classes are targets (those before the first -1)."""
    valid = jnp.cumprod(t >= 0, axis=1).astype(bool)
    safe = jnp.where(valid, t, 0)
    onehot = jax.nn.one_hot(safe, c, dtype=bool) & valid[..., None]
    return jnp.any(onehot, axis=1), safe, valid


@op(
    n_tensors=2,
    promote=SAME,
    promoted=(0,),
    grad_name="MultilabelMarginLossBackward0",
    saves=((0, 1), ()),
    check=_check_multilabel_margin,
)
def multilabel_margin_loss(input, target, reduction="mean"):
    c = input.shape[-1] if input.ndim else 1
    x = input.reshape(-1, c)
    t = target.reshape(-1, c)
    is_target, safe, valid = _multilabel_masks(t, c)
    xj = jnp.take_along_axis(x, safe, axis=1)  # (n, c): the target scores, one per target slot
    z = jnp.asarray(1, x.dtype) - xj[:, :, None] + x[:, None, :]
    z = jnp.where(z > 0, z, jnp.zeros((), x.dtype))
    keep = valid[:, :, None] & ~is_target[:, None, :]
    loss = jnp.sum(jnp.where(keep, z, jnp.zeros((), x.dtype)), axis=(1, 2)) / jnp.asarray(c, x.dtype)
    if reduction == "none":
        return loss.reshape(input.shape[:-1]) if input.ndim == 2 else loss.reshape(())
    return _reduce(loss, reduction)
