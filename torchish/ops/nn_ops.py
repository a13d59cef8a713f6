"""Ops behind torch.nn.functional: activations, losses, normalisation, embedding.

Each is a pure jax function registered with torch's grad_fn name. Formulas follow ATen's CPU kernels
(e.g. binary_cross_entropy's log clamp at -100, softplus's threshold), and where torch's gradient is
not the derivative of its forward (kinks, clamped logs) the pure function is shaped so JAX's
derivative lands on torch's value, or carries a custom_vjp.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap_dim
from . import _formulas as F
from . import _registry as R
from ._registry import BINARY, SAME


def op(*args, method=False, **kwargs):
    """R.op, but an nn op is not a Tensor method unless torch makes it one."""
    return R.op(*args, method=method, **kwargs)


_SQRT1_2 = 1.0 / math.sqrt(2.0)


def _c(x, v):
    """A Python scalar as a constant of x's dtype (keeps float32 math in float32)."""
    return jnp.asarray(v, x.dtype)


# ------------------------------------------------------------------------- activations


@op(grad_name="GeluBackward0", saves=((0,),))
def gelu(input, *, approximate="none"):
    x = input
    if approximate == "tanh":
        k = _c(x, math.sqrt(2.0 / math.pi))
        inner = k * (x + _c(x, 0.044715) * x * x * x)
        return _c(x, 0.5) * x * (1 + jnp.tanh(inner))
    return x * _c(x, 0.5) * (1 + jax.scipy.special.erf(x * _c(x, _SQRT1_2)))


@op(grad_name="SiluBackward0", saves=((0,),))
def silu(input):
    return input / (1 + jnp.exp(-input))


@op(grad_name="MishBackward0", saves=((0,),))
def mish(input):
    return input * jnp.tanh(jax.nn.softplus(input))


def _leaky(x, negative_slope):
    # torch: x > 0 ? x : x * slope, and the gradient at 0 is the slope
    return jnp.where(x > 0, x, x * _c(x, negative_slope))


@op(grad_name="LeakyReluBackward0", saves=((0,),))
def leaky_relu(input, negative_slope=0.01):
    return _leaky(input, negative_slope)


@op("leaky_relu_inplace", grad_name="LeakyReluBackward1", saves=((-1,),))
def _leaky_relu_inplace(input, negative_slope=0.01):
    return _leaky(input, negative_slope)


def _elu(x, alpha, scale, input_scale):
    # where, not minimum: at x == 0 torch's gradient is the negative branch's, whole
    neg = jnp.expm1(jnp.where(x <= 0, x, 0) * _c(x, input_scale)) * _c(x, alpha * scale)
    return jnp.where(x <= 0, neg, x * _c(x, scale))


