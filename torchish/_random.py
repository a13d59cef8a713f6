"""torch's random API on torch's CPU stream: Generator, seeding/state, samplers, in-place methods.

Every sampler reproduces torch 2.13's CPU kernels bit for bit (see ``_distributions``), including
the order in which a kernel visits elements: torch fills a non-contiguous tensor in memory order,
and torchish views remember their base, so a view's memory layout is recovered from its base.
A Generator can instead be switched to a JAX key stream (``torchish.random.use_jax_keys``): fast
anywhere, not torch's numbers.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from . import _distributions as K
from . import _dtype as D
from ._generator import (
    Generator,
    _gen,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from ._random_dists import (
    bernoulli,
    bernoulli_,
    cauchy_,
    exponential_,
    geometric_,
    log_normal_,
    multinomial,
    normal,
    poisson,
)
from ._random_util import (
    _C_NAMES,
    _DIGITS,
    _FLOATS,
    _as_float,
    _as_int,
    _check_args,
    _finish,
    _inplace,
    _jax_normal,
    _jax_uniform,
    _like_layout,
    _normal_sampler,
    _not_implemented,
    _np_dtype,
    _parse_size,
    _resolve_dtype,
    _signatures,
    _to_logical,
    _uniform_sampler,
)

if TYPE_CHECKING:
    from ._tensor import Tensor

__all__ = [
    "Generator",
    "default_generator",
    "manual_seed",
    "seed",
    "initial_seed",
    "get_rng_state",
    "set_rng_state",
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
    "rand_like",
    "randn_like",
    "randint_like",
]


def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None, **kw) -> Tensor:
    lo = _as_float(kw.pop("from", from_), "uniform_", "from")
    hi = _as_float(to, "uniform_", "to")
    gen = _gen(generator, "uniform_")
    sample = _uniform_sampler(gen, self.dtype, lo, hi)
    return _inplace(self, gen, sample, jax_sample=_jax_uniform(lo, hi))


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    mean, std = _as_float(mean, "normal_", "mean"), _as_float(std, "normal_", "std")
    gen = _gen(generator, "normal_")
    sample = _normal_sampler(gen, self.dtype, mean, std)
    return _inplace(self, gen, sample, jax_sample=_jax_normal(mean, std))


_SIZE_SIGNATURES = _signatures("tuple of ints size")
_RANDINT_SIGNATURES = _signatures("int high, tuple of ints size", "int low, int high, tuple of ints size")


def _factory(fname, sampler, jax_fn, args, kw, generator, out, dtype, device, requires_grad) -> Tensor:
    options = {k: v for k, v in kw.items() if k != "names"}
    options.update(generator=generator, out=out, dtype=dtype, device=device, requires_grad=requires_grad)
    _check_args(fname, _SIZE_SIGNATURES, args, **options)
    shape = _parse_size(fname, args, kw.get("size"))
    d = _resolve_dtype(dtype, out, D.get_default_dtype())
    gen = _gen(generator, fname)
    sample = sampler(gen, d)
    if gen._jax is not None:
        value = jax_fn(gen._jax.next(), shape, D._jnp_dtype(d))
    else:
        value = sample(math.prod(shape), _np_dtype(d), True)
    return _finish(value, shape, out=out, device=device, requires_grad=requires_grad)


def rand(
    *size: Any,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    **kw: Any,
) -> Tensor:
    """Uniform on [0, 1): ``empty(size).uniform_()``."""
    sampler = lambda gen, d: _uniform_sampler(gen, d, 0.0, 1.0)  # noqa: E731
    return _factory("rand", sampler, _jax_uniform(0.0, 1.0), size, kw, generator, out, dtype, device, requires_grad)


def randn(
    *size: Any,
    generator: Generator | None = None,
    out: Tensor | None = None,
    dtype: D.dtype | None = None,
    device: Any = None,
    requires_grad: bool = False,
    **kw: Any,
) -> Tensor:
    """Standard normal: ``empty(size).normal_()``."""
    sampler = lambda gen, d: _normal_sampler(gen, d, 0.0, 1.0)  # noqa: E731
    return _factory("randn", sampler, _jax_normal(0.0, 1.0), size, kw, generator, out, dtype, device, requires_grad)


# ------------------------------------------------------------------------------------------ random_


def _update_from(name: str, frm: int) -> int:
    to_d = _cast_through(name, frm + 1)
    if to_d < frm:
        n = abs(frm + 1).bit_length() - 1
        frm = to_d + (1 << (n - _DIGITS[name] + 1))
    return frm


def _update_to(name: str, to: int) -> int:
    to_d = _cast_through(name, to - 1)
    if to_d >= to:
        n = abs(to - 1).bit_length() - 1
        to = to_d - (1 << (n - _DIGITS[name] + 1))
    return to


def _cast_through(name: str, v: int) -> int:
    """``static_cast<int64_t>(static_cast<scalar_t>(v))``."""
    x = np.array([v], np.int64)
    if name in ("float16", "bfloat16"):
        x = x.astype(np.float32)
    f = x.astype(_np_dtype(getattr(D, name)))
    with np.errstate(invalid="ignore", over="ignore"):
        return int(f.astype(np.float64)[0]) if np.isfinite(f.astype(np.float64)[0]) else v


def _check_in_range(d: D.dtype, frm: int, to_inc: int) -> None:
    tm = _C_NAMES[d._name]
    if d._name in _FLOATS:
        info = ml_dtypes.finfo(_np_dtype(d))
        mn, mx = float(info.min), float(info.max)
        if not mn <= frm <= mx:
            raise RuntimeError(f"from is out of bounds for {tm}")
        if not mn <= to_inc <= mx:
            raise RuntimeError(f"to - 1 is out of bounds for {tm}")
        digits = _DIGITS[d._name]
        for var, nm in ((frm, "from"), (to_inc, "to - 1")):
            if var < -(1 << digits) or var > (1 << digits):
                import warnings

                warnings.warn(
                    f"{nm} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision limitations {tm} "
                    "can support discrete uniform distribution only within this range. This warning will "
                    "become an error in version 1.7 release, please fix the code in advance",
                    UserWarning,
                    stacklevel=4,
                )
    elif d.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    else:
        if d is D.bool:
            mn, mx = 0, 1
        else:
            info = np.iinfo(_np_dtype(d))
            mn, mx = int(info.min), int(info.max)
        if not mn <= frm <= mx:
            raise RuntimeError(f"from is out of bounds for {tm}")
        if not mn <= to_inc <= mx:
            raise RuntimeError(f"to - 1 is out of bounds for {tm}")


def _random_sampler(gen: Generator, d: D.dtype, frm: int | None, to: int | None):
    """random_(), random_(to), random_(from, to), random_(from, None): range checks happen first."""
    eng = gen._eng
    if frm is None and to is None:
        if d.is_complex:
            raise _not_implemented("random_kernel_cpu", d)
        return lambda n, npd, c: K.random_values(eng, n, npd), (0, None)
    frm = 0 if frm is None else frm
    if to is not None:
        if not frm < to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={frm} >= to={to}")
        if d._name in _FLOATS:
            frm, to = _update_from(d._name, frm), _update_to(d._name, to)
            if not frm < to:
                raise RuntimeError(
                    f"random_ expects 'from' casted to dtype to be less than 'to' casted to dtype, but got "
                    f"from={frm} >= to={to}"
                )
        _check_in_range(d, frm, to - 1)
        rng = (to - frm) & 0xFFFFFFFFFFFFFFFF
        return lambda n, npd, c: K.random_from_to_values(eng, n, npd, rng, frm), (frm, to)
    if frm == -(2**63):

        def full_range(n, npd, c):
            # checked only once the tensor is known to be non-empty, as torch's kernel does
            if d is D.float16 or d is D.bool or d.is_complex:
                raise _not_implemented("random_full_64_bits_range_kernel_cpu", d)
            if d._name not in ("int64", "float64", "float32", "bfloat16"):
                raise RuntimeError(
                    "random_full_64_bits_range_kernel_cpu handles only int64, double, float and bfloat16"
                )
            return K.random_full_range_values(eng, n, npd)

        return full_range, (frm, None)
    if d._name in _FLOATS:
        to_inc = min(1 << _DIGITS[d._name], 2**63 - 1)
        frm = _update_from(d._name, frm)
        if not frm < to_inc:
            raise RuntimeError(
                "random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted to "
                f"dtype, but got from={frm} > to_inc={to_inc}"
            )
    elif d.is_complex:
        raise RuntimeError("random_from_to_impl handles only integral, floating-point and boolean types")
    else:
        to_inc = 1 if d is D.bool else int(np.iinfo(_np_dtype(d)).max)
    _check_in_range(d, frm, to_inc)
    rng = (to_inc - frm + 1) & 0xFFFFFFFFFFFFFFFF
    return lambda n, npd, c: K.random_from_to_values(eng, n, npd, rng, frm), (frm, to_inc + 1)


def _jax_randint(lo, hi):
    def f(key, shape, dt):
        if jnp.issubdtype(dt, jnp.floating) or dt == jnp.bool_:
            return jax.random.randint(key, shape, lo, hi, jnp.int64).astype(dt)
        return jax.random.randint(key, shape, lo, hi, dt)

    return f


def _jax_random_plain(key, shape, dt):
    if jnp.issubdtype(dt, jnp.floating):
        bits = {jnp.dtype(jnp.float64): 53, jnp.dtype(jnp.float32): 24, jnp.dtype(jnp.float16): 11}.get(
            jnp.dtype(dt), 8
        )
        return jax.random.randint(key, shape, 0, (1 << bits) + 1, jnp.int64).astype(dt)
    if dt == jnp.bool_:
        return jax.random.bernoulli(key, 0.5, shape)
    top = jnp.iinfo(dt).max
    return (jax.random.bits(key, shape, jnp.uint64) % np.uint64(int(top) + 1)).astype(dt)


def random_(self, *args: Any, generator: Generator | None = None, **kw: Any) -> Tensor:
    """random_(), random_(to), random_(from, to) and random_(from, None), as torch's overloads."""
    if len(args) > 2 or set(kw) - {"from", "to"}:
        raise TypeError("random_() received an invalid combination of arguments")
    if len(args) == 2 or "from" in kw or (len(args) == 1 and "to" in kw):
        if len(args) == 2:
            frm, to = args
        elif len(args) == 1:
            frm, to = args[0], kw["to"]
        else:
            if "to" not in kw:
                raise TypeError("random_() missing required argument 'to'")
            frm, to = kw["from"], kw["to"]
        frm = _as_int(frm, "random_", "from", 1)
        to = None if to is None else _as_int(to, "random_", "to", 2)
    elif args or "to" in kw:
        frm, to = 0, _as_int(args[0] if args else kw["to"], "random_", "to", 1)
    else:
        frm = to = None
    gen = _gen(generator, "random_")
    sample, (lo, hi) = _random_sampler(gen, self.dtype, frm, to)
    if self.numel() == 0:
        return self
    if frm is None and to is None:
        jax_fn = _jax_random_plain
    else:
        jax_fn = _jax_randint(lo, hi if hi is not None else 2**63 - 1)
    return _inplace(self, gen, sample, jax_sample=jax_fn)


