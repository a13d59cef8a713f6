"""torch-identical ``repr``/``str`` of tensors, and torch's print options.

The algorithm follows ``torch/_tensor_str.py`` (torch 2.13): one formatter per tensor (two for complex:
real and imaginary parts) decides integer/scientific mode and a common column width from the values that
will actually be printed, then the nested lists are laid out with torch's wrapping and indentation, and
suffixes (device, dtype, size, grad_fn) are appended with torch's line-breaking rule.
Everything here works on numpy copies of the values: formatting decisions use float64, as torch does.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from . import _dtype as _dt


@dataclasses.dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

# (precision, threshold, edgeitems, linewidth)
_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing tensors (same semantics as ``torch.set_printoptions``)."""
    names = ("precision", "threshold", "edgeitems", "linewidth")
    if profile in _PROFILES:
        for k, v in zip(names, _PROFILES[profile]):
            setattr(PRINT_OPTS, k, v)
    for k, v in zip(names, (precision, threshold, edgeitems, linewidth)):
        if v is not None:
            setattr(PRINT_OPTS, k, v)
    # torch resets sci_mode on every call, even when it is not passed
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as keyword arguments for :func:`set_printoptions`."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Temporarily change the print options (arguments as for :func:`set_printoptions`)."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


def _size_repr(shape: Sequence[int]) -> str:
    return "torch.Size([" + ", ".join(str(int(d)) for d in shape) + "])"


def _default_device_type() -> str:
    # torch prints the device only when it differs from the default device type; torchish tensors
    # default to the CPU. Kept as a function so a default-device setting can hook in.
    return "cpu"


class _Formatter:
    """Column formatter for one real-valued (or integer/bool) array of values to print."""

    def __init__(self, vals: np.ndarray, floating: bool) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if not floating:
            if vals.size:
                # the widest decimal string is that of the minimum or the maximum (sign included)
                extremes = (vals.min().item(), vals.max().item())
                self.width = max(1, *(len(str(x)) for x in extremes))
            return
        v = vals.astype(np.float64)
        nz = v[np.isfinite(v) & (v != 0)]
        if nz.size == 0:
            return
        mag = np.abs(nz)
        lo, hi = float(mag.min()), float(mag.max())
        self.int_mode = bool(np.all(np.ceil(nz) == nz))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        p = PRINT_OPTS.precision
        uniq = np.unique(nz).tolist()
        if self.sci_mode:
            self.width = max(self.width, *(len(f"{x:.{p}e}") for x in uniq))
        elif self.int_mode:
            # a float in int mode prints with a trailing '.', hence the +1
            self.width = max(self.width, *(len(f"{x:.0f}") + 1 for x in uniq))
        else:
            self.width = max(self.width, *(len(f"{x:.{p}f}") for x in uniq))

    def format(self, x: Any) -> str:
        if not self.floating:
            s = str(x)
        elif self.sci_mode:
            s = f"{x:{self.width}.{PRINT_OPTS.precision}e}"
        elif self.int_mode:
            s = f"{x:.0f}" + ("" if math.isinf(x) or math.isnan(x) else ".")
        else:
            s = f"{x:.{PRINT_OPTS.precision}f}"
        return s.rjust(self.width)


class _Fmt:
    """One or two formatters (complex: real and imaginary part) applied to scalars."""

    def __init__(self, f1: _Formatter, f2: _Formatter | None) -> None:
        self.f1, self.f2 = f1, f2
        self.elem_len = f1.width + 2 + (0 if f2 is None else f2.width + 1)

    def __call__(self, x: Any) -> str:
        if self.f2 is None:
            return self.f1.format(x)
        re = self.f1.format(x.real)
        im = (self.f2.format(x.imag) + "j").lstrip()
        # an explicit sign (including that of -0.0) replaces the '+'
        return re + im if im[0] in "+-" else re + "+" + im


def _summarized(a: np.ndarray, e: int) -> np.ndarray:
    """The values that will be printed, flattened (torch's get_summarized_data)."""
    if a.ndim == 0:
        return a.reshape(1)
    n = a.shape[0]
    if a.ndim == 1:
        # a[-0:] is all of `a`: torch's formatter then sees every value when edgeitems == 0
        return np.concatenate([a[:e], a[-e:]]) if n > 2 * e else a
    if not e:
        return a[:0].reshape(0)
    rows = [*range(e), *range(n - e, n)] if n > 2 * e else range(n)
    return np.concatenate([_summarized(a[i], e) for i in rows])


