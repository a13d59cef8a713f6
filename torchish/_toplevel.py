"""torch's top-level names a script reaches for beyond the ops: constants, finfo / iinfo, the process settings,
torch.compile / torch.jit / torch.compiler (identities: torchish already runs through XLA), shape helpers, the
window functions and the top-level forms of Tensor methods (in-place ones included)."""

from __future__ import annotations

import builtins
import math
import os
import sys
import threading
import types
import typing
import warnings
from collections.abc import Callable, Sequence
from functools import reduce
from typing import Any

import jax
import numpy as np

from . import _dtype as D
from . import linalg as _linalg
from ._device import _of_array
from ._device import device as _device
from ._tensor import Size, Tensor
from .autograd import grad_mode as _gm
from .ops import _out
from .ops import _registry as R
from .ops.creation import empty as _empty
from .ops.shape import vstack as _vstack

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None


def _type_name(x: object) -> str:
    return type(x).__name__


def _check_tensor(fname: str, x: object, name: str = "input", pos: int = 1) -> None:
    """The arg parser's TypeError for a non-Tensor where torch's schema has a Tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be Tensor, not {_type_name(x)}")


def _check_int(fname: str, x: object, name: str, pos: int) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not {_type_name(x)}")
    return int(x)


# ------------------------------------------------------------------------------------------ finfo / iinfo

_MISSING: Any = object()  # an argument not given (torch's parser, not Python, words the error)
_PY_TYPES = {builtins.float: D.float64, builtins.int: D.int64, builtins.bool: D.bool, complex: D.complex128}
_DIGITS10 = {"float16": 3, "bfloat16": 2, "float32": 6, "float64": 15}  # numeric_limits<T>::digits10


def _info_dtype(cls_name: str, type: Any) -> D.dtype:  # noqa: A002
    if isinstance(type, builtins.type) and type in _PY_TYPES:
        return _PY_TYPES[type]
    if not isinstance(type, D.dtype):
        raise TypeError(f"{cls_name}(): argument 'type' (position 1) must be torch.dtype, not {_type_name(type)}")
    return type


class finfo:
    """torch.finfo: the numerical properties of a floating dtype (a complex dtype's are its real part's)."""

    __hash__ = None  # type: ignore[assignment]  (torch.finfo is unhashable)

    def __init__(self, type: D.dtype = _MISSING) -> None:  # noqa: A002
        d = D.get_default_dtype() if type is _MISSING else _info_dtype("finfo", type)
        if not (d.is_floating_point or d.is_complex):
            raise TypeError(
                "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'"
            )
        d = d.to_real()
        info = np.finfo(d._np) if d is not D.bfloat16 else __import__("ml_dtypes").finfo(d._np)
        self.bits: int = d.itemsize * 8
        self.eps: float = builtins.float(info.eps)
        self.max: float = builtins.float(info.max)
        self.min: float = -self.max
        self.tiny: float = builtins.float(info.tiny)
        self.smallest_normal: float = self.tiny
        self.resolution: float = 10.0 ** -_DIGITS10[d._name]
        self.dtype: str = d._name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """torch.iinfo: the numerical properties of an integer dtype."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, type: D.dtype = _MISSING) -> None:  # noqa: A002
        if type is _MISSING:
            raise TypeError('iinfo() missing 1 required positional arguments: "type"')
        d = _info_dtype("iinfo", type)
        if d is D.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.is_floating_point or d.is_complex:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(d._np)
        self.bits: int = info.bits
        self.min: int = builtins.int(info.min)
        self.max: int = builtins.int(info.max)
        self.dtype: str = d._name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


# ------------------------------------------------------------------------------------------ process settings


def _cpus() -> int:
    # torch's default counts physical cores; this counts the CPUs this process may run on
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