def randint(
    *args,
    size=None,
    generator=None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad=False,
    pin_memory=False,
    low=None,
    high=None,
) -> Tensor:
    """randint(high, size) / randint(low, high, size): ``empty(size, dtype=int64).random_(low, high)``."""
    params = _check_args(
        "randint", _RANDINT_SIGNATURES, args, low=low, high=high, size=size, generator=generator, out=out,
        dtype=dtype, layout=layout, device=device, requires_grad=requires_grad, pin_memory=pin_memory,
    )  # fmt: skip
    given = {name: v for (_, name, _), v in zip(params, args)}  # (the overload's positional parameters)
    low, high, size = given.get("low", low), given.get("high", high), given.get("size", size)
    has_low = low is not None
    low = 0 if low is None else low
    lo = _as_int(low, "randint", "low", 1)
    hi = _as_int(high, "randint", "high", 2 if has_low else 1)
    shape = _parse_size("randint", (), size, pos=3 if has_low else 2)
    d = _resolve_dtype(dtype, out, D.int64)
    gen = _gen(generator, "randint")
    sample, (flo, fhi) = _random_sampler(gen, d, lo, hi)
    if gen._jax is not None:
        value = _jax_randint(flo, fhi)(gen._jax.next(), shape, D._jnp_dtype(d))
    else:
        value = sample(math.prod(shape), _np_dtype(d), True)
    return _finish(value, shape, out=out, device=device, requires_grad=requires_grad)


