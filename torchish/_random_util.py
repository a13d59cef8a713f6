"""Shared machinery of torchish's samplers: argument parsing, output wrapping, torch's memory layout of
views, and the in-place fill used by every kernel."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np

from . import _distributions as K
from . import _dtype as D
from ._generator import Generator, _is_tensor
from .ops._argparse import MISSING, check_overloads, int_list, int_list_param, nonnegative_size
from .ops._registry import _C_NAMES, _type_word

_FLOATS = ("float16", "bfloat16", "float32", "float64")
_DIGITS = {"float16": 11, "bfloat16": 8, "float32": 24, "float64": 53}


def _np_dtype(d: D.dtype) -> np.dtype:
    return D._to_np(d)


def _fmt(x: float) -> str:
    """A double as C++'s ostream prints it (what torch's error messages contain)."""
    return f"{x:g}"


def _not_implemented(kernel: str, d: D.dtype):
    return NotImplementedError(f"\"{kernel}\" not implemented for '{_type_word(d)}'")


# ------------------------------------------------------------------------------- argument parsing


def _as_int(x, fname: str, name: str, pos: int) -> int:
    if _is_tensor(x) and not (x.dtype.is_floating_point or x.dtype.is_complex) and x.numel() == 1:
        return int(x.item())
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not {type(x).__name__}")
    return int(x)


def _as_float(x, fname: str, name: str) -> float:
    if _is_tensor(x):
        if x.numel() != 1:
            raise TypeError(f"{fname}(): argument '{name}' must be float, not Tensor")
        return float(x.item())
    if not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{fname}(): argument '{name}' must be float, not {type(x).__name__}")
    return float(x)


def _parse_size(fname: str, args: tuple, size, pos: int | None = None) -> tuple[int, ...]:
    """The size of a random factory: varargs or one sequence (or `size=`); pos: a sequence at that position."""
    if pos is not None:
        return nonnegative_size(fname, int_list(fname, "size", size, pos))
    return nonnegative_size(fname, int_list_param(fname, "size", args, MISSING if size is None else size))


_FACTORY_TAIL = (
    "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
    "bool pin_memory = False, bool requires_grad = False"
)


def _signatures(*leads: str) -> tuple[str, ...]:
    """A random factory's overloads in torch's words: each lead with and without a generator."""
    return tuple(
        s
        for lead in leads
        for s in (f"{lead}, *, torch.Generator generator, {_FACTORY_TAIL}", f"{lead}, *, {_FACTORY_TAIL}")
    )


def _check_args(fname: str, signatures: tuple[str, ...], args: tuple, **kwargs) -> list:
    """torch's arg parser over a random factory's overloads (kwargs: the options given, defaults dropped): the
    parameters (type, name, required) of the overload that took the call."""
    given = {
        k: v for k, v in kwargs.items() if v is not None and not (k in ("requires_grad", "pin_memory") and v is False)
    }
    return check_overloads(fname, signatures, args, given)


def _resolve_dtype(dtype, out, default: D.dtype) -> D.dtype:
    if out is not None:
        if dtype is not None and dtype is not out.dtype:
            raise RuntimeError(
                f"dtype {_type_word(dtype)} does not match dtype of out parameter ({_type_word(out.dtype)})"
            )
        return out.dtype
    return default if dtype is None else dtype


def _check_grad(requires_grad: bool, d: D.dtype) -> None:
    if requires_grad and not (d.is_floating_point or d.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")


def _place(value, device):
    if isinstance(value, jax.Array) and device is None:
        return value
    from ._device import _jax_device

    dev = _jax_device(device)
    return jax.device_put(value, dev) if dev is not None else jnp.asarray(value)


def _finish(value, shape, *, out=None, device=None, requires_grad=False):
    """Wrap a freshly sampled array as a new leaf, or write it into ``out``."""
    from ._tensor import _wrap

    value = _place(value.reshape(shape), device)
    # torch sets requires_grad on the finished tensor: the numbers are drawn before this fails
    if requires_grad and not (value.dtype.kind in "fc" or value.dtype == D.bfloat16._np):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    if out is None:
        return _wrap(value, bool(requires_grad))
    if tuple(out.shape) != tuple(shape):
        # torch's *_out factories resize ``out`` silently; without Tensor.resize_ we rebind its array
        if hasattr(out, "resize_"):
            out.resize_(shape)
        else:
            out._value = jnp.zeros(shape, out._value.dtype)
    return out._overwrite_(value)


# ----------------------------------------------------------------------------------- memory layout


def _strides(t) -> tuple[int, ...] | None:
    """torch's strides for t, recovered from its view chain (torchish bases are contiguous)."""
    if t._base is None:
        return None
    try:
        from .ops.views import _flat_index

        offs = np.asarray(_flat_index(t._base._value, t._view_fn)).reshape(tuple(t.shape))
    except Exception:  # a view kernel that cannot map indices: assume the logical layout
        return None
    if offs.size <= 1:
        return None
    st = []
    for d, n in enumerate(offs.shape):
        if n > 1:
            idx = [0] * offs.ndim
            idx[d] = 1
            st.append(int(offs[tuple(idx)] - offs[(0,) * offs.ndim]))
        else:
            st.append(0)
    return tuple(st)


