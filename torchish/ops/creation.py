"""Tensor factories: tensor, zeros, ones, full, empty, arange, linspace, eye and the *_like forms."""

from __future__ import annotations

import builtins
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._device import _jax_device
from ..autograd import grad_mode as _gm
from . import _out
from . import _registry as R
from . import views as _views
from ._argparse import MISSING, check_overloads, int_list, int_list_param, nonnegative_size, type_name


def _place(array: np.ndarray | jax.Array, device) -> jax.Array:
    if device is None and type(array) is np.ndarray and _fast_put is not None:
        return _fast_put(array)
    return jax.device_put(array, _jax_device(device))


def _make_fast_put():
    """numpy -> default device without jax.device_put's Python glue (~30 µs, a quarter of a small
    training step). Private JAX API: any mismatch falls back to jax.device_put."""
    try:
        from jax._src import core
        from jax._src.interpreters import pxla
        from jax.sharding import SingleDeviceSharding

        dev = jax.devices()[0]
        sharding = SingleDeviceSharding(dev)
        probe = np.zeros(2, np.float32)

        def put(array):
            return pxla.batched_device_put(core.ShapedArray(array.shape, array.dtype), sharding, [array], [dev], False)

        if np.asarray(put(probe)).tolist() != [0.0, 0.0]:
            return None
        return put
    except Exception:
        return None


_fast_put = _make_fast_put()


def _leaf(value, requires_grad, dtype_word="Only Tensors of floating point and complex dtype can require gradients"):
    if requires_grad and not (value.dtype.kind in "fc" or value.dtype == D.bfloat16._np):
        raise RuntimeError(dtype_word)
    return R._Tensor._make(value, bool(requires_grad))


def _infer_dtype(data) -> D.dtype:
    """torch.tensor's dtype inference over nested Python data: each scalar's own type (a Python float is the
    default dtype, a NumPy scalar or a Tensor keeps its dtype), combined with promote_types."""
    result = None
    numpy_bool = False
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
            continue
        if isinstance(x, R._Tensor):
            d = x.dtype
        elif isinstance(x, (np.generic, np.ndarray)) and np.asarray(x).dtype.kind in "biufc":
            d = D._from_np(np.asarray(x).dtype)
            numpy_bool = numpy_bool or isinstance(x, np.bool_)
        elif isinstance(x, builtins.bool):
            d = D.bool
        elif isinstance(x, int):
            d = D.int64
        elif isinstance(x, float):
            d = D.get_default_dtype()
        elif isinstance(x, complex):
            d = D.get_default_dtype().to_complex()
        else:
            raise TypeError(f"Could not infer dtype of {type(x).__name__}")
        result = d if result is None else D.promote_types(result, d)
    if result is None:
        return D.get_default_dtype()
    if numpy_bool and not (result.is_floating_point or result.is_complex or result is D.bool):
        # torch stores a NumPy bool into an integer tensor through __index__, which numpy.bool lacks
        raise TypeError("'numpy.bool' object cannot be interpreted as an integer")
    return result


def _check_ragged(data, dim=0):
    if not isinstance(data, (list, tuple)) or not data:
        return
    lens = None
    for x in data:
        n = len(x) if isinstance(x, (list, tuple)) else None
        if lens is None:
            lens = n
        elif n != lens:
            raise ValueError(f"expected sequence of length {lens} at dim {dim + 1} (got {n})")
    for x in data:
        _check_ragged(x, dim + 1)


def _to_numpy(data, dtype: D.dtype) -> np.ndarray:
    if isinstance(data, R._Tensor):
        return np.asarray(data._value).astype(dtype._np)
    if isinstance(data, (list, tuple)):
        _check_ragged(data)
        if builtins.any(isinstance(x, R._Tensor) for x in _flat(data)):
            data = _untensor(data)
    return np.array(data, dtype=dtype._np if dtype is not D.bfloat16 else np.float32).astype(dtype._np)


def _flat(data):
    for x in data:
        if isinstance(x, (list, tuple)):
            yield from _flat(x)
        else:
            yield x


def _untensor(data):
    if isinstance(data, (list, tuple)):
        return [_untensor(x) for x in data]
    if isinstance(data, R._Tensor):
        return np.asarray(data._value).tolist()
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    if isinstance(data, R._Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        value = data._value if dtype is None else data._value.astype(dtype._np)
        return _leaf(_place(jnp.array(value, copy=True), device), requires_grad)
    if isinstance(data, (np.ndarray, np.generic)) and dtype is None:
        arr = np.array(data)
        if arr.dtype == np.uint16 or arr.dtype == np.uint32 or arr.dtype == np.uint64:
            arr = arr.astype(np.int64)
        return _leaf(_place(arr, device), requires_grad)
    if isinstance(data, jax.Array) and dtype is None:
        return _leaf(_place(data, device), requires_grad)
    d = dtype if dtype is not None else _infer_dtype(data)
    return _leaf(_place(_to_numpy(data, d), device), requires_grad)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, R._Tensor) and (dtype is None or dtype is data.dtype) and device is None:
        return data
    if isinstance(data, R._Tensor):
        return data.to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray):
    return R._Tensor._make(jnp.asarray(ndarray))