_settings: dict[str, Any] = {
    "num_threads": _cpus(),
    "num_interop_threads": None,  # torch allows setting it once
    "matmul_precision": "highest",
    "deterministic": False,
    "deterministic_warn_only": False,
}
_device_state = threading.local()  # torch's default device is per thread
# torch's float32 matmul precision as JAX's (XLA on CPU computes float32 dots in full float32 regardless)
_JAX_PRECISION = {"highest": "highest", "high": "tensorfloat32", "medium": "bfloat16"}


def _check_positive_int(fname: str, n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise RuntimeError(f"{fname} expects an int, but got {_type_name(n)}")
    if n <= 0:
        raise RuntimeError(f"{fname} expects a positive integer")


def set_num_threads(int: builtins.int) -> None:  # noqa: A002
    """Remembered for get_num_threads only: XLA sizes its own thread pools."""
    _check_positive_int("set_num_threads", int)
    _settings["num_threads"] = int


def get_num_threads() -> int:
    return _settings["num_threads"]


def set_num_interop_threads(int: builtins.int) -> None:  # noqa: A002
    """Remembered for get_num_interop_threads only: XLA sizes its own thread pools."""
    _check_positive_int("set_num_interop_threads", int)
    if _settings["num_interop_threads"] is not None:
        raise RuntimeError(
            "Error: cannot set number of interop threads after parallel work has started or set_num_interop_threads "
            "called"
        )
    _settings["num_interop_threads"] = int


def get_num_interop_threads() -> int:
    n = _settings["num_interop_threads"]
    return _cpus() if n is None else n


def set_float32_matmul_precision(precision: str) -> None:
    """torch's setting, passed on as JAX's default matmul precision ('high': TF32, 'medium': bfloat16 passes),
    which GPUs honour; on CPU float32 matmuls stay full float32, as torch's do."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {_type_name(precision)}")
    if precision not in _JAX_PRECISION:
        warnings.warn(
            f"{precision} is not one of 'highest', 'high', or 'medium'; the currentsetFloat32MatmulPrecision call has "
            "no effect. (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/Context.cpp:458.)",
            UserWarning,
            stacklevel=2,
        )
        return
    jax.config.update("jax_default_matmul_precision", _JAX_PRECISION[precision])
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _settings["matmul_precision"]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Remembered only: torchish's ops are deterministic on CPU (XLA's GPU scatters may not be, and XLA fixes
    that with XLA_FLAGS=--xla_gpu_deterministic_ops at start-up, not per call)."""
    for name, v in (("mode' (position 1)", mode), ("warn_only'", warn_only)):
        if not isinstance(v, bool):
            raise TypeError(f"_set_deterministic_algorithms(): argument '{name} must be bool, not {_type_name(v)}")
    _settings["deterministic"], _settings["deterministic_warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _settings["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _settings["deterministic_warn_only"]


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    if not isinstance(debug_mode, (builtins.int, str)):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if isinstance(debug_mode, str):
        if debug_mode not in ("default", "warn", "error"):
            raise RuntimeError(
                f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got {debug_mode}"
            )
        debug_mode = ("default", "warn", "error").index(debug_mode)
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    return 0 if not _settings["deterministic"] else 1 if _settings["deterministic_warn_only"] else 2


def set_warn_always(b: bool, /) -> None:
    """torch's warn-always flag: the once-per-process warnings of this module then warn every time."""
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {_type_name(b)}")
    R._warn_always[0] = b


def is_warn_always_enabled() -> bool:
    return R._warn_always[0]


def _placement() -> _device:
    """Where torchish factories put a tensor: JAX's default device."""
    return _of_array(jax.numpy.zeros(()))


def set_default_device(device: Any) -> None:
    """torchish's factories place tensors on JAX's default device and honour no other default: the device they
    already use (cpu without a GPU) is accepted, and None; any other raises (a CUDA one without a GPU, torch's
    AssertionError, here rather than at the next factory call)."""
    if device is None:
        _device_state.device = None
        return
    d = _device(device)
    here = _placement()
    if d.type == here.type and d.index in (None, here.index or 0):
        _device_state.device = d
        return
    if d.type == "cuda" and here.type != "cuda":
        raise AssertionError("Torch not compiled with CUDA enabled")
    raise NotImplementedError(
        f"torchish places new tensors on JAX's default device ({here}); set_default_device({str(d)!r}) can't change "
        "that: pass device= to the factories instead"
    )


def get_default_device() -> _device:
    d = getattr(_device_state, "device", None)
    return d if d is not None and d.index is not None else _placement()


def set_flush_denormal(mode: bool) -> bool:
    """XLA's CPU kernels always flush denormals (torch's mode True) and can't be told not to: True for True, and
    False (could not configure) for False."""
    if not isinstance(mode, bool):
        raise RuntimeError(f"flush_denormal expects a bool, but got {_type_name(mode)}")
    return mode


def is_storage(obj: object, /) -> bool:
    """torchish has no storage objects: always False."""
    return False


def is_inference(input: Tensor) -> bool:
    _check_tensor("is_inference", input)
    return input.is_inference()


def get_device(input: Tensor) -> int:
    _check_tensor("get_device", input)
    return input.get_device()


def is_same_size(input: Tensor, other: Tensor) -> bool:
    _check_tensor("is_same_size", input)
    _check_tensor("is_same_size", other, "other", 2)
    return input.is_same_size(other)


def is_signed(input: Tensor) -> bool:
    _check_tensor("is_signed", input)
    return input.is_signed()


def detach(input: Tensor) -> Tensor:
    _check_tensor("detach", input)
    return input.detach()


def fill(input: Tensor, value: Any) -> Tensor:
    """A new tensor like input filled with value (grad flows to a tensor value, none to input)."""
    _check_tensor("fill", input)
    return input.clone().fill_(value)


# ------------------------------------------------------------------------------------------ compile / jit


_COMPILE_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = (
    "aot_eager aot_eager_decomp_partition aot_eager_decomp_partition_crossref aot_eager_decomp_partition_with_mode "
    "aot_eager_default_partitioner aot_ts cudagraphs eager eager_debug eager_noexcept inductor invoke_subgraph openxla "
    "openxla_eval pre_dispatch_eager ts tvm"
).split()


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend."""


def compile(
    model: Callable | None = None,
    *,
    fullgraph: bool = False,
    dynamic: bool | None = None,
    backend: str | Callable | None = None,
    mode: str | None = None,
    options: dict | None = None,
    name: str | None = None,
    disable: bool = False,
    recompile_limit: int | None = None,
    isolate_recompiles: bool = False,
    shapes_spec: Any = None,
) -> Callable:
    """torch.compile: returns model (a function or Module) itself, unchanged. torchish already runs each op as a
    compiled XLA kernel, so there is no graph to capture; the arguments are checked as torch checks them, then
    ignored. Works as ``compile(fn)``, ``compile(module)``, ``@compile`` and ``@compile(mode=..., ...)``."""
    backend = "inductor" if backend is None else backend
    if model is None:

        def fn(model: Callable) -> Callable:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options)

        return fn
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if backend == "inductor" and mode is not None and mode not in _COMPILE_MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_COMPILE_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(
            f"Invalid backend: {backend!r}, see `torch._dynamo.list_backends()` for available backends."
        )
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    return model


def _identity_decorator(fn: Callable | None = None, *args: Any, **kwargs: Any) -> Any:
    """A decorator that returns what it decorates, used bare or called with options first."""
    if callable(fn):
        return fn
    return lambda f: f


def _jit_ignore(drop: Any = False, **kwargs: Any) -> Any:
    if callable(drop):
        return drop
    if not isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    which = "drop_on_export=True" if kwargs.pop("drop_on_export", None) else "True" if drop else None
    if which:
        warnings.warn(
            f"ignore({which}) has been deprecated. TorchScript will now drop the function call on compilation. Use "
            "torch.jit.unused now. {}",
            FutureWarning,
            stacklevel=2,
        )
    return lambda fn: fn


class _Future:
    """torch.jit.Future of an eagerly computed value."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        return self._value

    def done(self) -> bool:
        return True


def _module(name: str, doc: str, **attrs: Any) -> types.ModuleType:
    m = types.ModuleType(f"torchish.{name}", doc)
    for k, v in attrs.items():
        if callable(v) and getattr(v, "__name__", None) == "<lambda>":
            v.__name__ = v.__qualname__ = k
        setattr(m, k, v)
    sys.modules[m.__name__] = m  # `import torchish.jit` / `from torchish.jit import script` find it
    return m


def _deprecated(name: str, fn: Callable, use: str = "switch to `torch.compile` or `torch.export`") -> Callable:
    """torch 2.13's TorchScript entry points warn (a DeprecationWarning raised from torch's own module, so hidden
    by Python's default filters, as torch's is)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if sys.version_info >= (3, 14) and use.startswith("switch"):
            text = f"`torch.jit.{name}` is not supported in Python 3.14+ and may break. Please {use}."
        else:
            text = f"`torch.jit.{name}` is deprecated. Please {use}."
        warnings.warn(text, DeprecationWarning, stacklevel=1)
        return fn(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = name
    return wrapper


_USE_COMPILE = "use `torch.compile` instead"
jit = _module(
    "jit",
    "torch.jit on torchish: no TorchScript. script / trace / freeze return the function or Module itself (trace "
    "calls nothing), the decorators return what they decorate, is_scripting() and is_tracing() are False.",
    script=_deprecated("script", lambda obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None: obj),
    trace=_deprecated("trace", lambda func, example_inputs=None, *args, **kwargs: func),
    trace_module=lambda mod, inputs, *args, **kwargs: mod,
    freeze=_deprecated("freeze", lambda mod, preserved_attrs=None, optimize_numerics=True: mod, _USE_COMPILE),
    optimize_for_inference=_deprecated("optimize_for_inference", lambda mod, other_methods=None: mod, _USE_COMPILE),
    ignore=_jit_ignore,
    unused=lambda fn: fn,
    export=lambda fn: fn,
    interface=_deprecated("interface", lambda obj: obj, _USE_COMPILE),
    script_method=_deprecated("script_method", lambda fn: fn),
    is_scripting=lambda: False,
    is_tracing=lambda: False,
    annotate=lambda the_type, the_value: the_value,
    Attribute=lambda value, type: value,  # noqa: A006
    fork=_deprecated("fork", lambda func, *args, **kwargs: _Future(func(*args, **kwargs)), _USE_COMPILE),
    wait=_deprecated("wait", lambda future: future.wait(), _USE_COMPILE),
    Future=_Future,
    Final=typing.Final,
    annotations=typing,
)

compiler = _module(
    "compiler",
    "torch.compiler on torchish: nothing is compiled by torch.compile (see torchish.compile), so nothing is ever "
    "compiling and the decorators return what they decorate.",
    is_compiling=lambda: False,
    is_dynamo_compiling=lambda: False,
    is_exporting=lambda: False,
    disable=_identity_decorator,
    allow_in_graph=lambda fn: fn,
    assume_constant_result=lambda fn: fn,
    reset=lambda: None,
    cudagraph_mark_step_begin=lambda: None,
)


# ------------------------------------------------------------------------------------------ shape helpers


def broadcast_shapes(*shapes: Any) -> Size:
    """torch._refs._broadcast_shapes: ints are 1-d shapes, None is skipped; torch's errors."""
    shapes = tuple((s,) if isinstance(s, builtins.int) else s for s in shapes if s is not None)
    if not shapes:
        return Size([])
    for shape in shapes:
        if not isinstance(shape, Sequence):
            raise RuntimeError(f"Input shapes should be of type ints, a tuple of ints, or a list of ints, got {shape}")
    common = [1] * reduce(builtins.max, (len(s) for s in shapes))
    for arg_idx, shape in enumerate(shapes):
        for idx in builtins.range(-1, -1 - len(shape), -1):
            if shape[idx] == common[idx]:
                continue
            if common[idx] == 1:
                if shape[idx] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[idx] = shape[idx]
            if shape[idx] != 1 and common[idx] != shape[idx]:
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {shape[idx]} at {idx}! Mismatching argument at "
                    f"index {arg_idx} had {shape}; but expected shape should be broadcastable to {common}"
                )
    return Size(common)


def argwhere(input: Tensor) -> Tensor:
    _check_tensor("argwhere", input)
    return input.nonzero()


@R.takes_tensor_list
def row_stack(tensors: Sequence[Tensor], *, out: Tensor | None = None) -> Tensor:
    """torch.row_stack: an alias of vstack."""
    return _vstack(tensors) if out is None else _vstack(tensors, out=out)


def _split_arg(fname: str, input: Any, arg: Any) -> Any:
    """hsplit's two overloads: int sections (a 0-dim integer tensor too) or a sequence of int indices; the arg
    parser's TypeError when neither matches."""
    if isinstance(arg, Tensor) and arg.dim() == 0 and not arg.dtype.is_floating_point:
        arg = builtins.int(arg.item())
    is_int = lambda i: isinstance(i, (builtins.int, np.integer)) and not isinstance(i, bool)  # noqa: E731
    seq = isinstance(arg, (list, tuple))
    if isinstance(input, Tensor) and (is_int(arg) or seq and builtins.all(map(is_int, arg))):
        return arg
    got = _type_name(arg)
    if seq:
        got = f"{got} of [{', '.join(dict.fromkeys(_type_name(i) for i in arg))}]"
    first = "Tensor" if isinstance(input, Tensor) else f"!{_type_name(input)}!"
    as_int = got if is_int(arg) else f"!{got}!"
    why = "      didn't match because some of the arguments have invalid types: "
    raise TypeError(
        f"{fname}() received an invalid combination of arguments - got ({_type_name(input)}, {_type_name(arg)}), but "
        f"expected one of:\n * (Tensor input, int sections)\n{why}({first}, {as_int})\n"
        f" * (Tensor input, tuple of ints indices)\n{why}({first}, !{got}!)\n"
    )


def _xsplit(fname: str, input: Tensor, arg: Any, min_dim: int, dim: int) -> tuple[Tensor, ...]:
    arg = _split_arg(fname, input, arg)
    if input.dim() < min_dim:
        raise RuntimeError(
            f"torch.{fname} requires a tensor with at least {min_dim} dimension, but got a tensor with {input.dim()} "
            "dimensions!"
        )
    if isinstance(arg, (builtins.int, np.integer)) and (arg == 0 or input.shape[dim] % arg):
        raise RuntimeError(
            f"torch.{fname} attempted to split along dimension {dim}, but the size of the dimension "
            f"{input.shape[dim]} is not divisible by the split_size {arg}!"
        )
    return tuple(input.tensor_split(arg, dim))


def hsplit(input: Tensor, sections: int | Sequence[int] | None = None, *, indices: Any = None) -> tuple:
    arg = sections if indices is None else indices
    return _xsplit("hsplit", input, arg, 1, 0 if getattr(input, "ndim", 0) == 1 else 1)


def vsplit(input: Tensor, sections: int | Sequence[int] | None = None, *, indices: Any = None) -> tuple:
    return _xsplit("vsplit", input, sections if indices is None else indices, 2, 0)


def dsplit(input: Tensor, sections: int | Sequence[int] | None = None, *, indices: Any = None) -> tuple:
    return _xsplit("dsplit", input, sections if indices is None else indices, 3, 2)


def diagflat(input: Tensor, offset: int = 0) -> Tensor:
    _check_tensor("diagflat", input)
    return input.reshape(-1).diag(offset)


def empty_strided(
    size: Sequence[int],
    stride: Sequence[int],
    *,
    dtype: D.dtype | None = None,
    layout: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    pin_memory: bool = False,
) -> Tensor:
    """An uninitialised tensor with the given strides: a storage of the size they span, viewed with as_strided
    and detached (no view of anything, like torch's, a leaf)."""
    from .ops._argparse import int_list

    size, stride = int_list("empty_strided", "size", size, 1), int_list("empty_strided", "stride", stride, 2)
    if len(size) != len(stride):
        raise RuntimeError(
            f"dimensionality of sizes ({len(size)}) must match dimensionality of strides ({len(stride)})"
        )
    if builtins.any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(size)}: {list(size)}")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and strides={list(stride)}")
    numel = 0 if 0 in size else 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    with _gm.no_grad():
        t = _empty(numel, dtype=dtype, device=device).as_strided(tuple(size), tuple(stride)).detach()
    return t.requires_grad_() if requires_grad else t


