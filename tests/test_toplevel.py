"""torch's top-level helpers against torch: constants, finfo / iinfo, the process settings, compile / jit, shape
helpers, window functions, nn.functional's top-level forms and the top-level forms of Tensor methods."""

from __future__ import annotations

import contextlib
import functools
import importlib
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import torchish

from .nn_common import FEW, check
from .test_ops_composites import _same_as_torch

_RNG = np.random.default_rng(0)
_A = _RNG.standard_normal((2, 3, 8)).astype(np.float32)  # an (N, C, L) input
_W = _RNG.standard_normal((4, 3, 3)).astype(np.float32)  # conv1d weights
_P = _RNG.uniform(0.05, 0.95, (2, 3)).astype(np.float32)  # probabilities


def _scope(m):
    return {
        "m": m,
        "x": m.arange(12.0).reshape(3, 4),
        "v": m.arange(6.0),
        "c": m.arange(24.0).reshape(2, 3, 4),
        "i": m.tensor([4, 6]),
        "a": m.tensor(_A),
        "w": m.tensor(_W),
        "p": m.tensor(_P),
    }


_DTYPES = "float16 bfloat16 float32 float64 complex64 complex128 uint8 int8 int16 int32 int64 bool".split()

_INFO = [
    *(f"m.finfo(m.{d})" for d in _DTYPES),
    *(f"m.iinfo(m.{d})" for d in _DTYPES),
    *(f"str(m.finfo(m.{d}))" for d in _DTYPES[:4]),
    *(f"[(f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, f.dtype) for f in [m.finfo(m.{d})]]"
      for d in _DTYPES[:6]),
    *(f"[(f.bits, f.min, f.max, f.dtype, type(f.max)) for f in [m.iinfo(m.{d})]]" for d in _DTYPES[6:11]),
    "m.finfo()", "m.finfo(type=m.float16)", "m.iinfo(type=m.int8)", "m.finfo(float)", "m.iinfo(int)",
    "m.finfo(5)", "m.finfo(None)", "m.finfo('float32')", "m.iinfo(None)", "m.iinfo()",
    "m.finfo(m.float32) == m.finfo(m.complex64)", "m.finfo(m.float32) != m.finfo(m.float64)",
    "m.iinfo(m.int8) == m.iinfo(m.int8)", "m.finfo(m.float32) == m.iinfo(m.int32)",
    "isinstance(m.finfo(), m.finfo)", "type(m.finfo().eps), type(m.finfo().dtype)",
    "(m.pi, m.e, m.inf, m.newaxis, m.nan != m.nan)", "x[:, m.newaxis].shape",
]  # fmt: skip


@pytest.mark.parametrize("expr", _INFO)
def test_constants_and_dtype_info(expr):
    _same_as_torch(expr, _scope)