@op(grad_name="EluBackward0", saves=((0,),))
def elu(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu(input, alpha, scale, input_scale)


@op("elu_inplace", grad_name="EluBackward1", saves=((-1,),))
def _elu_inplace(input, alpha=1.0, scale=1.0, input_scale=1.0):
    return _elu(input, alpha, scale, input_scale)


@op(grad_name="CeluBackward0", saves=((0,),))
def celu(input, alpha=1.0):
    return _elu(input, alpha, 1.0, 1.0 / alpha)


@op(grad_name="SoftplusBackward0", saves=((0,),))
def softplus(input, beta=1.0, threshold=20.0):
    x = input
    xb = x * _c(x, beta)
    # the unused branch is evaluated on a safe value so its gradient is not NaN
    soft = jnp.log1p(jnp.exp(jnp.where(xb > threshold, 0, xb))) / _c(x, beta)
    return jnp.where(xb > threshold, x, soft)


@op(grad_name="HardtanhBackward0", saves=((0,),))
def hardtanh(input, min_val=-1.0, max_val=1.0):
    # torch's gradient is zero at the bounds themselves (clamp passes it there)
    x = input
    return jnp.where(x <= min_val, _c(x, min_val), jnp.where(x >= max_val, _c(x, max_val), x))


@op(grad_name="HardsigmoidBackward0", saves=((0,),))
def hardsigmoid(input):
    x = input
    return jnp.where(x <= -3, _c(x, 0), jnp.where(x >= 3, _c(x, 1), x / 6 + _c(x, 0.5)))


@op(grad_name="HardswishBackward0", saves=((0,),))
def hardswish(input):
    x = input
    return jnp.where(x <= -3, _c(x, 0), jnp.where(x >= 3, x, x * (x + 3) / 6))


@op(grad_name="LogSigmoidBackward0", saves=((0,),))
def logsigmoid(input):
    return jax.nn.log_sigmoid(input)


@op(grad_name="ThresholdBackward0", saves=((0,),))
def threshold(input, threshold, value):
    x = input
    return jnp.where(x <= threshold, _c(x, value), x)


@op(grad_name="HardshrinkBackward0", saves=((0,),), method=True)
def hardshrink(input, lambd=0.5):
    x = input
    return jnp.where((x >= -lambd) & (x <= lambd), _c(x, 0), x)


@op(grad_name="SoftshrinkBackward0", saves=((0,),))
def softshrink(input, lambd=0.5):
    x = input
    lam = _c(x, lambd)
    return jnp.where(x > lambd, x - lam, jnp.where(x < -lambd, x + lam, _c(x, 0)))


def _check_glu(args, params):
    x = args[0]
    d = _wrap_dim(params["dim"], x.dim())
    if x.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {x.shape[d]}")


@op(grad_name="GluBackward0", saves=((0,),), check=_check_glu)
def glu(input, dim=-1):
    a, b = jnp.split(input, 2, axis=_wrap_dim(dim, input.ndim))
    return a * jax.nn.sigmoid(b)


@op(n_tensors=2, grad_name="PreluKernelBackward0", saves=((0, 1), (0, 1)), method=True)
def prelu(input, weight):
    w = weight
    if input.ndim >= 2 and w.size > 1:
        w = w.reshape((1, -1) + (1,) * (input.ndim - 2))
    return jnp.where(input > 0, input, input * w)


# ------------------------------------------------------------------------- losses


def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _check_reduction(args, params):
    r = params.get("reduction")
    if r not in ("none", "mean", "sum"):
        raise ValueError(f"{r} is not a valid value for reduction")


@op(n_tensors=2, promote=BINARY, grad_name="MseLossBackward0", saves=((0, 1), (0, 1)), check=_check_reduction)
def mse_loss(input, target, reduction="mean"):
    d = input - target
    return _reduce(d * d, reduction)


@op(n_tensors=2, promote=BINARY, grad_name="HuberLossBackward0", saves=((0, 1), (0, 1)), check=_check_reduction)
def huber_loss(input, target, reduction="mean", delta=1.0):
    d = input - target
    a = jnp.abs(d)
    dl = _c(d, delta)
    return _reduce(jnp.where(a < delta, _c(d, 0.5) * d * d, dl * (a - _c(d, 0.5) * dl)), reduction)


@op(n_tensors=2, promote=BINARY, grad_name="SmoothL1LossBackward0", saves=((0, 1), (0, 1)), check=_check_reduction)
def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    d = input - target
    a = jnp.abs(d)
    b = _c(d, beta)
    return _reduce(jnp.where(a < beta, _c(d, 0.5) * d * d / b, a - _c(d, 0.5) * b), reduction)


@jax.custom_vjp
def _bce_elem(x, y):
    return (y - 1) * jnp.maximum(jnp.log1p(-x), _c(x, -100)) - y * jnp.maximum(jnp.log(x), _c(x, -100))


def _bce_fwd(x, y):
    return _bce_elem(x, y), (x, y)


def _bce_bwd(res, g):
    x, y = res
    # torch's formula, not the derivative of the clamped logs
    gx = g * (x - y) / jnp.maximum((1 - x) * x, _c(x, 1e-12))
    gy = g * (jnp.maximum(jnp.log1p(-x), _c(x, -100)) - jnp.maximum(jnp.log(x), _c(x, -100)))
    return gx, gy


_bce_elem.defvjp(_bce_fwd, _bce_bwd)


def _not_differentiable(fn, name, t):
    from ..autograd import grad_mode as _gm

    if t is not None and t.requires_grad and _gm.is_grad_enabled():
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{name}'. This input cannot have "
            "requires_grad True."
        )