def chain_matmul(*matrices: Tensor, out: Tensor | None = None) -> Tensor:
    """Deprecated in torch (a once-per-process warning, its out= kernel's once apart) for linalg.multi_dot."""
    R.warn_once(
        "chain_matmul" if out is None else "chain_matmul_out",
        "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use torch.linalg.multi_dot "
        "instead, which accepts a list of two or more tensors rather than multiple parameters. (Triggered internally "
        f"at /__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:{1102 if out is None else 1120}.)",
    )
    for m in matrices:
        _check_tensor("chain_matmul", m, "matrices")
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    if len(matrices) > 1:
        return _linalg.multi_dot(list(matrices), out=out)
    return matrices[0].clone() if out is None else _out.copy_out(out, matrices[0])


def _check_float(fname: str, input: Tensor) -> None:
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            f"{fname}: Expected a floating point or complex tensor as input. Got {R._type_word(input.dtype)}"
        )


def frobenius_norm(
    input: Tensor, dim: int | Sequence[int] = _MISSING, keepdim: bool = False, *, out: Tensor | None = None
) -> Tensor:
    """Deprecated in torch for linalg.vector_norm(input, 2, dim, keepdim). Into out: norm's out=, which resizes out
    before it checks its dtype."""
    if dim is _MISSING:
        raise TypeError('frobenius_norm() missing 1 required positional arguments: "dim"')
    R.warn_once(  # (its out= kernel's once apart)
        "frobenius_norm" if out is None else "frobenius_norm_out",
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility. It will be removed in a future "
        "PyTorch release. Please use `linalg.vector_norm(A, 2., dim, keepdim)` instead (Triggered internally at "
        f"/__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:{3175 if out is None else 3195}.)",
    )
    dims = (dim,) if isinstance(dim, builtins.int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions instead.")
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(
            f"norm(): input dtype should be either floating point or complex. Got {R._type_word(input.dtype)} instead."
        )
    if out is not None:
        _out.check_out_grad("norm", (input,), (out,))
    result = _linalg.vector_norm(input, 2.0, dims or None, keepdim)  # (an empty dim is every dim, as in torch)
    if out is None:
        return result
    _out.resize_out(out, result.shape)
    return _out.exact_out("norm", out, result)


def nuclear_norm(input: Tensor, dim: Any = None, keepdim: bool = False, *, out: Tensor | None = None) -> Tensor:
    """nuclear_norm(input, keepdim=False) or nuclear_norm(input, dim, keepdim=False): deprecated in torch for
    linalg.matrix_norm(input, 'nuc', dim, keepdim)."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    # (both overloads: once per process; their out= kernels' once each apart)
    if out is None:
        key, line = "nuclear_norm", 3229
    else:
        key, line = ("nuclear_norm_out", 3217) if dim is None else ("nuclear_norm_dim_out", 3241)
    R.warn_once(
        key,
        "at::nuclear_norm is deprecated and it is just left for JIT compatibility. It will be removed in a future "
        "PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead (Triggered internally "
        f"at /__w/pytorch/pytorch/aten/src/ATen/native/LinearAlgebra.cpp:{line}.)",
    )
    # (an int dim is torch's IntArrayRef[2] of it: (d, d))
    dims = (-2, -1) if dim is None else (dim, dim) if isinstance(dim, builtins.int) else tuple(dim)
    n = input.dim()
    if n < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    _check_float("linalg.matrix_norm", input)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    dims = tuple(d % n for d in dims)
    if dims[0] == dims[1]:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    return _linalg.matrix_norm(input, "nuc", dims, keepdim, out=out)


# ------------------------------------------------------------------------------------------ Tensor-method forms

# the names ending in `_` of torch's namespace whose Tensor method torchish has: torch.abs_(x) is x.abs_()
_INPLACE = (
    "abs_ acos_ acosh_ addmv_ arccos_ arccosh_ arcsin_ arcsinh_ arctan_ arctanh_ asin_ asinh_ atan_ atanh_ ceil_ "
    "clamp_ clamp_max_ clamp_min_ clip_ cos_ cosh_ deg2rad_ detach_ erf_ erfc_ exp2_ exp_ expm1_ fill_ fix_ floor_ "
    "frac_ gcd_ i0_ index_put_ lcm_ ldexp_ log10_ log1p_ log2_ log_ logit_ nan_to_num_ neg_ negative_ rad2deg_ "
    "reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ xlogy_ zero_"
).split()


# the in-place forms of several overloads: torch's parser words a call none takes (out=) by them
_BOUNDS = ("Tensor input, Tensor min = None, Tensor max = None", "Tensor input, Number min = None, Number max = None")
_INPLACE_OVERLOADS = {
    "clamp_": _BOUNDS,
    "clip_": _BOUNDS,
    "clamp_max_": ("Tensor input, Tensor max", "Tensor input, Number max"),
    "clamp_min_": ("Tensor input, Tensor min", "Tensor input, Number min"),
    "fill_": ("Tensor input, Tensor value", "Tensor input, Number value"),
    "xlogy_": ("Tensor input, Tensor other", "Tensor input, Number other"),
    "round_": ("Tensor input", "Tensor input, *, int decimals"),
}


def _method_function(name: str) -> Callable:
    def fn(input: Tensor, *args: Any, **kwargs: Any) -> Any:
        _check_tensor(name, input)
        if "out" in kwargs:  # (no in-place form takes out=)
            from .ops._argparse import check_overloads

            if name in _INPLACE_OVERLOADS:
                check_overloads(name, _INPLACE_OVERLOADS[name], (input, *args), kwargs)
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = "torchish"
    fn.__doc__ = f"torch.{name}(input, ...): input.{name}(...)."
    return fn


for _name in _INPLACE:
    if hasattr(Tensor, _name):
        globals()[_name] = _method_function(_name)

# the Tensor methods torch has for these functions, where torchish's Tensor lacks them
for _name, _fn in (
    ("argwhere", argwhere),
    ("diagflat", diagflat),
    ("hsplit", hsplit),
    ("vsplit", vsplit),
    ("dsplit", dsplit),
):
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _fn)
del _name, _fn

__all__ = [
    *"pi e inf nan newaxis finfo iinfo".split(),
    *"set_num_threads get_num_threads set_num_interop_threads get_num_interop_threads".split(),
    *"set_float32_matmul_precision get_float32_matmul_precision use_deterministic_algorithms".split(),
    *"are_deterministic_algorithms_enabled is_deterministic_algorithms_warn_only_enabled".split(),
    *"set_deterministic_debug_mode get_deterministic_debug_mode set_warn_always is_warn_always_enabled".split(),
    *"set_default_device get_default_device set_flush_denormal is_storage is_inference get_device".split(),
    *"is_same_size is_signed detach fill compile jit compiler".split(),
    *"broadcast_shapes argwhere row_stack hsplit vsplit dsplit diagflat empty_strided chain_matmul".split(),
    *"frobenius_norm nuclear_norm".split(),
    *(n for n in _INPLACE if n in globals()),
]

from ._toplevel_nn import *  # noqa: E402,F403
from ._toplevel_nn import __all__ as _nn_all  # noqa: E402

__all__ += _nn_all
