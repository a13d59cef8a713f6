"""torch's remaining CPU samplers: bernoulli/exponential/geometric/cauchy/log_normal in place, and
normal's tensor overloads, bernoulli, multinomial and poisson (see ``_random`` for the conventions)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _distributions as K
from . import _dtype as D
from ._generator import Generator, _gen, _is_tensor
from .ops import _out

if TYPE_CHECKING:
    from ._tensor import Tensor

from ._random_util import (
    _C_NAMES,
    _FLOATS,
    _as_float,
    _as_int,
    _finish,
    _fmt,
    _inplace,
    _jax_normal,
    _layout,
    _normal_sampler,
    _not_implemented,
    _np_dtype,
    _parse_size,
    _resolve_dtype,
    _to_iteration,
    _type_word,
)

# ------------------------------------------------------------------------------------ other in-place


def bernoulli_(self, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """bernoulli_(float p) draws 53-bit uniforms; bernoulli_(Tensor p) compares 24-bit ones unless p is
    float64.  (torch on Intel CPUs draws bernoulli_(float) from MKL instead; this is the non-MKL path.)"""
    gen = _gen(generator, "bernoulli_")
    d = self.dtype
    if d.is_complex:
        raise _not_implemented("bernoulli_scalar_cpu_" if not _is_tensor(p) else "bernoulli_tensor_cpu_self_", d)
    if _is_tensor(p):
        return _bernoulli_tensor_(self, p, gen)
    pv = _as_float(p, "bernoulli_", "p")
    if not 0 <= pv <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_fmt(pv)}")
    if self.numel() == 0:
        return self
    return _inplace(
        self,
        gen,
        lambda n, npd, c: K.bernoulli_scalar_values(gen._eng, n, npd, pv),
        jax_sample=lambda key, shape, dt: jax.random.bernoulli(key, pv, shape).astype(dt),
    )


def _bernoulli_tensor_(self, p, gen: Generator):
    if not (p.dtype.is_floating_point):
        raise _not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
    shape = tuple(self.shape)
    try:
        pb = np.broadcast_to(np.asarray(p._value), shape)
    except ValueError:
        raise RuntimeError(
            f"The expanded size of the tensor ({shape[-1] if shape else 1}) must match the existing size "
            f"({p.shape[-1]}) at non-singleton dimension {len(shape) - 1}.  Target sizes: {list(shape)}.  "
            f"Tensor sizes: {list(p.shape)}"
        ) from None
    if self.numel() == 0:
        return self
    if gen._jax is not None:
        pj = jnp.broadcast_to(p._value, shape)
        return self._overwrite_(jax.random.bernoulli(gen._jax.next(), pj).astype(D._jnp_dtype(self.dtype)))
    contiguous, dims = _layout(self)
    p_iter = _to_iteration(pb, dims)
    with np.errstate(invalid="ignore"):
        bad = ~((p_iter >= 0) & (p_iter <= 1))
    first_bad = int(np.argmax(bad)) if bad.any() else None
    if first_bad is not None:  # torch checks each p as it goes: the draws before it are spent
        K.bernoulli_tensor_values(gen._eng, p_iter[:first_bad], np.dtype(np.float32))
        raise RuntimeError(
            "Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be "
            "improved?  If so, please report an enhancement request to PyTorch.)"
        )
    return _inplace(self, gen, lambda n, npd, c: K.bernoulli_tensor_values(gen._eng, p_iter, npd))


def _scalar_inplace(fname, check, kernel, jax_fn):
    def method(self, *args, generator: Generator | None = None, **kwargs):
        params = check(self.dtype, *args, **kwargs)
        gen = _gen(generator, fname)
        if self.numel() == 0:
            return self
        return _inplace(
            self,
            gen,
            lambda n, npd, c: kernel(gen._eng, n, npd, *params),
            jax_sample=lambda key, shape, dt: jax_fn(key, shape, dt, *params),
        )

    method.__name__ = method.__qualname__ = fname
    return method


def _check_exponential(d, lambd=1.0):
    lambd = _as_float(lambd, "exponential_", "lambd")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    if d._name not in _FLOATS:
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a floating "
            f"point but you specified {_type_word(d)}"
        )
    return (lambd,)


def _check_geometric(d, p):
    p = _as_float(p, "geometric_", "p")
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    if d.is_complex or d is D.bool:
        raise _not_implemented("geometric_cpu", d)
    return (p,)


def _check_cauchy(d, median=0.0, sigma=1.0):
    median, sigma = _as_float(median, "cauchy_", "median"), _as_float(sigma, "cauchy_", "sigma")
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_fmt(sigma)}")
    if d._name not in _FLOATS:
        raise RuntimeError(
            "Cauchy distribution is a continuous probability distribution. dtype must be a floating point "
            f"but you specified {_C_NAMES[d._name]}"
        )
    return median, sigma


def _check_log_normal(d, mean=1.0, std=2.0):
    mean, std = _as_float(mean, "log_normal_", "mean"), _as_float(std, "log_normal_", "std")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    if d._name not in _FLOATS:
        raise _not_implemented("log_normal_cpu", d)
    return mean, std


exponential_ = _scalar_inplace(
    "exponential_",
    _check_exponential,
    K.exponential_values,
    lambda key, shape, dt, lambd: (jax.random.exponential(key, shape, dt) / lambd).astype(dt),
)
geometric_ = _scalar_inplace(
    "geometric_",
    _check_geometric,
    K.geometric_values,
    lambda key, shape, dt, p: jax.random.geometric(key, p, shape).astype(dt),
)
cauchy_ = _scalar_inplace(
    "cauchy_",
    _check_cauchy,
    K.cauchy_values,
    lambda key, shape, dt, median, sigma: (jax.random.cauchy(key, shape, dt) * sigma + median).astype(dt),
)
log_normal_ = _scalar_inplace(
    "log_normal_",
    _check_log_normal,
    K.log_normal_values,
    lambda key, shape, dt, mean, std: jnp.exp(jax.random.normal(key, shape, dt) * std + mean).astype(dt),
)


# ------------------------------------------------------------------------------------------- normal


def _np_value(t) -> np.ndarray:
    return np.asarray(t._value)


def _inplace_binary(out: np.ndarray, out_d: D.dtype, other, op) -> np.ndarray:
    """``out.op_(other)`` with torch's promotion: compute in the common dtype, cast back."""
    dims, zeros = ([out_d], []) if out.ndim else ([], [out_d])
    if _is_tensor(other):
        (dims if other.dim() else zeros).append(other.dtype)
        common = D._result_type(dims, zeros, [])
        o = _np_value(other)
    else:
        common = D._result_type(dims, zeros, [other])
        o = other
    cnp = _np_dtype(common)
    res = op(out.astype(cnp), np.asarray(o).astype(cnp))
    return np.asarray(res).astype(_np_dtype(out_d))