def _check_bce(args, params):
    _check_reduction(args, params)
    _not_differentiable("binary_cross_entropy", "weight", args[2])
    x, y = np.asarray(args[0]._value), np.asarray(args[1]._value)
    if not np.all((x >= 0) & (x <= 1)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not np.all((y >= 0) & (y <= 1)):
        raise RuntimeError("all elements of target should be between 0 and 1")


@op(
    n_tensors=3,
    promote=BINARY,
    grad_name="BinaryCrossEntropyBackward0",
    saves=((0, 1, 2), (0, 1, 2), ()),
    check=_check_bce,
)
def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    loss = _bce_elem(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_bcel(args, params):
    _check_reduction(args, params)
    _not_differentiable("binary_cross_entropy_with_logits", "weight", args[2])
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", args[3])


@op(
    n_tensors=4,
    promote=BINARY,
    grad_name="BinaryCrossEntropyWithLogitsBackward0",
    saves=((0, 1, 2, 3), (0, 1, 2, 3), (), ()),
    check=_check_bcel,
)
def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    log_sig = jax.nn.log_sigmoid(input)
    if pos_weight is not None:
        log_sig = log_sig * ((pos_weight - 1) * target + 1)
    loss = (1 - target) * input - log_sig
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _check_nll(args, params):
    x, t, w = args
    if t.dtype._name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {R._type_word(t.dtype)}")
    if x.dim() < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.dim()})")
    if x.dim() >= 2 and t.dim() >= 1 and x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    c = x.shape[0] if x.dim() == 1 else x.shape[1]
    if w is not None and w.numel() != c:
        raise RuntimeError(
            f"weight tensor should be defined either for all {c} classes or no classes but got weight tensor of "
            f"shape: {list(w.shape)}"
        )
    tv = np.asarray(t._value)
    bad = tv[(tv != params["ignore_index"]) & ((tv < 0) | (tv >= c))]
    if bad.size:
        raise IndexError(f"Target {int(bad.reshape(-1)[0])} is out of bounds.")


def _nll_name(params, args):
    return "NllLoss2DBackward0" if args[0].dim() == 4 else "NllLossBackward0"


@op(n_tensors=3, promote=SAME, promoted=(0, 2), grad_name=_nll_name, saves=((1, 2), (), ()), check=_check_nll)
def nll_loss(input, target, weight=None, reduction="mean", ignore_index=-100):
    cdim = 0 if input.ndim == 1 else 1
    valid = target != ignore_index
    safe = jnp.where(valid, target, 0)
    picked = jnp.take_along_axis(input, jnp.expand_dims(safe, cdim), axis=cdim).squeeze(cdim)
    w = jnp.ones((), input.dtype) if weight is None else weight[safe]
    w = jnp.where(valid, w, _c(input, 0))
    loss = -picked * w
    if reduction == "none":
        return loss
    if reduction == "sum":
        return jnp.sum(loss)
    total = jnp.sum(loss)
    denom = jnp.sum(jnp.broadcast_to(w, loss.shape))
    # all targets ignored: the value is 0/0 = nan as in torch, but torch's backward never touches the
    # ignored entries, so their gradient stays 0 (not 0 * inf)
    safe = total / jnp.where(denom == 0, jnp.ones_like(denom), denom)
    return jax.lax.stop_gradient(total / denom) + (safe - jax.lax.stop_gradient(safe))


# ------------------------------------------------------------------------- normalisation


def _check_layer_norm(args, params):
    x, w, b = args
    shape = tuple(params["normalized_shape"])
    n = len(shape)
    if n == 0:
        raise RuntimeError(
            "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but "
            "got normalized_shape = []"
        )
    if w is not None and tuple(w.shape) != shape:
        raise RuntimeError(
            f"Expected weight to be of same shape as normalized_shape, but got weight of shape {list(w.shape)} and "
            f"normalized_shape = {list(shape)}"
        )
    if b is not None and tuple(b.shape) != shape:
        raise RuntimeError(
            f"Expected bias to be of same shape as normalized_shape, but got bias of shape {list(b.shape)} and "
            f"normalized_shape = {list(shape)}"
        )
    xs = tuple(x.shape)
    if len(xs) < n or xs[len(xs) - n :] != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, {', '.join(map(str, shape))}], "
            f"but got input of size{x.shape}".replace("torch.Size(", "").replace(")", "")
        )


