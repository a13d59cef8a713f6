"""Fused optimizer updates: one jitted call per parameter group, bit-compatible with torch's CPU for-loop.

Each kernel replays torch's single-tensor algorithm op by op. Two facts of the CPU backends decide the
arithmetic (measured on float32, see tests/test_optim.py):
  * torch's vectorised kernels fuse multiply-add: `add_(x, alpha=a)` is fma(a, x, self), `addcmul_` is
    fma(value * t1, t2, self), `lerp_` is fma(w, end - self, self); a separate `mul_` is rounded on its own.
  * XLA's CPU compiler contracts any `a * b + c` into an fma as well, and rewrites `x / scalar` into
    `x * (1 / scalar)`.
So each of torch's fmas is written as a product feeding an add (which XLA contracts), every product that
torch rounds on its own is materialised behind an optimization barrier so it cannot be contracted, and
divisions by a scalar go through a barrier so they stay true divisions. (Emulating the fma in float64
instead is also exact but 2.5x slower.) test_optim checks the results bit for bit.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

_F32 = jnp.dtype(jnp.float32)
_F64 = jnp.float64


def _fma(a, b, c):
    """round(a * b + c) with a single rounding, as torch's vectorised kernels compute it: XLA's CPU
    compiler contracts the product into the add (c must not itself be an unrounded product: see _rounded)."""
    return a * b + c


def _rounded(x):
    """x materialised on its own, so XLA cannot fuse it into a following add as an fma."""
    return jax.lax.optimization_barrier(x)


def _div_scalar(x, s):
    """x / s for a scalar s, as an IEEE division of every element (not x * (1/s))."""
    return x / jax.lax.optimization_barrier(jnp.broadcast_to(s, x.shape))


def _lerp(start, end, w, small: bool):
    """torch's lerp_ with a scalar weight (vectorised form)."""
    if small:
        return _fma(w, end - start, start)
    return _fma(w - jnp.ones((), w.dtype), end - start, end)


def _inc(steps):
    """`state["step"] += 1`, fused into the update instead of one transfer per parameter."""
    return tuple(s + jnp.ones((), s.dtype) for s in steps)


def _s(scal, i, dt):
    return scal[i].astype(dt)


# ------------------------------------------------------------------------- SGD


@functools.partial(jax.jit, static_argnames=("maximize", "weight_decay", "momentum", "nesterov"))
def sgd(params, grads, bufs, scal, *, maximize, weight_decay, momentum, nesterov):
    """scal: [weight_decay, momentum, 1 - dampening, -lr] (float64, cast per parameter like torch's Scalar)."""
    new_p, new_b = [], []
    for p, g, buf in zip(params, grads, bufs):
        dt = p.dtype
        if maximize:
            g = -g
        if weight_decay:
            g = _fma(_s(scal, 0, dt), p, g)
        if momentum:
            if buf is None:
                buf = g
            else:
                buf = _fma(_s(scal, 2, dt), g, _rounded(buf * _s(scal, 1, dt)))
            g = _fma(_s(scal, 1, dt), buf, g) if nesterov else buf
        new_p.append(_fma(_s(scal, 3, dt), g, p))
        new_b.append(buf)
    return tuple(new_p), tuple(new_b)


# ------------------------------------------------------------------------- Adam / AdamW


@functools.partial(jax.jit, static_argnames=("maximize", "weight_decay", "amsgrad", "lerp_small"))
def adam(params, grads, exp_avgs, exp_avg_sqs, max_sqs, steps, scal, *, maximize, weight_decay, amsgrad, lerp_small):
    """weight_decay: 0 (none), 1 (L2 into the gradient), 2 (decoupled, AdamW).
    scal[i]: [wd or (1 - lr*wd), 1 - beta1, beta2, 1 - beta2, bias_correction2 ** 0.5, eps, -step_size]."""
    out_p, out_m, out_v, out_vmax = [], [], [], []
    for i, (p, g, m, v) in enumerate(zip(params, grads, exp_avgs, exp_avg_sqs)):
        dt = p.dtype
        s = scal[i]
        if maximize:
            g = -g
        if weight_decay == 1:
            g = _fma(s[0].astype(dt), p, g)
        elif weight_decay == 2:
            p = _rounded(p * s[0].astype(dt))
        m = _lerp(m, g, s[1].astype(dt), lerp_small)
        v = _fma(s[3].astype(dt) * g, g, _rounded(v * s[2].astype(dt)))
        src = v
        vmax = None
        if amsgrad:
            vmax = jnp.maximum(max_sqs[i], v)
            src = vmax
        denom = _div_scalar(jnp.sqrt(src), s[4].astype(dt)) + s[5].astype(dt)
        p = (s[6].astype(dt) * m) / denom + p
        out_p.append(p)
        out_m.append(m)
        out_v.append(v)
        out_vmax.append(vmax)
    return tuple(out_p), tuple(out_m), tuple(out_v), tuple(out_vmax), _inc(steps)


# ------------------------------------------------------------------------- RMSprop


@functools.partial(jax.jit, static_argnames=("maximize", "weight_decay", "centered", "momentum", "lerp_small"))
def rmsprop(
    params, grads, square_avgs, grad_avgs, bufs, steps, scal, *, maximize, weight_decay, centered, momentum, lerp_small
):
    """scal: [weight_decay, alpha, 1 - alpha, eps, momentum, -lr]."""
    out_p, out_sq, out_ga, out_b = [], [], [], []
    for p, g, sq, ga, buf in zip(params, grads, square_avgs, grad_avgs, bufs):
        dt = p.dtype
        if maximize:
            g = -g
        if weight_decay:
            g = _fma(_s(scal, 0, dt), p, g)
        sq = _fma(_s(scal, 2, dt) * g, g, _rounded(sq * _s(scal, 1, dt)))
        if centered:
            ga = _lerp(ga, g, _s(scal, 2, dt), lerp_small)
            avg = jnp.sqrt(_fma(-ga, ga, sq))
        else:
            avg = jnp.sqrt(sq)
        avg = avg + _s(scal, 3, dt)
        if momentum:
            buf = _rounded(buf * _s(scal, 4, dt)) + g / avg
            p = _fma(_s(scal, 5, dt), buf, p)
        else:
            p = (_s(scal, 5, dt) * g) / avg + p
        out_p.append(p)
        out_sq.append(sq)
        out_ga.append(ga)
        out_b.append(buf)
    return tuple(out_p), tuple(out_sq), tuple(out_ga), tuple(out_b), _inc(steps)


# ------------------------------------------------------------------------- Adagrad


@functools.partial(jax.jit, static_argnames=("maximize", "weight_decay"))
def adagrad(params, grads, sums, steps, scal, *, maximize, weight_decay):
    """scal[i]: [weight_decay, eps, -clr]."""
    out_p, out_s = [], []
    for i, (p, g, sm) in enumerate(zip(params, grads, sums)):
        dt = p.dtype
        s = scal[i]
        if maximize:
            g = -g
        if weight_decay:
            g = _fma(s[0].astype(dt), p, g)
        sm = _fma(g, g, sm)
        std = jnp.sqrt(sm) + s[1].astype(dt)
        out_p.append((s[2].astype(dt) * g) / std + p)
        out_s.append(sm)
    return tuple(out_p), tuple(out_s), _inc(steps)