def _vector_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Fmt) -> str:
    e, n = PRINT_OPTS.edgeitems, a.shape[0]
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / fmt.elem_len))
    if summarize and not e:
        data = ["..."]
    elif summarize and n > 2 * e:
        data = [*map(fmt, a[:e].tolist()), " ...", *map(fmt, a[n - e :].tolist())]
    else:
        data = list(map(fmt, a.tolist()))
    lines = [", ".join(data[i : i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(a: np.ndarray, indent: int, summarize: bool, fmt: _Fmt) -> str:
    if a.ndim == 0:
        return fmt(a.item())
    if a.ndim == 1:
        return _vector_str(a, indent, summarize, fmt)
    e, n = PRINT_OPTS.edgeitems, a.shape[0]
    if summarize and n > 2 * e:
        head = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(e)]
        tail = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n - e, n)]
        parts = [*head, "...", *tail]
    else:
        parts = [_nested_str(a[i], indent + 1, summarize, fmt) for i in range(n)]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _tensor_str(a: np.ndarray, indent: int) -> str:
    if a.size == 0:
        return "[]"
    summarize = a.size > PRINT_OPTS.threshold
    e = PRINT_OPTS.edgeitems

    def formatter(part: np.ndarray) -> _Formatter:
        vals = _summarized(part, e) if summarize else part.reshape(-1)
        return _Formatter(vals, part.dtype.kind in "fc")

    if a.dtype.kind == "c":
        fmt = _Fmt(formatter(a.real), formatter(a.imag))
    else:
        fmt = _Fmt(formatter(a), None)
    return _nested_str(a, indent, summarize, fmt)


def _to_numpy(t: Any) -> np.ndarray:
    import jax

    a = np.asarray(jax.device_get(t._value))
    if t.dtype.is_complex:
        return a.astype(np.complex128)
    if t.dtype.is_floating_point:
        # bfloat16/float16 print from their exact float values; float32 -> float64 is exact too
        return a.astype(np.float32).astype(np.float64) if a.dtype.itemsize <= 2 else a.astype(np.float64)
    return a


def _add_suffixes(body: str, suffixes: list[str], indent: int) -> str:
    out = [body]
    # torch's own measure of the last line (2 more than its length): kept for identical wrapping
    last = len(body) - body.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > PRINT_OPTS.linewidth:
            out.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            out.append(", " + s)
            last += len(s) + 2
    return "".join(out) + ")"


def _grad_fn_name(grad_fn: Any) -> str:
    name = getattr(grad_fn, "name", None)
    # torch prints the last component of the node's qualified name (torch::autograd::CopySlices)
    return (name() if callable(name) else type(grad_fn).__name__).rsplit("::", 1)[-1]


def _tensor_repr(t: Any, *, tensor_contents: str | None = None) -> str:
    """``repr(t)`` exactly as torch prints it (``str(t)`` is the same)."""
    prefix = "tensor("
    indent = len(prefix)
    suffixes: list[str] = []
    if t.device.type != _default_device_type():
        suffixes.append(f"device='{t.device}'")
    shape = tuple(int(d) for d in t.shape)
    default = _dt.get_default_dtype()
    default_complex = _dt.complex128 if default == _dt.float64 else _dt.complex64
    if math.prod(shape) == 0:
        if len(shape) != 1:
            suffixes.append(f"size={shape}")
        # nothing to infer the dtype from, so even int64/bool are shown
        if t.dtype != default:
            suffixes.append(f"dtype={t.dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={shape}")
        if t.dtype not in (default, default_complex, _dt.int64, _dt.bool):
            suffixes.append(f"dtype={t.dtype}")
        body = tensor_contents if tensor_contents is not None else _tensor_str(_to_numpy(t), indent)
    if tensor_contents is not None:
        body = tensor_contents
    try:
        fn = t.grad_fn
    except RuntimeError:  # a view refused by handle_view_on_rebase
        suffixes.append("grad_fn=<Invalid>")
    else:
        if fn is not None:
            suffixes.append(f"grad_fn=<{_grad_fn_name(fn)}>")
        elif t.requires_grad:
            suffixes.append("requires_grad=True")
    tangent = getattr(t, "_fw_tangent", None)  # (forward AD; the printer also takes tensor-like objects)
    if tangent is not None:
        suffixes.append(f"tangent={tangent}")  # (a 0-dim tangent formats as its number)
    return _add_suffixes(prefix + body, suffixes, indent)