_SHAPES = [
    "m.broadcast_shapes((2,), (3, 1), (1, 1, 1))", "m.broadcast_shapes()", "m.broadcast_shapes(3, (2, 3))",
    "m.broadcast_shapes((2,), (3,))", "m.broadcast_shapes((2, 3), (4, 1, 3), (5,))", "m.broadcast_shapes('ab')",
    "m.broadcast_shapes(m.Size([2]), [1])", "m.broadcast_shapes((-1,), (1,))", "m.broadcast_shapes((1,), (-1,))",
    "m.broadcast_shapes(None, (2,))", "m.broadcast_shapes(2.5)", "m.broadcast_shapes([2, 3], [2])",
    "m.broadcast_shapes((0,), (1,))", "m.broadcast_shapes((2, 1), (1, 0))",
    "m.hsplit(x, 2)", "m.hsplit(x, 3)", "m.hsplit(x, [1, 3])", "m.hsplit(v, 3)", "m.hsplit(v, 4)",
    "m.hsplit(m.tensor(1.), 1)", "m.vsplit(v, 2)", "m.vsplit(x, 3)", "m.vsplit(x, 2)", "m.dsplit(x, 2)",
    "m.dsplit(c, 2)", "m.dsplit(c, [1])", "m.hsplit(x, 0)", "m.hsplit(x, (1,))", "m.hsplit(x, -1)",
    "m.hsplit(x, 2.5)", "m.hsplit(x, [1.5])", "m.hsplit(x, indices=[1])", "m.hsplit(x, sections=2)",
    "m.hsplit(x, [])", "m.hsplit(x, [3, 1])", "m.hsplit(x, [5])", "m.hsplit(x, m.tensor(2))", "x.hsplit(2)",
    "c.dsplit([1, 2])", "x.vsplit([1])", "m.hsplit(3, 2)", "m.hsplit(3, [1])", "m.hsplit(x, [1.5, 2])",
    "m.vsplit(x, None)", "m.dsplit(x, (1,))", "m.dsplit(x, 'a')",
    "m.argwhere(x > 5)", "m.argwhere(m.tensor(1.))", "m.argwhere(m.tensor(0.))", "m.argwhere(3)",
    "(x > 5).argwhere()", "m.argwhere(m.zeros(2, 0))",
    "m.row_stack([v, v])", "m.row_stack((v, x[:, :2].reshape(-1)[:6]))", "m.row_stack(v)", "m.row_stack([v, x])",
    "m.diagflat(m.tensor([1., 2.]), 1)", "m.diagflat(x, -2).shape", "m.diagflat(m.tensor(3.))",
    "m.diagflat(x, offset=1).shape", "m.diagflat(m.tensor([]))", "m.diagflat(x.bool()).dtype", "v[:2].diagflat()",
    "m.chain_matmul(x, x.T)", "m.chain_matmul(x)", "m.chain_matmul(v)", "m.chain_matmul()",
    "m.chain_matmul(x, v)", "m.chain_matmul(x, x)", "m.chain_matmul(x, x.T, x)", "m.chain_matmul(x.long(), x.T.long())",
    "m.frobenius_norm(x)", "m.frobenius_norm(x, (0, 1))", "m.frobenius_norm(x, [1], True)",
    "m.frobenius_norm(x, dim=[0, 1])", "m.frobenius_norm(x, (0, 1, 1))", "m.frobenius_norm(x.long(), (0,))",
    "m.frobenius_norm(x, ())", "m.frobenius_norm(x, 0)",
    "m.nuclear_norm(x)", "m.nuclear_norm(x, True)", "m.nuclear_norm(c, (1, 2))",
    "m.nuclear_norm(c, dim=(0, 2), keepdim=True)", "m.nuclear_norm(v)", "m.nuclear_norm(c)",
    "m.nuclear_norm(x, (0,))", "m.nuclear_norm(x.long())", "m.nuclear_norm(x, 0)", "m.nuclear_norm(x, (0, -2))",
    "m.nuclear_norm(x, (0, 5))", "m.nuclear_norm(c, (0, 1, 2))",
    "m.empty_strided((2, 3), (1, 2)).stride()", "m.empty_strided((2, 3), (3, 1)).stride()",
    "m.empty_strided((2, 3), (1, 2), dtype=m.int64).dtype", "m.empty_strided((2, 3), (1,))",
    "m.empty_strided((2, 3), (-1, 1))", "m.empty_strided((2, -3), (1, 1))", "m.empty_strided((2, 3), (0, 1)).stride()",
    "[(t.storage_offset(), t.is_leaf, t._base, t.is_contiguous()) for t in [m.empty_strided((2, 3), (10, 1))]]",
    "m.empty_strided((2, 3), (1, 2), requires_grad=True).requires_grad", "m.empty_strided([], []).shape",
    "m.empty_strided(2, 1)", "m.empty_strided((0, 3), (3, 1)).shape", "(m.empty_strided((2, 3), (1, 2)) + 1).stride()",
]  # fmt: skip


@pytest.mark.parametrize("expr", _SHAPES)
def test_shape_helpers(expr):
    _same_as_torch(expr, _scope)


