"""Building blocks of torch's derivative formulas, each one named call: a create_graph history then has torch's
node for it (MaskedFillBackward0, UnsqueezeBackward0, MeanBackward0) rather than a node per JAX equation of it.
autograd/lowering.py's _TORCH_CALLS names them."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp


def named_call(name: str, fn, static_argnums=()):
    """fn jitted as a call named `name` (what a jaxpr's pjit equation carries)."""

    def call(*args):
        return fn(*args)

    call.__name__ = call.__qualname__ = name
    return jax.jit(call, static_argnums=static_argnums)


def _masked_fill(input, mask, value):
    return jnp.where(mask, jnp.asarray(value, input.dtype), input)


def _unsqueeze(input, dim):
    return jnp.expand_dims(input, dim)


masked_fill = named_call("masked_fill", _masked_fill, static_argnums=2)


@jax.custom_jvp
def torch_rsqrt(x):
    """torch's CPU rsqrt: 1 divided by the correctly rounded sqrt. (XLA rounds its rsqrt once, otherwise, and
    rewrites 1 / sqrt(x) into it: the barrier keeps the two steps.)"""
    return 1 / jax.lax.optimization_barrier(jnp.sqrt(x))


@torch_rsqrt.defjvp
def _torch_rsqrt_jvp(primals, tangents):
    y = torch_rsqrt(primals[0])
    return y, -0.5 * tangents[0] * y**3  # (torch's rsqrt derivative, and no barrier for JAX to differentiate)


@functools.partial(jax.custom_jvp, nondiff_argnums=(1,))
def torch_pow(x, e):
    """x ** e for a Python number e as torch's pow_tensor_scalar kernel computes it on floats: sqrt, 1/sqrt,
    reciprocal, products for 2, 3 and -2 (JAX's -2 is (1/x) ** 2), pow otherwise."""
    if not jnp.issubdtype(x.dtype, jnp.inexact) or isinstance(e, complex):
        return jnp.power(x, e)
    special = {0.5: jnp.sqrt, -0.5: torch_rsqrt, -1.0: torch_reciprocal, 2.0: lambda v: v * v}
    if e in special:
        return special[e](x)
    if jnp.issubdtype(x.dtype, jnp.floating) and e in (3.0, -2.0):
        return x * x * x if e == 3.0 else 1 / (x * x)
    return jnp.power(x, e)


@torch_pow.defjvp
def _torch_pow_jvp(e, primals, tangents):
    # torch's pow_backward: 0 for a 0 exponent, else grad * (e * x.pow(e - 1)), each pow a PowBackward0 node
    (x,), (t,) = primals, tangents
    y = torch_pow(x, e)
    return y, jnp.zeros_like(y) if e == 0 else t * (e * power(x, e - 1))


@jax.custom_jvp
def torch_reciprocal(x):
    return 1 / x


@torch_reciprocal.defjvp
def _torch_reciprocal_jvp(primals, tangents):
    y = torch_reciprocal(primals[0])
    return y, -tangents[0] * (y * y)  # (torch's: -grad * (result * result))


@jax.custom_jvp
def torch_xlogy(x, y):
    """torch's xlogy: x * log(y), 0 where x is 0 unless y is nan."""
    return jnp.where(jnp.isnan(y), jnp.nan, jax.scipy.special.xlogy(x, y))


@torch_xlogy.defjvp
def _torch_xlogy_jvp(primals, tangents):
    # torch's formulas: xlogy(grad, other) masked to 0 where self == 0 and other <= 0, and grad * self / other
    (x, y), (tx, ty) = primals, tangents
    out = torch_xlogy(x, y)
    t_self = jnp.where((x == 0) & (y <= 0), jnp.zeros_like(out), xlogy(tx, y))
    return out, t_self + ty * x / y


@jax.custom_jvp
def torch_div(a, b):
    """torch's true division, with its derivative formulas."""
    # the barrier, after the broadcast, stops XLA from turning `x / broadcast(s)` into `x * broadcast(1 / s)`,
    # which rounds differently from torch's division (0.73046875 / 0.73046875 would not be 1 in float64)
    shape = jnp.broadcast_shapes(jnp.shape(a), jnp.shape(b))
    if jnp.shape(b) != shape:
        b = jnp.broadcast_to(jnp.asarray(b, jnp.result_type(a, b)), shape)
    return a / jax.lax.optimization_barrier(b)


@torch_div.defjvp
def _torch_div_jvp(primals, tangents):
    # torch's formulas: grad / other, and -grad * ((self / other) / other), which stays finite where
    # other**2 would underflow (JAX's quotient rule divides by other**2)
    (a, b), (ta, tb) = primals, tangents
    out = torch_div(a, b)
    # (an integer operand's tangent is float0: it has no term)
    t_self = torch_div(ta, b) if jnp.issubdtype(a.dtype, jnp.inexact) else None
    t_other = None
    if jnp.issubdtype(b.dtype, jnp.inexact):
        # (a barrier, or XLA folds (self / other) / other back into self / (other * other))
        t_other = tb * torch_div(jax.lax.optimization_barrier(out), b)
    if t_other is None:
        return out, jnp.broadcast_to(t_self, out.shape)
    return out, jnp.broadcast_to(-t_other if t_self is None else t_self - t_other, out.shape)


# the same in a formula: one PowBackward0 / RsqrtBackward0 / ... node in a create_graph history
power = named_call("pow", torch_pow, static_argnums=1)
rsqrt = named_call("rsqrt", torch_rsqrt)
reciprocal = named_call("reciprocal", torch_reciprocal)
xlogy = named_call("xlogy", torch_xlogy)
div = named_call("div", torch_div)
# torch's grad.t() / grad.transpose(d0, d1) in a formula (TBackward0 / TransposeBackward0 nodes)
t = named_call("t", lambda m: m.T)
clone = named_call("clone", lambda m: m)
view = named_call("view", lambda m, shape: m.reshape(shape), static_argnums=1)  # (a ViewBackward0 for any shape)
permute = named_call("permute", lambda m, dims: jnp.transpose(m, dims), static_argnums=1)
transpose = named_call("transpose", lambda m, d0, d1: jnp.swapaxes(m, d0, d1) if m.ndim else m, static_argnums=(1, 2))
unsqueeze = named_call("unsqueeze", _unsqueeze, static_argnums=1)


def sum_to(g, shape):
    """torch's sum_to (the engine's reduction of a broadcast input's gradient): a keepdim sum over the broadcast
    dims, viewed without the leading ones; to a 0-dim shape, sum()."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    if not shape:
        return jnp.sum(g)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + d for d, n in enumerate(shape) if n == 1 and g.shape[lead + d] != 1)
    return jnp.sum(g, axis=axes, keepdims=True).reshape(shape)


def unsqueeze_multiple(t, dims):
    """torch's unsqueeze_multiple: one unsqueeze per dim, in increasing order."""
    for d in sorted(dims):
        t = unsqueeze(t, d)
    return t


# torch's gradients of the ops that select elements: the incoming gradient written into zeros by the inverse op
def positions(index, dim):
    """The full index of the elements index addresses along dim (the other dims by their own position): what
    gather reads and scatter writes."""
    at = list(jnp.indices(index.shape, sparse=True))
    at[dim] = index
    return tuple(at)


def flat_positions(index, n):
    """take / put's index into the flattened tensor of n elements, negative ones counted from the end."""
    flat = index.reshape(-1)
    return jnp.where(flat < 0, flat + n, flat)


def _index_add(self, index, source, dim):
    if not self.ndim:
        return self + jnp.sum(source)
    return self.at[(slice(None),) * dim + (index,)].add(source)


def _scatter(accumulate):
    def scatter(self, index, src, dim):
        if not self.ndim:
            return self + jnp.sum(src) if accumulate else jnp.reshape(src, (-1,))[-1] if src.size else self
        at = self.at[positions(index, dim)]
        return at.add(src) if accumulate else at.set(src)

    return scatter


def _put(self, index, source):
    return self.reshape(-1).at[flat_positions(index, self.size)].add(source.reshape(-1)).reshape(self.shape)


index_add = named_call("index_add", _index_add, static_argnums=3)
scatter_add = named_call("scatter_add", _scatter(True), static_argnums=3)
scatter = named_call("scatter", _scatter(False), static_argnums=3)
put = named_call("put", _put)


# torch's gradients of the ops that move elements: the same op, undoing the move
roll = named_call("roll", lambda g, shifts, dims: jnp.roll(g, shifts, dims), static_argnums=(1, 2))
tril = named_call("tril", jnp.tril, static_argnums=1)
triu = named_call("triu", jnp.triu, static_argnums=1)
constant_pad_nd = named_call(
    "constant_pad_nd", lambda g, cfg: jax.lax.pad(g, jnp.zeros((), g.dtype), cfg), static_argnums=1
)


# the type torch's CPU kernels accumulate a tensor of this type in (at::acc_type): double for float
_ACCUMULATE = {
    jnp.dtype("float32"): jnp.float64,
    jnp.dtype("float16"): jnp.float32,
    jnp.dtype("bfloat16"): jnp.float32,
    jnp.dtype("complex64"): jnp.complex128,
}


def cumulative(x, axis, combine):
    """torch's CPU cumsum / cumprod kernel (combine: jnp.add / jnp.multiply): one running value per line, kept
    in the accumulate type, each step rounded to the tensor's dtype. (XLA's scans combine partial results in
    a tree, which rounds otherwise; integers come out the same either way.)"""
    if not jnp.issubdtype(x.dtype, jnp.inexact) or x.shape[axis] <= 1:
        return (jnp.cumsum if combine is jnp.add else jnp.cumprod)(x, axis=axis)
    lines = jnp.moveaxis(x, axis, 0).astype(_ACCUMULATE.get(x.dtype, x.dtype))

    def step(running, value):
        running = combine(running, value)
        return running, running.astype(x.dtype)

    _, rest = jax.lax.scan(step, lines[0], lines[1:], unroll=8)
    return jnp.moveaxis(jnp.concatenate([lines[:1].astype(x.dtype), rest]), 0, axis)


cumsum = named_call("cumsum", lambda g, dim: cumulative(g, dim, jnp.add), static_argnums=1)
cumprod = named_call("cumprod", lambda t, dim: cumulative(t, dim, jnp.multiply), static_argnums=1)


def cumsum_backward(g, dim):
    """torch's cumsum_backward: grad.flip(dim).cumsum(dim).flip(dim) (FlipBackward0, CumsumBackward0, FlipBackward0)."""
    return jnp.flip(cumsum(jnp.flip(g, dim), dim), dim)


def _masked_scatter(self, mask, source):
    (at,) = jnp.nonzero(jnp.broadcast_to(mask, self.shape).reshape(-1), size=source.size)
    return self.reshape(-1).at[at].set(source.reshape(-1)).reshape(self.shape)


masked_scatter = named_call("masked_scatter", _masked_scatter)