def _check_std_tensor(std) -> None:
    if std.dtype.is_complex:
        raise RuntimeError("normal expects standard deviation to be non-complex")
    if std.numel() and not bool(np.all(_np_value(std) >= 0)):
        raise RuntimeError("normal expects all elements of std >= 0.0")


def _needs_grad(*xs) -> bool:
    return any(_is_tensor(x) and x.requires_grad for x in xs)


def normal(
    mean: Any = None,
    std: Any = None,
    size=None,
    *,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    pin_memory: bool = False,
    requires_grad: bool = False,
) -> Tensor:
    """normal(Tensor mean, Tensor std) / (Tensor mean, float std=1) / (float mean, Tensor std) /
    (float mean, float std, size).  The tensor forms draw ``normal_(0, std)`` or ``normal_(0, 1)``
    into the output, then ``mul_(std)`` / ``add_(mean)`` exactly as ATen's normal_out_impl."""
    gen = _gen(generator, "normal")
    mt, st = _is_tensor(mean), _is_tensor(std)
    if not mt and not st:
        if size is None or mean is None:
            raise TypeError(
                f"normal() received an invalid combination of arguments - got ({type(mean).__name__}, "
                f"{type(std).__name__}), but expected one of:"
            )
        m = _as_float(mean, "normal", "mean")
        s = 1.0 if std is None else _as_float(std, "normal", "std")
        shape = _parse_size("normal", (), size, pos=3)
        d = _resolve_dtype(dtype, out, D.get_default_dtype())
        sample = _normal_sampler(gen, d, m, s)
        if gen._jax is not None:
            value = _jax_normal(m, s)(gen._jax.next(), shape, D._jnp_dtype(d))
        else:
            value = sample(math.prod(shape), _np_dtype(d), True)
        return _finish(value, shape, out=out, device=device, requires_grad=requires_grad)
    if size is not None or dtype is not None:
        raise TypeError("normal() received an invalid combination of arguments")
    if mt and not st:
        s = 1.0 if std is None else _as_float(std, "normal", "std")
        if not s >= 0.0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(s)}")
        shape, d, dev = tuple(mean.shape), mean.dtype, mean.device
        eps = _draw_normal(gen, shape, d, 0.0, s)
        if _needs_grad(mean):
            return _finish_tensor(_compose(eps, d, None, mean), out)
        value = _inplace_binary(eps, d, mean, np.add)
    else:
        _check_std_tensor(std)
        if mt:
            shape = tuple(np.broadcast_shapes(tuple(mean.shape), tuple(std.shape)))
            d, dev = mean.dtype, mean.device
        else:
            m = _as_float(mean, "normal", "mean")
            shape, d, dev = tuple(std.shape), std.dtype, std.device
        eps = _draw_normal(gen, shape, d, 0.0, 1.0)
        if _needs_grad(mean, std):
            return _finish_tensor(_compose(eps, d, std, mean if mt else m), out)
        value = _inplace_binary(eps, d, std, np.multiply)
        if mt:
            value = _inplace_binary(value, d, mean, np.add)
        else:  # add_(full({}, mean, dtype)): the scalar is rounded to the output dtype first
            value = _inplace_binary(value, d, np.asarray(m).astype(_np_dtype(d))[()], np.add)
    return _finish(np.asarray(value), shape, out=out, device=None if out is not None else dev)