def _layer_norm_stats(input, normalized_shape, eps):
    """native_layer_norm's mean and rstd over the normalized dims (kept)."""
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    mean = jnp.mean(input, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    return mean, F.torch_rsqrt(var + _c(input, eps))


@op(n_tensors=3, grad_name="NativeLayerNormBackward0", saves=((0, 1, 2), (0, 1, 2), ()), check=_check_layer_norm)
def layer_norm(input, weight=None, bias=None, normalized_shape=(), eps=1e-5):
    mean, rstd = _layer_norm_stats(input, normalized_shape, eps)
    out = (input - mean) * rstd
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _native_layer_norm_backward(grad, input, mean, rstd, weight, bias, params):
    """torch's one ATen node for all three gradients (mean and rstd are read, never differentiated: its edges for
    them are None; so are an absent weight's and bias's, passed as placeholders)."""
    (normalized_shape, eps), affine = params[:2], params[2:]

    def forward(x, w, b):
        kernel = R.OPS["layer_norm"].fn
        return kernel(x, w if affine[0] else None, b if affine[1] else None, normalized_shape=normalized_shape, eps=eps)

    return jax.vjp(forward, input, weight, bias)[1](grad)


_layer_norm_backward_call = F.named_call("native_layer_norm_backward", _native_layer_norm_backward, static_argnums=6)


def _layer_norm_formula(grad, result, params, inputs):
    x, w, b = inputs
    shape, eps = tuple(params["normalized_shape"]), params.get("eps", 1e-5)
    mean, rstd = jax.lax.stop_gradient(_layer_norm_stats(x, shape, eps))
    placeholder = jnp.zeros(shape, x.dtype)
    key = (shape, eps, w is not None, b is not None)
    gx, gw, gb = _layer_norm_backward_call(
        grad, x, mean, rstd, placeholder if w is None else w, placeholder if b is None else b, key
    )
    return gx, None if w is None else gw, None if b is None else gb


R.OPS["layer_norm"].result_grad = _layer_norm_formula


@op(n_tensors=2, grad_name="MulBackward0", saves=((0, 1), (0,)))
def _rms_norm(input, weight=None, normalized_shape=(), eps=None):
    axes = tuple(range(input.ndim - len(normalized_shape), input.ndim))
    e = jnp.finfo(input.dtype).eps if eps is None else eps
    out = input * F.torch_rsqrt(jnp.mean(jnp.square(input), axis=axes, keepdims=True) + _c(input, e))
    return out * weight if weight is not None else out


def _check_group_norm(args, params):
    x = args[0]
    g = params["num_groups"]
    if x.dim() < 2 or x.shape[1] % g:
        raise RuntimeError(
            f"Expected number of channels in input to be divisible by num_groups, but got input of shape "
            f"{list(x.shape)} and num_groups={g}"
        )


@op(n_tensors=3, grad_name="NativeGroupNormBackward0", saves=((0, 1, 2), (0, 1, 2), ()), check=_check_group_norm)
def group_norm(input, weight=None, bias=None, num_groups=1, eps=1e-5):
    n, c = input.shape[:2]
    xg = input.reshape((n, num_groups, -1))
    mean = jnp.mean(xg, axis=2, keepdims=True)
    var = jnp.mean(jnp.square(xg - mean), axis=2, keepdims=True)
    out = ((xg - mean) * F.torch_rsqrt(var + _c(input, eps))).reshape(input.shape)
    bshape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def _bn_axes(x):
    return (0,) + tuple(range(2, x.ndim))


@op(
    n_tensors=5,
    grad_name="NativeBatchNormBackward0",
    saves=((0, 1, 3, 4), (0, 1, 3, 4), (), (), ()),
    promoted=(0, 1, 2),
)
def batch_norm(input, weight=None, bias=None, running_mean=None, running_var=None, training=False, eps=1e-5):
    axes = _bn_axes(input)
    bshape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if training:
        mean = jnp.mean(input, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    else:
        mean = running_mean.astype(input.dtype).reshape(bshape)
        var = running_var.astype(input.dtype).reshape(bshape)
    out = (input - mean) * F.torch_rsqrt(var + _c(input, eps))
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


@op("_batch_norm_stats", n_tensors=3, differentiable=False, n_out=2, promoted=(0,))
def _batch_norm_stats(input, running_mean, running_var, momentum=0.1):
    """The running-statistics update of a training-mode batch_norm (unbiased variance), in float64 as
    ATen's CPU kernel accumulates."""
    axes = _bn_axes(input)
    x = input.astype(jnp.float64)
    n = input.size // input.shape[1]
    mean = jnp.mean(x, axis=axes)
    var = jnp.sum(jnp.square(x - mean.reshape((1, -1) + (1,) * (input.ndim - 2))), axis=axes) / max(n - 1, 1)
    if n == 1:
        var = var * jnp.nan
    m = momentum
    new_mean = (m * mean + (1 - m) * running_mean.astype(jnp.float64)).astype(running_mean.dtype)
    new_var = (m * var + (1 - m) * running_var.astype(jnp.float64)).astype(running_var.dtype)
    return new_mean, new_var


# ------------------------------------------------------------------------- embedding


def _check_embedding(args, params):
    w, idx = args
    if w.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if idx.dtype._name not in ("int64", "int32"):
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; but got "
            f"torch.{R._type_word(idx.dtype)}Tensor instead (while checking arguments for embedding)"
        )
    v = np.asarray(idx._value)
    if v.size and (v.min() < 0 or v.max() >= w.shape[0]):
        raise IndexError("index out of range in self")


@op(n_tensors=2, grad_name="EmbeddingBackward0", saves=((1,), ()), promoted=(0,), check=_check_embedding, method=False)
def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False):
    rows = jnp.take(weight, indices, axis=0)
    scale = None
    if scale_grad_by_freq:
        counts = jnp.zeros((weight.shape[0],), weight.dtype).at[indices.reshape(-1)].add(1)
        scale = (1 / counts[indices])[..., None]
    if padding_idx >= 0:
        keep = (indices != padding_idx)[..., None].astype(weight.dtype)
        scale = keep if scale is None else scale * keep
    if scale is None:
        return rows
    # the value stays exactly `rows`; only the gradient is scaled (torch's padding / frequency rules)
    frozen = jax.lax.stop_gradient(rows)
    return frozen + (rows - frozen) * scale


