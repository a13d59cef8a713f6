"""One recurrent layer (both directions) as a single op: a lax.scan over time, differentiated by JAX.

The cell arithmetic follows ATen's CPU RNN (aten/src/ATen/native/RNN.cpp): the input projection
x W_ih^T + b_ih is computed for the whole sequence first, then each step adds h W_hh^T + b_hh.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from . import _registry as R
from ._registry import SAME


def _linear(x, w, b):
    y = jnp.matmul(x, w.T)
    return y + b if b is not None else y


def _step_fn(mode, w_hh, b_hh, w_hr):
    def step(carry, gi):
        if mode == "LSTM":
            h, c = carry
            gates = _linear(h, w_hh, b_hh) + gi
            i, f, g, o = jnp.split(gates, 4, axis=-1)
            i, f, g, o = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jnp.tanh(g), jax.nn.sigmoid(o)
            c = f * c + i * g
            h = o * jnp.tanh(c)
            if w_hr is not None:
                h = jnp.matmul(h, w_hr.T)
            return (h, c), h
        h = carry
        if mode == "GRU":
            gh = _linear(h, w_hh, b_hh)
            ir, iz, in_ = jnp.split(gi, 3, axis=-1)
            hr, hz, hn = jnp.split(gh, 3, axis=-1)
            r = jax.nn.sigmoid(hr + ir)
            z = jax.nn.sigmoid(hz + iz)
            n = jnp.tanh(in_ + hn * r)
            h = (h - n) * z + n
        else:
            pre = gi + _linear(h, w_hh, b_hh)
            h = jnp.tanh(pre) if mode == "RNN_TANH" else jnp.maximum(pre, 0)
        return h, h

    return step


def _direction(mode, x, h0, c0, ws, has_bias, has_proj, reverse):
    it = iter(ws)
    w_ih, w_hh = next(it), next(it)
    b_ih, b_hh = (next(it), next(it)) if has_bias else (None, None)
    w_hr = next(it) if has_proj else None
    gi = _linear(x, w_ih, b_ih)
    if reverse:
        gi = jnp.flip(gi, 0)
    carry = (h0, c0) if mode == "LSTM" else h0
    carry, out = jax.lax.scan(_step_fn(mode, w_hh, b_hh, w_hr), carry, gi)
    if reverse:
        out = jnp.flip(out, 0)
    return out, carry


def _layer_name(params, args):
    # ATen concatenates the two directions; a plain LSTM layer runs on oneDNN; the rest stack the steps
    if params["bidirectional"]:
        return "CatBackward0"
    if params["mode"] == "LSTM" and not params["has_proj"]:
        return "MkldnnRnnLayerBackward0"
    return "StackBackward0"


@R.op("_rnn_layer", promote=SAME, varargs=True, method=False, n_out=3, grad_name=_layer_name)
def _rnn_layer(tensors, mode, bidirectional, has_bias, has_proj):
    """tensors: x (T, B, I), h0 (D, B, Hr), c0 (D, B, H) or None, then each direction's weights.
    Returns (output (T, B, D*Hr), h_n (D, B, Hr), c_n (D, B, H) or h_n again)."""
    x, h0, c0, *ws = tensors
    per_dir = 2 + 2 * has_bias + has_proj
    outs, hs, cs = [], [], []
    for d in range(2 if bidirectional else 1):
        out, carry = _direction(
            mode,
            x,
            h0[d],
            None if c0 is None else c0[d],
            ws[d * per_dir : (d + 1) * per_dir],
            has_bias,
            has_proj,
            d == 1,
        )
        outs.append(out)
        if mode == "LSTM":
            hs.append(carry[0])
            cs.append(carry[1])
        else:
            hs.append(carry)
    h_n = jnp.stack(hs)
    return jnp.concatenate(outs, -1), h_n, jnp.stack(cs) if cs else h_n


@R.op("_rnn_transpose01", promote=SAME, method=False, grad_name="TransposeBackward1")
def _rnn_transpose01(input):
    """The batch_first output transpose of RNN/GRU, which ATen does in place (TransposeBackward1)."""
    return jnp.swapaxes(input, 0, 1)
