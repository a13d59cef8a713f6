"""Differential tests of tensor printing: torchish's repr against real torch's, for the same values.

The torchish side is a minimal fake tensor (only the attributes ``_printing`` may read), built from the
same numpy array that is handed to torch, so these tests do not depend on ``torchish._tensor``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import ml_dtypes
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from torchish import _dtype as tdt
from torchish import _printing

# profiles live in tests/conftest.py when it exists (hypothesis itself predefines a "ci" profile)
if not os.path.exists(os.path.join(os.path.dirname(__file__), "conftest.py")):
    settings.register_profile("ci", max_examples=100, deadline=None)
    settings.register_profile("thorough", max_examples=1000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

SUPPRESS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture]


@dataclasses.dataclass
class FakeDevice:
    type: str = "cpu"
    index: int | None = None

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


@dataclasses.dataclass
class FakeGradFn:
    _name: str

    def name(self) -> str:
        return self._name


@dataclasses.dataclass
class FakeTensor:
    _value: np.ndarray
    dtype: Any
    shape: tuple
    requires_grad: bool = False
    grad_fn: Any = None
    is_leaf: bool = True
    device: FakeDevice = dataclasses.field(default_factory=FakeDevice)

    def __repr__(self) -> str:
        return _printing._tensor_repr(self)


FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
COMPLEX = ["complex64", "complex128"]
ALL = ["bool", *INTS, *FLOATS, *COMPLEX]
NP = {"bfloat16": ml_dtypes.bfloat16}


def np_dtype(name: str) -> np.dtype:
    return np.dtype(NP.get(name, name))


def to_torch(arr: np.ndarray, name: str) -> torch.Tensor:
    if name == "bfloat16":  # torch cannot take ml_dtypes arrays; the float32 round trip is exact
        return torch.from_numpy(arr.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(arr.copy())


def fake(arr: np.ndarray, name: str, **kw: Any) -> FakeTensor:
    return FakeTensor(arr, getattr(tdt, name), tuple(arr.shape), **kw)


def both_repr(arr: np.ndarray, name: str) -> tuple[str, str]:
    return repr(fake(arr, name)), repr(to_torch(arr, name))


@pytest.fixture(autouse=True)
def _restore_state():
    yield
    torch.set_printoptions(profile="default")
    _printing.set_printoptions(profile="default")
    torch.set_default_dtype(torch.float32)
    tdt.set_default_dtype(tdt.float32)


# ---------------------------------------------------------------- strategies


def shapes() -> st.SearchStrategy[tuple[int, ...]]:
    small = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)
    wide = st.tuples(st.integers(1, 3), st.integers(6, 45)) | st.tuples(st.integers(7, 90))
    big = st.sampled_from([(1001,), (2000,), (40, 30), (3, 20, 20), (1, 1, 1200), (1100, 1), (7, 2, 80)])
    return st.one_of(small, small, wide, big)


@st.composite
def float_values(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = math.prod(shape)
    kind = draw(st.sampled_from(["int", "uniform", "lognormal", "specials", "same"]))
    scale = 10.0 ** draw(st.integers(-12, 12))
    if kind == "int":
        v = rng.integers(-draw(st.sampled_from([2, 10, 1000, 10**9])), 1000, n).astype(np.float64)
    elif kind == "uniform":
        v = rng.uniform(-1, 1, n) * scale
    elif kind == "lognormal":
        v = rng.lognormal(0, draw(st.sampled_from([1.0, 5.0, 20.0])), n) * rng.choice([-1, 1], n)
    elif kind == "same":
        v = np.full(n, draw(st.floats(allow_nan=True, allow_infinity=True)))
    else:
        v = rng.choice([0.0, -0.0, 1.0, -2.5, np.nan, np.inf, -np.inf, 1e-5, 3e9], n)
    if draw(st.booleans()):  # sprinkle special values
        pick = rng.random(n) < 0.2
        v[pick] = rng.choice([0.0, -0.0, np.nan, np.inf, -np.inf], int(pick.sum()))
    return v.reshape(shape)


@st.composite
def arrays(draw: st.DrawFn, dtypes: list[str] = ALL) -> tuple[np.ndarray, str]:
    name = draw(st.sampled_from(dtypes))
    shape = draw(shapes())
    n = math.prod(shape)
    npd = np_dtype(name)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "bool":
            arr = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(n).reshape(shape) < 0.5
        elif name in INTS:
            info = np.iinfo(npd)
            lo = draw(st.sampled_from([info.min, 0, -3])) if info.min < 0 else 0
            hi = draw(st.sampled_from([info.max, 9, 200]))
            rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
            arr = rng.integers(max(lo, info.min), min(hi, info.max), n, endpoint=True).astype(npd)
        elif name in COMPLEX:
            arr = draw(float_values(shape)) + 1j * draw(float_values(shape))
        else:
            arr = draw(float_values(shape))
        arr = np.asarray(arr).reshape(shape).astype(npd)
    return arr, name


printopts = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 8),
        "threshold": st.sampled_from([1000, 1, 5, 20, 50, math.inf]),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(10, 160),
        "profile": st.sampled_from(["default", "short", "full"]),
        "sci_mode": st.sampled_from([None, True, False]),
    },
)


# ---------------------------------------------------------------- tests


@settings(suppress_health_check=SUPPRESS)
@given(arrays())
def test_repr_matches_torch(case: tuple[np.ndarray, str]) -> None:
    arr, name = case
    ours, theirs = both_repr(arr, name)
    assert ours == theirs


@settings(suppress_health_check=SUPPRESS)
@given(arrays(), printopts)
def test_repr_matches_torch_with_printoptions(case: tuple[np.ndarray, str], opts: dict) -> None:
    arr, name = case
    torch.set_printoptions(**opts)
    _printing.set_printoptions(**opts)
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    ours, theirs = both_repr(arr, name)
    assert ours == theirs


@settings(suppress_health_check=SUPPRESS)
@given(arrays(FLOATS + COMPLEX), st.sampled_from(["leaf", "mul"]), st.integers(10, 100))
def test_autograd_suffixes(case: tuple[np.ndarray, str], how: str, linewidth: int) -> None:
    arr, name = case
    torch.set_printoptions(linewidth=linewidth)
    _printing.set_printoptions(linewidth=linewidth)
    leaf = to_torch(arr, name).requires_grad_()
    if how == "leaf":
        theirs, ours = leaf, fake(arr, name, requires_grad=True)
    else:
        theirs = leaf * 1  # complex nan*1 is not exact: print the product's own values
        out = theirs.detach()
        out_arr = out.float().numpy().astype(NP[name]) if name == "bfloat16" else out.numpy()
        ours = fake(out_arr, name, requires_grad=True, grad_fn=FakeGradFn(type(theirs.grad_fn).__name__))
        ours.is_leaf = False
    assert repr(ours) == repr(theirs)


@settings(suppress_health_check=SUPPRESS)
@given(arrays(), st.sampled_from([torch.float64, torch.float16, torch.bfloat16]))
def test_default_dtype_changes_suffixes(case: tuple[np.ndarray, str], default: torch.dtype) -> None:
    arr, name = case
    torch.set_default_dtype(default)
    tdt.set_default_dtype(getattr(tdt, str(default).removeprefix("torch.")))
    ours, theirs = both_repr(arr, name)
    assert ours == theirs


@settings(suppress_health_check=SUPPRESS)
@given(arrays(), st.text(max_size=20), st.booleans())
def test_tensor_contents(case: tuple[np.ndarray, str], contents: str, grad: bool) -> None:
    arr, name = case
    grad = grad and name in FLOATS + COMPLEX
    t = to_torch(arr, name).requires_grad_(grad)
    ours = _printing._tensor_repr(fake(arr, name, requires_grad=grad), tensor_contents=contents)
    assert ours == torch._tensor_str._str(t, tensor_contents=contents)


def test_device_suffix(monkeypatch: pytest.MonkeyPatch) -> None:
    # torch prints the device when it differs from the default device; pretend the default is cuda
    monkeypatch.setattr(torch._C, "_get_default_device", lambda: "cuda")
    monkeypatch.setattr(_printing, "_default_device_type", lambda: "cuda")
    for arr in [
        np.arange(3.0),
        np.zeros((0, 2)),
        np.zeros((0, 2), np.int32),
        np.linspace(-1e5, 3, 60).reshape(3, 20),
    ]:
        name = str(arr.dtype)
        assert repr(fake(arr, name)) == repr(to_torch(arr, name))
        if arr.dtype.kind == "f":
            assert repr(fake(arr, name, requires_grad=True)) == repr(to_torch(arr, name).requires_grad_())


def test_device_suffix_non_default_device() -> None:
    t = fake(np.arange(2.0, dtype=np.float32), "float32", device=FakeDevice("cuda", 0))
    cpu = repr(to_torch(np.arange(2.0, dtype=np.float32), "float32"))
    assert repr(t) == cpu[:-1] + ", device='cuda:0')"


@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (1, 0, 4)])
def test_size_repr(shape: tuple[int, ...]) -> None:
    assert _printing._size_repr(shape) == repr(torch.Size(shape))


@settings(suppress_health_check=SUPPRESS)
@given(st.lists(printopts, max_size=4))
def test_get_printoptions_and_context_manager(seq: list[dict]) -> None:
    for opts in seq:
        torch.set_printoptions(**opts)
        _printing.set_printoptions(**opts)
        assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    before = _printing.get_printoptions()
    with (
        _printing.printoptions(precision=1, linewidth=30),
        torch._tensor_str.printoptions(precision=1, linewidth=30),
    ):
        assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
        arr = np.linspace(0, 1, 25, dtype=np.float32)
        assert repr(fake(arr, "float32")) == repr(torch.from_numpy(arr))
    assert _printing.get_printoptions() == before == torch._tensor_str.get_printoptions()


try:  # the real Tensor is optional here: the fake-tensor tests above do not need it
    import jax
    import jax.numpy as jnp

    from torchish._tensor import _wrap
except ImportError:  # pragma: no cover - while torchish._tensor is being written
    _wrap = None

# without jax's x64 mode, 64-bit arrays would silently narrow
WIDE = {"int64", "float64", "complex128"}


@pytest.mark.skipif(_wrap is None, reason="torchish._tensor._wrap not available")
@settings(suppress_health_check=SUPPRESS)
@given(arrays(), st.booleans(), printopts)
def test_real_tensor_repr(case: tuple[np.ndarray, str], grad: bool, opts: dict) -> None:
    arr, name = case
    if name in WIDE and not jax.config.jax_enable_x64:
        return
    grad = grad and name in FLOATS + COMPLEX
    torch.set_printoptions(**opts)
    _printing.set_printoptions(**opts)
    ours = _wrap(jnp.asarray(arr), requires_grad=grad)
    theirs = to_torch(arr, name).requires_grad_(grad)
    assert repr(ours) == repr(theirs)
    assert str(ours) == str(theirs)


@pytest.mark.parametrize(
    "values",
    [
        [5.0],
        1.0,
        [1.0, 2.5],
        [1e10, 1.0],
        [-0.0, 0.0],
        -0.0,
        [np.nan, np.inf, -np.inf],
        [1.0, np.nan],
        [1e-5, 1.0],
        [123456789.0],
        [0.1, 12345.678],
        [[1e-300, 1e300]],
        [65504.0, 6e-8],
    ],
)
@pytest.mark.parametrize("name", FLOATS)
def test_examples(values: Any, name: str) -> None:
    with np.errstate(over="ignore"):
        arr = np.asarray(values, np.float64).astype(np_dtype(name))
    ours, theirs = both_repr(arr, name)
    assert ours == theirs