# ------------------------------------------------------------------------- misc


@op(promote=SAME, differentiable=False, method=False, out_dtype=lambda c, p: R.D.int64)
def one_hot(input, num_classes=-1):
    return jax.nn.one_hot(input, num_classes, dtype=jnp.int64)


@op("_div_scalar_c", grad_name="DivBackward1")
def _div_scalar_c(input, other):
    """tensor / Python number as ATen's C++ composites call it (div.Scalar, hence DivBackward1)."""
    return input / other


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2, 3))
def _pnorm(x, p, axis, keepdim):
    if p == float("inf"):
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdim)
    if p == 2.0:
        return jnp.sqrt(jnp.sum(x * x, axis=axis, keepdims=keepdim))
    if p == 1.0:
        return jnp.sum(jnp.abs(x), axis=axis, keepdims=keepdim)
    return jnp.sum(jnp.abs(x) ** p, axis=axis, keepdims=keepdim) ** (1.0 / p)


def _pnorm_fwd(x, p, axis, keepdim):
    n = _pnorm(x, p, axis, keepdim)
    return n, (x, n)


def _pnorm_bwd(p, axis, keepdim, res, g):
    """torch's norm_backward: zero where the norm is zero (not NaN)."""
    x, n = res
    if not keepdim:
        n, g = jnp.expand_dims(n, axis), jnp.expand_dims(g, axis)
    zero = jnp.zeros((), x.dtype)
    safe_n = jnp.where(n == 0, jnp.ones((), x.dtype), n)
    if p == 2.0:
        gx = x * (g / safe_n)
    elif p == 1.0:
        gx = jnp.sign(x) * g
    elif p == float("inf"):
        hit = (jnp.abs(x) == n).astype(x.dtype)
        gx = jnp.sign(x) * hit * g / jnp.sum(hit, axis=axis, keepdims=True)
    else:
        gx = x * jnp.abs(x) ** (p - 2) * g / safe_n ** (p - 1)
    return (jnp.where(n == 0, zero, gx),)


_pnorm.defvjp(_pnorm_fwd, _pnorm_bwd)


@op("_norm", grad_name="NormBackward1", saves=((0, -1),))
def _norm(input, p=2.0, dim=-1, keepdim=False):
    return _pnorm(input, float(p), _wrap_dim(dim, input.ndim), keepdim)


@op(n_tensors=2, promote=BINARY, grad_name="NormBackward1", saves=((0, 1), (0, 1)))
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = x1 - x2 + _c(x1, eps)
    axis = -1 if d.ndim else 0
    if d.ndim == 0:
        d = d.reshape(1)
    return _pnorm(d, float(p), axis, keepdim)