# argument checks in torch's order and with its texts
_ARG_CHECKS = [
    "m.nonzero(m.tensor(3.0))", "m.nonzero(m.tensor(0.0))", "m.tensor(2.0).nonzero(as_tuple=True)",
    "m.argwhere(m.tensor(3.0))",
    "m.linalg.vector_norm(x, 2, dim=())", "m.linalg.vector_norm(x, 3, dim=[], keepdim=True)",
    "m.linalg.matrix_norm(v)", "m.linalg.matrix_norm(x, dim=(0, 2))", "m.linalg.matrix_norm(x, ord=3)",
    "m.linalg.matrix_norm(x, ord=0.5)", "m.linalg.matrix_norm(x, ord='abc')", "m.linalg.matrix_norm(x, dim=(0, 0))",
    "m.linalg.matrix_norm(x, dim=(1, -1))", "m.linalg.matrix_norm(x, dim=(0,))",
    "m.linalg.matrix_norm(x, dim=(0, 1, 0))", "m.linalg.matrix_norm(x.long())", "m.linalg.matrix_norm(v.long(), ord=7)",
    "m.linalg.matrix_norm(x.long(), dim=(0, 0))",
    "m.linalg.matrix_norm(x.half(), ord=2)", "m.linalg.matrix_norm(x.half(), ord='nuc')",
    "m.linalg.matrix_norm(x.half(), ord=1)", "m.linalg.matrix_norm(x.half())", "m.linalg.matrix_norm(c, dim=(0, 2))",
    "m.cat(v)", "m.concat(v)", "m.stack(v)", "m.hstack(v)", "m.vstack(v)", "m.dstack(v)", "m.column_stack(v)",
    "m.row_stack(v)", "m.cat(tensors=v)", "m.concat(tensors=v)", "m.hstack(tensors=v)", "m.column_stack(tensors=v)",
    "m.row_stack(tensors=v)", "m.concatenate([v, v], 0)", "m.hstack(tensors=[v, v])",
    "m.nn.functional.embedding(i, v)", "m.nn.functional.embedding(i.float(), v)",
    "m.nn.functional.embedding(m.tensor([0, 1]), v, max_norm=1.0)",
    "m.nn.functional.embedding(m.tensor([0.0, 1.0]), x, max_norm=1.0)", "m.embedding(v, m.tensor([0, 1]))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _ARG_CHECKS)
def test_argument_checks(expr):
    _same_as_torch(expr, _scope)


_DEPRECATED = [
    ("chain_matmul", "m.chain_matmul(x, x.T)"),
    ("frobenius_norm", "m.frobenius_norm(x, (0, 1))"),
    ("nuclear_norm", "m.nuclear_norm(x, (0, 1))"),
]


@pytest.mark.parametrize(("key", "expr"), _DEPRECATED)
def test_deprecation_warnings_once_or_always(key, expr):
    """TORCH_WARN_ONCE: once per process (whichever test came first), every time under set_warn_always."""
    texts = []
    for m in (torch, torchish):
        with _restoring(m.set_warn_always, m.is_warn_always_enabled, False):
            m.set_warn_always(True)
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                eval(expr, _scope(m))
                eval(expr, _scope(m))
        texts.append([(x.category, str(x.message)) for x in w])
    assert texts[1] == texts[0] and len(texts[0]) == 2
    with warnings.catch_warnings(record=True) as w:  # warned already: silent now
        warnings.simplefilter("always")
        eval(expr, _scope(torchish))
        eval(expr, _scope(torchish))
    assert len(w) <= 1  # (once, if every earlier warning came under set_warn_always, which leaves the flag unset)
    with warnings.catch_warnings():  # (torch's once used up too: a later test's first call finds both silent)
        warnings.simplefilter("ignore")
        eval(expr, _scope(torch))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        eval(expr, _scope(torchish))
    assert not w


_WARN_ONCE_SCRIPT = """
import warnings, {m} as m
x = m.ones(2, requires_grad=True).sum()
conv = m.nn.Conv1d(1, 1, 4, padding="same")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    for always in (True, True, False, False, True, False):
        m.set_warn_always(always)
        float(x)
        conv(m.ones(1, 1, 5))
print([str(x.message)[:20] for x in w])
"""


def test_warn_once_under_set_warn_always_leaves_the_flag_unset():
    """torch's TORCH_WARN_ONCE warns every time under set_warn_always(True) without using up its once: the first
    call without it warns still (a fresh process each, as the flag is per process)."""
    out = [
        subprocess.run(
            [sys.executable, "-c", _WARN_ONCE_SCRIPT.format(m=m)], capture_output=True, text=True, check=True
        )
        for m in ("torch", "torchish")
    ]
    assert out[1].stdout == out[0].stdout and out[0].stdout.count("Converting") == 4


# --------------------------------------------------------------------------------------------- windows

_WINDOWS = [
    "m.hann_window(-1)", "m.hann_window(0)", "m.hann_window(1)", "m.hann_window(1, periodic=False)",
    "m.hann_window(5, dtype=m.int64)", "m.hann_window(-1, dtype=m.int64)", "m.kaiser_window(3, dtype=m.uint8)",
    "m.bartlett_window(3, dtype=m.bool)", "m.blackman_window(3, dtype=m.int8)", "m.hamming_window(3, dtype=m.int16)",
    "m.hann_window(3, dtype=m.int32)", "m.hann_window(3, dtype=m.complex64)", "m.kaiser_window(3, dtype=m.complex128)",
    "m.hann_window(0, dtype=m.complex64)", "m.hann_window(2.5)", "m.hamming_window(2.5)", "m.hann_window(True)",
    "m.kaiser_window(1)", "m.kaiser_window(0)", "m.kaiser_window(-2)", "m.bartlett_window(2, periodic=False)",
    "m.blackman_window(1, periodic=False)", "m.hann_window(window_length=3)", "m.hann_window(3, pin_memory=False)",
    "m.hann_window(5, layout=m.strided if hasattr(m, 'strided') else None)", "m.hann_window(5, device='cpu')",
    "m.hann_window(4, False, dtype=m.float64, requires_grad=True)", "m.hann_window(1, requires_grad=True)",
    "[(t._base, t.is_leaf, t.stride(), t.grad_fn) for t in [m.hann_window(5, requires_grad=True)]]",
    "m.hann_window(3, dtype=m.bfloat16)", "m.hamming_window(5, True, 0.5)",
    "m.hamming_window(5, True, 0.5, 0.3)", "m.kaiser_window(5, False, 5.0)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _WINDOWS)
def test_window_calls_and_errors(expr):
    _same_as_torch(expr.replace("layout=m.strided if hasattr(m, 'strided') else None", "layout=None"), _scope)


_WINDOW_FNS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]
_FLOATS = ["float32", "float64", "float16", "bfloat16"]


@given(
    fn=st.sampled_from(_WINDOW_FNS),
    n=st.integers(0, 70),
    periodic=st.booleans(),
    dtype=st.sampled_from(_FLOATS),
    extra=st.sampled_from([(), (0.3,), (0.6, 0.2)]),
)
@FEW
def test_window_values(fn, n, periodic, dtype, extra):
    """Values to float rounding (torch's cos / i0 are SLEEF's and Cephes', XLA's its own)."""
    extra = extra[: {"hamming_window": 2, "kaiser_window": 1}.get(fn, 0)]
    tol = {"float32": 2e-6, "float64": 1e-13, "float16": 1e-3, "bfloat16": 8e-3}[dtype]

    def scenario(m):
        args = [e * 10 for e in extra] if fn == "kaiser_window" else extra
        w = getattr(m, fn)(n, periodic, *args, dtype=getattr(m, dtype), requires_grad=n % 2 == 0)
        return w.detach().double(), str(w.dtype), w.requires_grad, w.is_leaf, w.stride()  # (numpy has no bfloat16)

    check(scenario, rtol=tol, atol=tol)


@pytest.mark.parametrize("fn", _WINDOW_FNS)
def test_window_values_long(fn):
    check(lambda m: [getattr(m, fn)(400, p) for p in (True, False)], rtol=2e-6)


def test_window_default_dtype():
    for m in (torch, torchish):
        with _restoring(m.set_default_dtype, m.get_default_dtype, m.float32):
            m.set_default_dtype(m.float64)
            assert m.hann_window(3).dtype is m.float64 and m.finfo().dtype == "float64"


# --------------------------------------------------------------------------------------------- settings


@contextlib.contextmanager
def _restoring(setter, getter, value=None):
    before = getter() if value is None else value
    try:
        yield
    finally:
        setter(before)


_SETTINGS = [
    "m.set_num_threads(0)", "m.set_num_threads(-1)", "m.set_num_threads(2.5)", "m.set_num_threads(True)",
    "m.set_num_interop_threads(0)", "m.set_float32_matmul_precision(3)",
    "m.use_deterministic_algorithms(1)", "m.use_deterministic_algorithms('a')",
    "m.use_deterministic_algorithms(True, warn_only=1)",
    "m.set_deterministic_debug_mode('bogus')", "m.set_deterministic_debug_mode(3)",
    "m.set_deterministic_debug_mode(1.0)", "m.set_warn_always(1)", "m.set_default_device('bogus')",
    "m.set_flush_denormal(1)", "m.set_flush_denormal('a')", "m.is_inference(3)", "m.get_device(3)", "m.is_storage(3)",
    "m.is_storage(x)", "m.is_same_size(m.ones(1), 3)", "m.is_same_size(x, x)", "m.is_same_size(x, v)",
    "m.is_signed(x)", "m.is_signed(x.byte())", "m.get_device(x)", "m.is_inference(x)", "m.get_default_device()",
    "m.get_float32_matmul_precision()", "m.are_deterministic_algorithms_enabled()", "m.get_deterministic_debug_mode()",
    "m.is_deterministic_algorithms_warn_only_enabled()", "m.is_warn_always_enabled()",
    "m.detach(x)", "m.detach(3)", "m.fill(v, 2)", "m.fill(v, m.tensor(3))", "m.fill(i, 2.5)", "m.fill(v, m.ones(2))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _SETTINGS)
def test_settings_calls_and_errors(expr):
    _same_as_torch(expr, _scope)


def test_is_inference():
    for m in (torch, torchish):
        with m.inference_mode():
            t = m.ones(2)
        assert m.is_inference(t) and not m.is_inference(m.ones(2))


def test_num_threads():
    for m in (torch, torchish):
        with _restoring(m.set_num_threads, m.get_num_threads):
            m.set_num_threads(3)
            assert m.get_num_threads() == 3
    assert torchish.get_num_interop_threads() >= 1
    # torch takes it once, and never once parallel work started (it has, here): only torchish's first call passes
    torchish.set_num_interop_threads(3)
    assert torchish.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="^Error: cannot set number of interop threads after parallel work has "):
        torchish.set_num_interop_threads(4)


def test_matmul_precision():
    a = torchish.tensor(_P)
    full = (a @ a.T).numpy()
    for m in (torch, torchish):
        with _restoring(m.set_float32_matmul_precision, m.get_float32_matmul_precision, "highest"):
            m.set_float32_matmul_precision("medium")
            if m is torchish and not torchish.cuda.is_available():  # (CPU matmuls stay float32)
                assert np.array_equal((a @ a.T).numpy(), full)
            m.set_float32_matmul_precision("high")
            with pytest.warns(UserWarning, match="HIGH is not one of 'highest', 'high', or 'medium'; the current"):
                m.set_float32_matmul_precision("HIGH")
            assert m.get_float32_matmul_precision() == "high"
    import jax

    assert jax.config.jax_default_matmul_precision == "highest"


def test_deterministic_modes():
    seen = []
    for m in (torch, torchish):
        with _restoring(m.set_deterministic_debug_mode, m.get_deterministic_debug_mode, 0):
            state = lambda: (  # noqa: E731
                m.are_deterministic_algorithms_enabled(),
                m.is_deterministic_algorithms_warn_only_enabled(),
                m.get_deterministic_debug_mode(),
            )
            row = [state()]
            for call in (
                lambda: m.use_deterministic_algorithms(True),
                lambda: m.use_deterministic_algorithms(True, warn_only=True),
                lambda: m.use_deterministic_algorithms(False, warn_only=True),
                lambda: m.set_deterministic_debug_mode("warn"),
                lambda: m.set_deterministic_debug_mode(2),
                lambda: m.set_deterministic_debug_mode("default"),
                lambda: m.set_deterministic_debug_mode("error"),
            ):
                call()
                row.append(state())
        seen.append(row)
    assert seen[1] == seen[0]


def test_warn_always_and_flush_denormal():
    for m in (torch, torchish):
        with _restoring(m.set_warn_always, m.is_warn_always_enabled, False):
            m.set_warn_always(True)
            assert m.is_warn_always_enabled()
        assert not m.is_warn_always_enabled()
    try:
        assert torch.set_flush_denormal(True) and torchish.set_flush_denormal(True)
    finally:
        torch.set_flush_denormal(False)
    # torchish can't stop XLA flushing denormals: it says so (torch here says True)
    assert torchish.set_flush_denormal(False) is False


def test_default_device():
    if torchish.cuda.is_available():
        pytest.skip("torchish's factories place tensors on the GPU here: set_default_device('cpu') is refused")
    for m in (torch, torchish):
        try:
            m.set_default_device("cpu")
            assert m.get_default_device() == m.device("cpu") and m.ones(1).device.type == "cpu"
            m.set_default_device(m.device("cpu"))
            m.set_default_device("cpu:0")
            m.set_default_device(None)
            assert repr(m.get_default_device()) == "device(type='cpu')"
        finally:
            m.set_default_device(None)
    if not torchish.cuda.is_available():
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            torchish.set_default_device("cuda")
    with pytest.raises(NotImplementedError, match="set_default_device"):
        torchish.set_default_device("meta")
    assert torchish.get_default_device() == torchish.device("cpu")


# --------------------------------------------------------------------------------------------- compile / jit


def _model(m):
    m.manual_seed(0)
    return m.nn.Sequential(m.nn.Linear(3, 2), m.nn.ReLU())


def _compile(m):
    """torch.compile, torch's side on its eager backend (inductor's C++ builds take seconds)."""
    return functools.partial(torch.compile, backend="eager") if m is torch else m.compile


def _double_sum(t):
    return (t * 2).sum()


@pytest.mark.parametrize(
    "form",
    [
        lambda m, f: _compile(m)(f),
        lambda m, f: _compile(m)()(f),
        lambda m, f: _compile(m)(mode="reduce-overhead", fullgraph=True)(f),
        lambda m, f: _compile(m)(f, disable=True),
        lambda m, f: m.jit.script(f),
        lambda m, f: m.jit.trace(f, (m.ones(2, 3),)),
        lambda m, f: m.jit.ignore(f),
        lambda m, f: m.jit.ignore(drop=True)(f),
        lambda m, f: m.jit.unused(f),
        lambda m, f: m.jit.export(f),
        lambda m, f: m.compiler.disable(f),
        lambda m, f: m.compiler.disable(recursive=False)(f),
    ],
)
def test_compile_and_jit_forms_compute_the_same(form):
    """The function and the Module forms; values and grads (torch's compiled graphs have their own grad_fn)."""

    def scenario(m):
        model, x = _model(m), m.linspace(-1, 1, 6).reshape(2, 3)
        fn, mod = form(m, _double_sum), form(m, model)
        y, z = fn(x), mod(x)
        return y.detach(), z.detach(), m.autograd.grad(z.sum(), list(model.parameters()))

    check(scenario)


def test_compile_decorators_and_errors():
    for m in (torch, torchish):

        @_compile(m)
        def f(x):
            return x + 1

        @_compile(m)(mode="max-autotune-no-cudagraphs", fullgraph=True)
        def g(x):
            return x * 2

        @m.jit.script
        def h(x):
            return x - 1

        x = m.ones(2)
        assert (f(x) + g(x) + h(x)).tolist() == [4.0, 4.0]
        assert not m.jit.is_scripting() and not m.jit.is_tracing() and not m.compiler.is_compiling()
        assert m.jit.annotate(list, [1]) == [1] and m.jit.wait(m.jit.fork(lambda a: a + 1, 1)) == 2

        class M(m.nn.Module):
            c: m.jit.Final[int] = 2

            @m.jit.ignore
            def helper(self):
                return 1

            @m.jit.export
            def forward(self, x):
                return x * self.c + self.helper()

        assert _compile(m)(M())(x).tolist() == [3.0, 3.0]
    for expr in [
        "m.compile(lambda x: x, mode='bogus')", "m.compile(lambda x: x, mode='default', options={})",
        "m.compile(lambda x: x, backend='bogus')", "m.compile()(None)", "m.compile(3)",
    ]:  # fmt: skip
        _same_as_torch(expr, _scope)
    f = lambda t: t  # noqa: E731
    assert torchish.compile(f, backend="aot_eager") is f and torchish.compile(f, dynamic=True, options={}) is f
    # a module of sys.modules: imports find it
    assert importlib.import_module("torchish.jit") is torchish.jit
    assert importlib.import_module("torchish.compiler") is torchish.compiler
    _same_as_torch("m.jit.ignore(3)", _scope)
    check(lambda m: m.jit.ignore(drop_on_export=True)(_double_sum)(m.ones(2)))


# --------------------------------------------------------------------------------------------- nn forms

# the forms torch's F shares with the top level (the same function object in both)
_ALIASES = (
    "conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity pairwise_distance "
    "bilinear prelu pixel_shuffle pixel_unshuffle channel_shuffle native_channel_shuffle threshold_ "
    "adaptive_avg_pool1d"
).split()


@pytest.mark.parametrize("name", _ALIASES)
def test_nn_forms_shared_with_functional(name):
    _same_as_torch(f"m.{name} is m.nn.functional.{name}", _scope)


_NN = [
    "m.conv1d(a, w)", "m.conv1d(a, w, m.ones(4), 2, 1)", "m.conv_transpose1d(a, w.transpose(0, 1))",
    "m.dropout(a, 0.5, False)", "m.dropout(a, 0.0, True)", "m.dropout(a, 1.0, True)", "m.dropout(a, 1.5, True)",
    "m.dropout(a, -0.1, False)", "m.dropout(3, 0.5, True)", "m.dropout_(a.clone(), 1.0, True)",
    "m.feature_dropout(v, 0.5, True)", "m.feature_dropout(v, 0.5, False)", "m.feature_dropout_(a.clone(), 0., True)",
    "m.layer_norm(a, (8,))", "m.layer_norm(a, [3, 8], m.ones(3, 8), m.zeros(3, 8), 1e-3)", "m.layer_norm(a, 8)",
    "m.group_norm(a, 3)", "m.group_norm(a, 1, m.ones(3), m.zeros(3), 1e-3, True)",
    "m.batch_norm(a, m.ones(3), m.zeros(3), m.zeros(3), m.ones(3), True, 0.1, 1e-5, True)",
    "m.batch_norm(a, None, None, m.zeros(3), m.ones(3), False, 0.1, 1e-5, False)",
    "m.instance_norm(a, m.ones(3), m.zeros(3), m.zeros(3), m.ones(3), True, 0.1, 1e-5, False)",
    "m.embedding(w[0], m.tensor([0, 2, 2]))", "m.embedding(w[0], m.tensor([0, 2]), 5)", "m.embedding(w[0], v[:2])",
    "m.selu(a)", "m.celu(a, 0.5)", "m.hardshrink(a, 0.8)", "a.hardshrink(0.3)", "a.prelu(m.tensor([0.1, 0.2, 0.3]))",
    "m.threshold(a, 0.1, 20.)", "m.selu_(a.clone())", "m.celu_(a.clone(), 2.)", "m.threshold_(a.clone(), 0.1, 20.)",
    "m.kl_div(p.log(), p.flip(0))", "m.kl_div(p.log(), p.flip(0), 2)", "m.kl_div(p.log(), p.flip(0), 1)",
    "m.kl_div(p.log(), p.flip(0).log(), 1, log_target=True)", "m.kl_div(p.log(), p, 'mean')",
    "m.binary_cross_entropy_with_logits(p, p.flip(0))",
    "m.binary_cross_entropy_with_logits(p, p.flip(0), m.ones(3), m.full((3,), 2.), 1)",
    "m.margin_ranking_loss(p[0], p[1], m.ones(3), 0.5, 2)", "m.hinge_embedding_loss(p, m.tensor([1., -1, 1]))",
    "m.hinge_embedding_loss(p, m.ones(3), 1.0, 5)", "m.hinge_embedding_loss(p, m.ones(3), 1.0, True)",
    "m.poisson_nll_loss(p, p.flip(0), False, True, 1e-8, 1)", "m.cosine_embedding_loss(p, p, m.ones(2), 0.2)",
    "m.triplet_margin_loss(p, p.flip(0), p.flip(1))", "m.triplet_margin_loss(p, p, p.flip(1), 0.5, 1, 1e-6, True, 2)",
    "m.max_pool1d(a, 3, 2, 1, 1, True)", "m.max_pool2d(a, (1, 2), [])", "m.max_pool3d(a[None], 1)",
    "m.max_pool1d_with_indices(a, 2)", "m.avg_pool1d(a, 3, 2, 1, True, False)", "m.adaptive_max_pool1d(a, 3)",
    "type(m.adaptive_max_pool1d(a, 3))", "m.rms_norm(a, [8], m.ones(8), 1e-3)",
]  # fmt: skip


@pytest.mark.parametrize("expr", _NN)
def test_nn_forms(expr):
    check(lambda m: eval(expr, _scope(m)))


def _grad_of(expr):
    def scenario(m):
        s = _scope(m)
        s["a"].requires_grad_()
        s["w"].requires_grad_()
        s["p"].requires_grad_()
        out = eval(expr, s)
        out = out[0] if isinstance(out, tuple) else out
        return [m.autograd.grad((out * out.detach().sign()).sum(), s[k], allow_unused=True) for k in "awp"]

    return scenario


_GRADS = [
    "m.conv1d(a, w, None, 1, 1)", "m.batch_norm(a, w[0, :, 0], None, None, None, True, 0.1, 1e-5, True)",
    "m.embedding(w[0], m.tensor([0, 2, 2]), 2)", "m.kl_div(p.log(), p.flip(0).detach(), 1)", "m.fill(a, w.sum())",
    "m.chain_matmul(p, p.T, p)", "m.frobenius_norm(a, (1, 2))", "m.nuclear_norm(p)", "m.diagflat(p)",
    "m.hsplit(a, [1])[1]",
]  # fmt: skip


@pytest.mark.parametrize("expr", _GRADS)
def test_grads_through_top_level_forms(expr):
    check(_grad_of(expr), rtol=1e-4, atol=1e-5)


def test_dropout_draws_torchs_stream():
    def scenario(m):
        m.manual_seed(3)
        t = m.ones(4, 5, 2)
        return m.dropout(t, 0.3, True), m.feature_dropout(t, 0.5, True), m.dropout_(t, 0.5, True), t._version

    check(scenario)


# --------------------------------------------------------------------------------------------- Tensor-method forms

_POS = "m.tensor([0.25, 0.5, 0.75])"
_INPLACE_CALLS = [
    *(f"{n}(t)" for n in (
        "abs_ acos_ arccos_ asin_ arcsin_ atan_ arctan_ atanh_ arctanh_ asinh_ arcsinh_ ceil_ cos_ cosh_ deg2rad_ "
        "erf_ erfc_ exp2_ exp_ expm1_ fix_ floor_ frac_ i0_ log10_ log1p_ log2_ log_ logit_ neg_ negative_ "
        "rad2deg_ reciprocal_ relu_ round_ rsqrt_ sigmoid_ sin_ sinc_ sinh_ sqrt_ square_ tan_ tanh_ trunc_ zero_ "
        "nan_to_num_ detach_"
    ).split()),
    "acosh_(t + 1)", "arccosh_(t + 1)", "clamp_(t, 0.3, 0.6)", "clamp_max_(t, 0.3)", "clamp_min_(t, 0.3)",
    "clip_(t, max=0.5)", "fill_(t, 2)", "fill_(t, m.tensor(3.))", "logit_(t, 0.3)",
    "xlogy_(t, t + 1)", "ldexp_(t, m.tensor([1., 2, 3]))", "addmv_(t, m.ones(3, 2), m.ones(2), beta=2)",
    "index_put_(t, (m.tensor([0, 2]),), m.tensor(9.))", "index_put_(t, (m.tensor([0, 0]),), m.tensor(1.), True)",
    "gcd_(m.tensor([4, 6]), m.tensor([6, 4]))", "lcm_(m.tensor([4, 6]), m.tensor([6, 4]))", "abs_(3)",
    "clamp_(t)",
]  # fmt: skip


@pytest.mark.parametrize("call", _INPLACE_CALLS)
def test_inplace_top_level_forms(call):
    def scenario(m):
        t = eval(_POS, {"m": m})
        out = eval("m." + call, {"m": m, "t": t})
        return out, out is t, t, t._version

    check(scenario)
    fn = getattr(torchish, call.partition("(")[0])
    assert fn.__name__ == call.partition("(")[0] and fn.__module__ == "torchish"


def test_inplace_forms_under_autograd():
    """A leaf that requires grad refuses; a non-leaf records the op and its grad flows."""

    def scenario(m):
        w = m.tensor([0.5, 1.5], requires_grad=True)
        y = w * 2
        m.sigmoid_(y)
        m.clamp_(y, max=0.9)
        try:
            m.exp_(w)
        except RuntimeError as e:
            err = str(e)
        return y, y.grad_fn.name(), y._version, m.autograd.grad(y.sum(), w), err

    check(scenario)