def _order(shape, strides) -> tuple[bool, list[int] | None]:
    """(is_contiguous, outer-to-inner dims in TensorIterator's visiting order, or None for C order)."""
    if strides is None:
        return True, None
    expect, contiguous = 1, True
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1:
            if s != expect:
                contiguous = False
            expect *= n
    if contiguous:
        return True, None
    dims = sorted(range(len(shape)), key=lambda d: (strides[d] if shape[d] > 1 else 0, shape[d], d), reverse=True)
    return False, dims


def _layout(t):
    return _order(tuple(t.shape), _strides(t))


def _like_layout(t):
    """empty_like(preserve_format): a dense, non-overlapping input's strides are kept."""
    st = _strides(t)
    if st is None:
        return True, None
    dims = sorted((d for d in range(t.dim()) if t.shape[d] > 1), key=lambda d: st[d])
    expect = 1
    for d in dims:
        if st[d] != expect:
            return True, None
        expect *= t.shape[d]
    return _order(tuple(t.shape), st)


def _to_logical(flat: np.ndarray, shape, dims) -> np.ndarray:
    if dims is None:
        return flat.reshape(shape)
    return flat.reshape([shape[d] for d in dims]).transpose(np.argsort(dims))


def _to_iteration(a: np.ndarray, dims) -> np.ndarray:
    return a.reshape(-1) if dims is None else a.transpose(dims).reshape(-1)


# -------------------------------------------------------------------------------------- fill core


def _real_of(d: D.dtype) -> D.dtype:
    return D.float32 if d is D.complex64 else D.float64


def _inplace(t, gen: Generator, sample, *, jax_sample=None):
    """Run ``sample(n, np_dtype, contiguous)`` -> values in iteration order, and write them into t."""
    shape = tuple(t.shape)
    if gen._jax is not None and jax_sample is not None:
        return t._overwrite_(jax_sample(gen._jax.next(), shape, D._jnp_dtype(t.dtype)))
    contiguous, dims = _layout(t)
    saved = gen._eng.clone() if t.requires_grad else None
    flat = sample(math.prod(shape), _np_dtype(t.dtype), contiguous)
    value = jnp.asarray(_to_logical(flat, shape, dims))
    try:
        return t._overwrite_(value)
    except Exception:
        if saved is not None:  # torch refuses before drawing anything
            gen._eng.restore(saved)
        raise


def _complex_view(d: D.dtype, sample):
    """A complex tensor is sampled through its real view (shape + (2,), numel doubled)."""

    def run(n, np_dtype, contiguous):
        real = sample(2 * n, _np_dtype(_real_of(d)), contiguous)
        return real[0::2] + 1j * real[1::2]

    return run


# ----------------------------------------------------------------------------------- uniform/normal


def _check_uniform(d: D.dtype, lo: float, hi: float) -> None:
    if d._name not in _FLOATS:
        raise _not_implemented("check_uniform_bounds", d)
    info = ml_dtypes.finfo(_np_dtype(d))
    mn, mx = float(info.min), float(info.max)
    tm = _C_NAMES[d._name]
    if not mn <= lo <= mx:
        raise RuntimeError(f"from is out of bounds for {tm}")
    if not mn <= hi <= mx:
        raise RuntimeError(f"to is out of bounds for {tm}")
    if not lo <= hi:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={_fmt(lo)} > to={_fmt(hi)}")
    if not hi - lo <= mx:
        raise RuntimeError(
            f"uniform_ expects to-from <= std::numeric_limits<{_type_word(d)}>::max(), but found "
            f"to={_fmt(hi)} and from={_fmt(lo)} which result in to-from to exceed the limit"
        )


def _uniform_sampler(gen: Generator, d: D.dtype, lo: float, hi: float):
    if d.is_complex:
        return _complex_view(d, _uniform_sampler(gen, _real_of(d), lo, hi))
    _check_uniform(d, lo, hi)
    return lambda n, np_dtype, contiguous: K.uniform_values(gen._eng, n, np_dtype, lo, hi)


def _normal_sampler(gen: Generator, d: D.dtype, mean: float, std: float):
    if not std >= 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")
    if d.is_complex:
        return _complex_view(d, _normal_sampler(gen, _real_of(d), mean, std / math.sqrt(2)))
    if d._name not in _FLOATS:
        raise _not_implemented("normal_kernel_cpu", d)
    return lambda n, np_dtype, contiguous: K.normal_values(gen._eng, n, np_dtype, mean, std, contiguous)


def _jax_uniform(lo, hi):
    def f(key, shape, dt):
        if jnp.issubdtype(dt, jnp.complexfloating):
            real = jax.random.uniform(key, shape + (2,), jnp.finfo(dt).dtype, lo, hi)
            return jax.lax.complex(real[..., 0], real[..., 1])
        return jax.random.uniform(key, shape, dt, lo, hi)

    return f


def _jax_normal(mean, std):
    def f(key, shape, dt):
        return (jax.random.normal(key, shape, dt) * std + mean).astype(dt)

    return f