asarray = as_tensor


def _size(fname, args, keyword=MISSING):
    """A factory's size argument (torch's parser words its TypeErrors), with torch's check of negative sizes."""
    return nonnegative_size(fname, int_list_param(fname, "size", args, keyword))


def _into_out(name, out, dtype, requires_grad, make):
    """torch's factory with out=: made in the out tensor's dtype (another dtype= refused), the out tensor resized
    without a warning and written (empty's only resized), then given requires_grad as asked."""
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(
            f"dtype {R._type_word(dtype)} does not match dtype of out parameter ({R._type_word(out.dtype)})"
        )
    if out.requires_grad and name == "empty":
        raise RuntimeError("cannot resize variables that require grad")
    _out.refuse_grad_out(name, out)
    result = make(out.dtype)
    if name == "empty":  # (only resized: torch's resize_, a new version where the shape changes)
        if tuple(out.shape) != tuple(result.shape):
            out._set_value(result._value)
    else:
        _out.resize_out(out, tuple(result.shape), warnings_given=0)
        with _gm.no_grad():
            out.copy_(result)
    if requires_grad and not (out.dtype.is_floating_point or out.dtype.is_complex):  # (after the write, as torch)
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    return out.requires_grad_(True) if requires_grad else out


def _factory(name, fill):
    def factory(
        *size,
        out=None,
        dtype=None,
        layout=None,
        device=None,
        requires_grad=False,
        pin_memory=False,
        memory_format=None,
        **kwargs,
    ):
        shape = _size(name, size, kwargs.pop("size", MISSING))
        if kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if dtype is not None and not isinstance(dtype, D.dtype):
            raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")
        if out is not None:
            return _into_out(name, out, dtype, requires_grad, lambda d: factory(*shape, dtype=d, device=device))
        d = dtype or D.get_default_dtype()
        return _leaf(_place(np.full(shape, fill, dtype=d._np), device), requires_grad)

    factory.__name__ = factory.__qualname__ = name
    return factory


zeros = _factory("zeros", 0)
ones = _factory("ones", 1)
empty = _factory("empty", 0)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if out is not None:
        return _into_out("full", out, dtype, requires_grad, lambda d: full(size, fill_value, dtype=d, device=device))
    if dtype is None:
        dtype = _infer_dtype(fill_value if not isinstance(fill_value, R._Tensor) else fill_value.item())
    value = _place(
        np.full(nonnegative_size("full", int_list("full", "size", size, 1)), fill_value, dtype=dtype._np), device
    )
    return _leaf(value, requires_grad)


def _like(name, fill):
    def like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        d = dtype or input.dtype
        value = _place(np.full(tuple(input.shape), fill, dtype=d._np), device or input.device)
        return _views._laid_out_like(_leaf(value, requires_grad), input, memory_format)

    like.__name__ = like.__qualname__ = name  # (Python's TypeErrors name it: zeros_like() got an unexpected ...)
    return like


zeros_like = _like("zeros_like", 0)
ones_like = _like("ones_like", 1)
empty_like = _like("empty_like", 0)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d = dtype or input.dtype
    value = _place(np.full(tuple(input.shape), fill_value, dtype=d._np), device or input.device)
    return _views._laid_out_like(_leaf(value, requires_grad), input, memory_format)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    d = dtype or D.get_default_dtype()
    return _leaf(_place(np.array(s, dtype=d._np), device), requires_grad)


def _num(x):
    return x.item() if isinstance(x, R._Tensor) else x


_FACTORY_OPTIONS = (
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False"
)
_ARANGE_OVERLOADS = (
    f"Number end, *, Tensor out = None, {_FACTORY_OPTIONS}, bool requires_grad = False",
    f"Number start, Number end, *, {_FACTORY_OPTIONS}, bool requires_grad = False",
    f"Number start, Number end, Number step = 1, *, Tensor out = None, {_FACTORY_OPTIONS}, bool requires_grad = False",
)