def _draw_normal(gen: Generator, shape, d: D.dtype, mean: float, std: float) -> np.ndarray:
    sample = _normal_sampler(gen, d, mean, std)
    n = math.prod(shape)
    if gen._jax is not None:
        return np.asarray(_jax_normal(mean, std)(gen._jax.next(), shape, D._jnp_dtype(d)))
    return sample(n, _np_dtype(d), True).reshape(shape)


def _compose(eps: np.ndarray, d: D.dtype, std, mean):
    """Differentiable form: the same values through torchish's own mul/add, so gradients flow."""
    from ._tensor import _wrap
    from .ops.pointwise import add, mul

    out = _wrap(jnp.asarray(eps))
    if std is not None:
        out = mul(out, std).to(d) if _is_tensor(std) else mul(out, std)
    out = add(out, mean)
    return out.to(d) if out.dtype is not d else out


def _finish_tensor(t, out):
    if out is None:
        return t
    return out._overwrite_(t._value)


# ---------------------------------------------------------------------------------------- bernoulli


def bernoulli(input, p: Any = None, *, generator: Generator | None = None, out=None) -> Tensor:
    """bernoulli(input): input holds the probabilities.
    bernoulli(input, p): ``empty_like(input).bernoulli_(p)``."""
    from ._tensor import _wrap

    gen = _gen(generator, "bernoulli")
    shape = tuple(input.shape)
    if out is not None:  # (ATen's bernoulli_out: out.resize_(shape).bernoulli_(...), in out's dtype)
        _out.check_out_grad("bernoulli", (input,), (out,))
        _out.resize_out(out, shape, warnings_given=0)
        result = out
    else:
        result = _wrap(jnp.zeros(shape, D._jnp_dtype(input.dtype)))
    if p is None:
        bernoulli_(result, input, generator=gen)
    else:
        bernoulli_(result, _as_float(p, "bernoulli", "p"), generator=gen)
    return result


# -------------------------------------------------------------------------------------- multinomial


def multinomial(
    input, num_samples: Any, replacement: bool = False, *, generator: Generator | None = None, out=None
) -> Tensor:
    n_sample = _as_int(num_samples, "multinomial", "num_samples", 2)
    gen = _gen(generator, "multinomial")
    if not 0 < input.dim() <= 2:
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {_type_word(input.dtype)}")
    if out is not None and out.dtype is not D.int64:
        raise RuntimeError(f"multinomial expects Long tensor out, got: {_type_word(out.dtype)}")
    if n_sample <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = input.shape[-1]
    if not replacement and n_sample > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_cat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    probs = _np_value(input).reshape(-1, n_cat)
    shape = (n_sample,) if input.dim() == 1 else (input.shape[0], n_sample)
    if math.prod(shape) == 0:
        value = np.zeros(shape, np.int64)
    elif gen._jax is not None:
        value = _jax_multinomial(gen._jax.next(), jnp.asarray(probs), n_sample, replacement).reshape(shape)
    else:
        value = K.multinomial_values(gen._eng, probs, n_sample, bool(replacement)).reshape(shape)
    return _finish(value, shape, out=out, device=input.device if out is None else None)


def _jax_multinomial(key, probs, n_sample, replacement):
    logits = jnp.log(probs.astype(jnp.float32))
    if replacement:
        return jax.random.categorical(key, logits, axis=-1, shape=(n_sample, probs.shape[0])).T
    g = jax.random.gumbel(key, probs.shape, jnp.float32)
    return jnp.argsort(-(logits + g), axis=-1)[:, :n_sample]


# ------------------------------------------------------------------------------------------ poisson


def poisson(input, generator: Generator | None = None) -> Tensor:
    gen = _gen(generator, "poisson")
    if input.dtype._name not in _FLOATS:
        raise _not_implemented("poisson_cpu", input.dtype)
    shape = tuple(input.shape)
    if gen._jax is not None:
        value = jax.random.poisson(gen._jax.next(), input._value, shape).astype(input._value.dtype)
        return _finish(value, shape, device=input.device)
    lam = _np_value(input).reshape(-1)
    samples, bad = K.poisson_values(gen._eng, lam)
    if bad is not None:
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return _finish(K.cast_double(samples, _np_dtype(input.dtype)), shape, device=input.device)
