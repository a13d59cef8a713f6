"""torch.testing: assert_close and make_tensor for torchish tensors."""

from __future__ import annotations

import numpy as np

from .. import _dtype as D

# torch.testing's default tolerances per dtype: (rtol, atol)
_TOL = {
    "float16": (1e-3, 1e-5),
    "bfloat16": (1.6e-2, 1e-5),
    "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
    "complex64": (1.3e-6, 1e-5),
    "complex128": (1e-7, 1e-7),
}


def _np(x):
    from .._tensor import Tensor

    if isinstance(x, Tensor):
        a = np.asarray(x._value)
        return a.astype(np.float32) if a.dtype == D.bfloat16._np else a, x.dtype
    a = np.asarray(x)
    return a, D._from_np(a.dtype) if a.dtype in D._by_np else None


def assert_close(
    actual,
    expected,
    *,
    allow_subclasses=True,
    rtol=None,
    atol=None,
    equal_nan=False,
    check_device=True,
    check_dtype=True,
    check_layout=True,
    check_stride=False,
    msg=None,
) -> None:
    """Raise AssertionError unless actual and expected are close, with torch's default tolerances."""
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype, msg=msg)
        return
    a, da = _np(actual)
    e, de = _np(expected)
    if a.shape != e.shape:
        raise AssertionError(msg or f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.")
    if check_dtype and da is not de:
        raise AssertionError(msg or f"The values for attribute 'dtype' do not match: {da} != {de}.")
    if (rtol is None) != (atol is None):
        raise ValueError("Both 'rtol' and 'atol' must be either specified or omitted, but got no rtol.")
    if rtol is None:
        rtol, atol = max(_TOL.get(da._name if da else "", (0.0, 0.0)), _TOL.get(de._name if de else "", (0.0, 0.0)))
    if a.dtype.kind in "biu" and e.dtype.kind in "biu" and rtol == 0 and atol == 0:
        ok = np.array_equal(a, e)
        bad = a != e
    else:
        bad = ~np.isclose(
            a.astype(np.complex128 if a.dtype.kind == "c" else np.float64),
            e.astype(np.complex128 if e.dtype.kind == "c" else np.float64),
            rtol=rtol,
            atol=atol,
            equal_nan=equal_nan,
        )
        ok = not bad.any()
    if not ok:
        n = int(np.sum(bad))
        raise AssertionError(
            msg
            or f"Tensor-likes are not close!\n\nMismatched elements: {n} / {a.size} ({100.0 * n / max(a.size, 1):.1f}%)"
        )


def make_tensor(
    *shape,
    dtype,
    device=None,
    low=None,
    high=None,
    requires_grad=False,
    noncontiguous=False,
    exclude_zero=False,
    memory_format=None,
):
    """A tensor of the given shape and dtype filled with values from [low, high) (default [-9, 9))."""
    from ..ops.creation import tensor

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    rng = np.random.default_rng()
    lo = -9 if low is None else low
    hi = 9 if high is None else high
    if dtype is D.bool:
        data = rng.integers(0, 2, shape).astype(bool)
    elif dtype.is_floating_point or dtype.is_complex:
        data = rng.uniform(lo, hi, shape)
    else:
        data = rng.integers(int(lo), int(hi), shape)
    if exclude_zero:
        data = np.where(data == 0, 1, data)
    return tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