# ----------------------------------------------------------------------------------------- factories


def randperm(
    *args: Any,
    generator: Generator | None = None,
    out=None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    pin_memory: bool = False,
    **n: Any,
) -> Tensor:
    """randperm(n): Fisher-Yates over ``random() % (n - i)``, as ATen's randperm_cpu."""
    _check_args(
        "randperm", _signatures("int n"), args, generator=generator, out=out, dtype=dtype, layout=layout,
        device=device, requires_grad=requires_grad, pin_memory=pin_memory, **n,
    )  # fmt: skip
    n = args[0] if args else n["n"]
    n = _as_int(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    d = _resolve_dtype(dtype, out, D.int64)
    gen = _gen(generator, "randperm")
    if d.is_complex or d is D.bool:
        raise _not_implemented("randperm", d)
    if d is D.float16 and n > 2049:
        raise RuntimeError("n cannot be greater than 2049 for Half type.")
    if d is D.float32 and n > (1 << 24) + 1:
        raise RuntimeError("n cannot be greater than 2^24+1 for Float type.")
    if d._name in ("int8", "uint8", "int16", "int32") and n - 1 > np.iinfo(_np_dtype(d)).max:
        ctype = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int"}[d._name]
        raise RuntimeError(f"value cannot be converted to type {ctype} without overflow")
    if gen._jax is not None:
        value = jax.random.permutation(gen._jax.next(), n).astype(D._jnp_dtype(d))
    else:
        value = K.randperm_values(gen._eng, n).astype(_np_dtype(d))
    return _finish(value, (n,), out=out, device=device, requires_grad=requires_grad)


def _like(fname, input, dtype, device, requires_grad):
    d = input.dtype if dtype is None else dtype
    return d, (device if device is not None else input.device), _like_layout(input)


def _like_fill(input, d, dev, layout, requires_grad, gen, sample, jax_fn):
    shape = tuple(input.shape)
    if gen._jax is not None:
        value = jax_fn(gen._jax.next(), shape, D._jnp_dtype(d))
    else:
        contiguous, dims = layout
        value = _to_logical(sample(math.prod(shape), _np_dtype(d), contiguous), shape, dims)
    from .ops.views import _laid_out_like

    return _laid_out_like(_finish(value, shape, device=dev, requires_grad=requires_grad), input)


def rand_like(
    input,
    *,
    generator: Generator | None = None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    d, dev, lay = _like("rand_like", input, dtype, device, requires_grad)
    gen = _gen(generator, "rand_like")
    return _like_fill(
        input, d, dev, lay, requires_grad, gen, _uniform_sampler(gen, d, 0.0, 1.0), _jax_uniform(0.0, 1.0)
    )


def randn_like(
    input,
    *,
    generator: Generator | None = None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    d, dev, lay = _like("randn_like", input, dtype, device, requires_grad)
    gen = _gen(generator, "randn_like")
    return _like_fill(input, d, dev, lay, requires_grad, gen, _normal_sampler(gen, d, 0.0, 1.0), _jax_normal(0.0, 1.0))


def randint_like(
    input,
    *args: Any,
    low: Any = None,
    high: Any = None,
    generator: Generator | None = None,
    dtype=None,
    layout=None,
    device=None,
    requires_grad: bool = False,
    memory_format=None,
) -> Tensor:
    """randint_like(input, high) / randint_like(input, low, high)."""
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif len(args) > 2:
        raise TypeError("randint_like() received an invalid combination of arguments")
    if high is None:
        raise TypeError("randint_like() missing required argument 'high'")
    lo = 0 if low is None else _as_int(low, "randint_like", "low", 2)
    hi = _as_int(high, "randint_like", "high", 3 if low is not None else 2)
    d, dev, lay = _like("randint_like", input, dtype, device, requires_grad)
    gen = _gen(generator, "randint_like")
    sample, (flo, fhi) = _random_sampler(gen, d, lo, hi)
    return _like_fill(input, d, dev, lay, requires_grad, gen, sample, _jax_randint(flo, fhi))


# --------------------------------------------------------------------------------- Tensor methods


def _bernoulli_method(self, p: Any = None, *, generator: Generator | None = None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples: Any, replacement: bool = False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


_bernoulli_method.__name__ = "bernoulli"
_multinomial_method.__name__ = "multinomial"

TENSOR_METHODS = {
    "uniform_": uniform_,
    "normal_": normal_,
    "random_": random_,
    "bernoulli_": bernoulli_,
    "exponential_": exponential_,
    "geometric_": geometric_,
    "cauchy_": cauchy_,
    "log_normal_": log_normal_,
    "bernoulli": _bernoulli_method,
    "multinomial": _multinomial_method,
}


def _quiet(fn):
    """numpy warns on the float->int casts and infinities torch's kernels produce silently."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)

    return run


for _name in (
    "rand",
    "randn",
    "randint",
    "randperm",
    "normal",
    "bernoulli",
    "multinomial",
    "poisson",
    "rand_like",
    "randn_like",
    "randint_like",
):
    globals()[_name] = _quiet(globals()[_name])
TENSOR_METHODS = {name: _quiet(fn) for name, fn in TENSOR_METHODS.items()}