@op("_linear_t", grad_name="TBackward0")
def _linear_t(input):
    """weight.t() for F.linear: torch's TBackward0 node, but not a registered view of the parameter.

    A registered view is re-derived on every in-place write to its base; an optimizer step writes every
    parameter, and the graph keeps each step's views alive until the cycle collector runs. F.linear gives
    the result the parameter's version counter, so torch's modified-by-an-inplace-operation error stays.
    """
    return input.T


R.OPS["_linear_t"].result_grad = lambda g, y, p, x: F.t(g)  # (torch's t backward: grad.t(), a TBackward0)


# the elementwise activations: TensorIterator lays their results out as their strided inputs
for _name in (
    "celu", "elu", "elu_inplace", "gelu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
    "leaky_relu_inplace", "mish", "silu", "softplus", "softshrink", "threshold", "prelu",
):  # fmt: skip
    R.OPS[_name].pointwise = True


def _silu_backward(grad, result, params, inputs):
    # torch's infinitely_differentiable_silu_backward, in its terms
    (x,) = inputs
    s = jax.nn.sigmoid(x)
    return grad * s * (1 + x * (1 - s))


def _mish_backward(grad, result, params, inputs):
    # torch's infinitely_differentiable_mish_backward, in its terms
    (x,) = inputs
    s, t = jax.nn.sigmoid(x), jnp.tanh(jnp.log1p(jnp.exp(x)))
    return grad * (t + x * s * (1 - t * t))


R.OPS["silu"].result_grad = _silu_backward
R.OPS["mish"].result_grad = _mish_backward


def _aten_backward(op_name: str, call_name, named=(0,)) -> None:
    """Give op_name torch's formula: for each input in `named`, one ATen `<call_name>` op (grad, that input, the
    others; nll_loss names two, its 1-D and 2-D kernels), so a create_graph gradient has torch's node
    (GeluBackwardBackward0, MseLossBackwardBackward0) and requires grad where torch's does (leaky_relu's, whose value
    does not vary with the input). Another input's formula is a composite in torch: JAX's derivative. The values
    are JAX's derivative of the forward either way."""
    fn = R.OPS[op_name].fn

    def derivative(j, grad, xs, params):
        def forward(a):
            return fn(*xs[:j], a, *xs[j + 1 :], **dict(params))

        return jax.vjp(forward, xs[j])[1](grad)[0]

    def body(grad, own, others, params, j):
        return derivative(j, grad, (*others[:j], own, *others[j:]), params)

    names = (call_name,) if isinstance(call_name, str) else call_name
    calls = {n: F.named_call(n, body, static_argnums=(3, 4)) for n in names}

    def formula(grad, result, params, inputs):
        xs = tuple(
            x.astype(result.dtype) if x is not None and jnp.issubdtype(x.dtype, jnp.floating) else x for x in inputs
        )
        key = tuple(sorted(params.items()))
        grads = []
        for j, x in enumerate(xs):
            if x is None or not jnp.issubdtype(x.dtype, jnp.floating):
                grads.append(None)
            elif j in named:
                call = calls[names[0] if len(names) == 1 else names[xs[0].ndim == 4]]  # (nll_loss's 2-D kernel)
                grads.append(call(grad, x, xs[:j] + xs[j + 1 :], key, j))
            else:
                grads.append(derivative(j, grad, xs, key))
        return grads[0] if len(xs) == 1 else tuple(grads)

    R.OPS[op_name].result_grad = formula


for _name, _call in (
    ("leaky_relu", "leaky_relu_backward"), ("elu", "elu_backward"), ("celu", "elu_backward"),
    ("softplus", "softplus_backward"), ("gelu", "gelu_backward"), ("hardtanh", "hardtanh_backward"),
    ("hardswish", "hardswish_backward"), ("logsigmoid", "log_sigmoid_backward"), ("threshold", "threshold_backward"),
    ("hardshrink", "hardshrink_backward"), ("softshrink", "softshrink_backward"), ("glu", "glu_backward"),
):  # fmt: skip
    _aten_backward(_name, _call)
for _name in ("mse_loss", "smooth_l1_loss", "huber_loss"):
    _aten_backward(_name, _name + "_backward", named=(0, 1))
_aten_backward("nll_loss", ("nll_loss_backward", "nll_loss2d_backward"))
_aten_backward("binary_cross_entropy", "binary_cross_entropy_backward")