def arange(*args, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, **numbers):
    """arange(end) / arange(start, end, step=1): torch's three overloads."""
    given = dict(numbers, out=out, dtype=dtype, layout=layout, device=device)
    given = {k: v for k, v in given.items() if v is not None or k in numbers}
    given.update({k: v for k, v in (("requires_grad", requires_grad), ("pin_memory", pin_memory)) if v is not False})
    check_overloads("arange", _ARANGE_OVERLOADS, args, given)
    if out is not None:
        _out.refuse_grad_out("arange", out)
    lone_end = len(args) == 1 and "end" not in numbers and "start" not in numbers
    named = dict(zip(("end",) if lone_end else ("start", "end", "step"), args), **numbers)
    start, end, step = _num(named.get("start", 0)), _num(named["end"]), _num(named.get("step", 1))
    if dtype is None and out is not None:
        dtype = out.dtype
    if dtype is None:
        floats = builtins.any(isinstance(v, float) for v in (start, end, step))
        dtype = D.get_default_dtype() if floats else D.int64
    if dtype is D.bool or dtype.is_complex:  # (the kernel's dispatch, before its checks)
        raise NotImplementedError(f"\"arange_cpu\" not implemented for '{R._type_word(dtype)}'")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    n = math.ceil((end - start) / step)
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = builtins.max(n, 0)
    if dtype.is_floating_point:
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dtype._np)
    else:
        arr = (start + np.arange(n, dtype=np.int64) * int(step)).astype(dtype._np)
    result = _leaf(_place(arr, device), requires_grad)
    if out is None:
        return result
    if out.numel() != n:  # (an out of n elements keeps its shape, filled in memory order)
        if out.numel():
            warnings.warn(
                f"The number of elements in the out tensor of shape {list(out.shape)} is {out.numel()} which does not "
                f"match the computed number of elements {n}. Note that this may occur as a result of rounding error. "
                f"The out tensor will be resized to a tensor of shape ({n},). (Triggered internally at "
                "/__w/pytorch/pytorch/aten/src/ATen/native/RangeFactories.cpp:199.)",
                UserWarning,
                stacklevel=R._user_stacklevel(),
            )
        _out.resize_out(out, (n,), warnings_given=0)
    with _gm.no_grad():
        return out.copy_(result.reshape(out.shape))


def range(  # noqa: A001
    start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False
):
    warnings.warn(
        "torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
        "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
        UserWarning,
        stacklevel=2,
    )
    if end is None:
        start, end = 0, start
    if out is not None:
        return _into_out("range", out, dtype, requires_grad, lambda d: _range(start, end, step, d, device, False))
    return _range(start, end, step, dtype or D.get_default_dtype(), device, requires_grad)


def _range(start, end, step, d, device, requires_grad):
    if d is D.bool or d.is_complex:
        raise NotImplementedError(f"\"range_cpu\" not implemented for '{R._type_word(d)}'")
    n = int(math.floor((end - start) / step)) + 1
    arr = (start + np.arange(n, dtype=np.float64) * step).astype(d._np)
    return _leaf(_place(arr, device), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if out is not None:
        return _into_out(
            "linspace", out, dtype, requires_grad, lambda d: linspace(start, end, steps, dtype=d, device=device)
        )
    start, end = _num(start), _num(end)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    d = dtype or D.get_default_dtype()
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # torch fills the first half forwards from start and the second half backwards from end
        work = np.float64 if d in (D.float64, D.int64, D.int32) else np.float32
        step = (work(end) - work(start)) / work(builtins.max(steps - 1, 1))
        i = np.arange(steps, dtype=work)
        half = steps // 2
        arr = np.where(i < half, work(start) + step * i, work(end) - step * (steps - 1 - i))
    return _leaf(_place(arr.astype(d._np), device), requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None, requires_grad=False):
    if out is not None:
        return _into_out(
            "logspace", out, dtype, requires_grad, lambda d: logspace(start, end, steps, base, dtype=d, device=device)
        )
    lin = linspace(start, end, steps, dtype=D.float64)
    d = dtype or D.get_default_dtype()
    return _leaf(_place(np.power(base, np.asarray(lin._value)).astype(d._np), device), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if out is not None:
        return _into_out("eye", out, dtype, requires_grad, lambda d: eye(n, m, dtype=d, device=device))
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    d = dtype or D.get_default_dtype()
    return _leaf(_place(np.eye(n, m if m is not None else n, dtype=d._np), device), requires_grad)


def _legacy_tensor(cls, *args, **kwargs):
    """torch.Tensor(...): data -> float tensor; ints -> uninitialised (zeroed) tensor of that size."""
    device = kwargs.pop("device", None)
    if not args:
        value = np.zeros((0,), np.float32)
    elif len(args) == 1 and isinstance(args[0], R._Tensor):
        return args[0]
    elif builtins.all(isinstance(a, (int, np.integer)) for a in args) or (
        len(args) == 1 and type(args[0]).__name__ == "Size"
    ):
        value = np.zeros(_size("Tensor", args), D.get_default_dtype()._np)
    else:
        value = _to_numpy(args[0], D.get_default_dtype())
    return cls._make(_place(value, device))


# Tensor.new_*: the factories, with the tensor's dtype and device as defaults
def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    if isinstance(data, R._Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
            "sourceTensor.detach().clone().requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        value = jnp.array(data._value.astype((dtype or self.dtype)._np), copy=True)
        return _leaf(_place(value, device or self.device), requires_grad)
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


def _new_factory(factory):
    name = f"new_{factory.__name__}"

    def new(self, *args, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, size=MISSING):
        size = nonnegative_size(name, int_list_param(name, "size", args, size))
        return factory(size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)

    return new


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
    size = int_list("new_full", "size", size, 1)
    return full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)


R._Tensor.new_tensor = _new_tensor
R._Tensor.new_zeros = _new_factory(zeros)
R._Tensor.new_ones = _new_factory(ones)
R._Tensor.new_empty = _new_factory(empty)
R._Tensor.new_full = _new_full
