"""torch's Python arg parser where its words reach the user: integer lists (sizes, dims, repeats) as varargs or
sequences, with elements of every kind, and the random factories' overloads. Each call runs under torch and
torchish: the same result shape, or the same error type and text."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import torchish
from tests.engine_common import FEW

# name -> call taking (m, x, the list as given); x is a (2, 3) float tensor
CALLS = {
    "zeros": lambda m, x, a: m.zeros(*a),
    "ones(size=)": lambda m, x, a: m.ones(size=a[0] if len(a) == 1 else a),
    "empty": lambda m, x, a: m.empty(*a),
    "rand": lambda m, x, a: m.rand(*a),
    "randn(generator=)": lambda m, x, a: m.randn(*a, generator=m.Generator()),
    "full": lambda m, x, a: m.full(a[0] if len(a) == 1 else a, 1.5),
    "new_zeros": lambda m, x, a: x.new_zeros(*a),
    "new_full": lambda m, x, a: x.new_full(a[0] if len(a) == 1 else a, 2),
    "view": lambda m, x, a: x.view(*a),
    "reshape": lambda m, x, a: x.reshape(*a),
    "torch.reshape": lambda m, x, a: m.reshape(x, *a),
    "expand": lambda m, x, a: x.expand(*a),
    "repeat": lambda m, x, a: x.repeat(*a),
    "permute": lambda m, x, a: x.permute(*a),
    "torch.permute": lambda m, x, a: m.permute(x, *a),
    "flip": lambda m, x, a: x.flip(*a),
    "tile": lambda m, x, a: x.tile(*a),
    "broadcast_to": lambda m, x, a: m.broadcast_to(x, a[0] if len(a) == 1 else a),
    "randint": lambda m, x, a: m.randint(5, a[0] if len(a) == 1 else a),
    "empty_strided": lambda m, x, a: m.empty_strided(a[0] if len(a) == 1 else a, (1,) * len(a)),
}

# element kinds: a value under each module (m) from a drawn int
ELEMENTS = {
    "int": lambda m, n: n,
    "negative int": lambda m, n: -n - 2,
    "-1": lambda m, n: -1,
    "float": lambda m, n: float(n),
    "bool": lambda m, n: bool(n % 2),
    "None": lambda m, n: None,
    "str": lambda m, n: str(n),
    "numpy int": lambda m, n: np.int64(n),
    "numpy float": lambda m, n: np.float32(n),
    "int tensor": lambda m, n: m.tensor(n),
    "float tensor": lambda m, n: m.tensor(float(n)),
    "tuple": lambda m, n: (n,),
}
FORMS = ("varargs", "tuple", "list")


def _run(m, call, form, kinds, ints):
    x = m.arange(6.0).reshape(2, 3)
    items = [ELEMENTS[k](m, n) for k, n in zip(kinds, ints)]
    given = items if form == "varargs" else [tuple(items) if form == "tuple" else list(items)]
    try:
        return ("ok", tuple(CALLS[call](m, x, given).shape))
    except Exception as e:  # noqa: BLE001 - the error is the observable
        return (type(e).__name__, str(e))


@FEW
@given(
    st.sampled_from(sorted(CALLS)),
    st.sampled_from(FORMS),
    st.lists(st.sampled_from(sorted(ELEMENTS)), min_size=0, max_size=3),
    st.lists(st.integers(0, 3), min_size=3, max_size=3),
)
def test_int_list_arguments(call, form, kinds, ints):
    """Which element kinds torch takes as ints, the first element checked when matching ('found element of type
    float at pos 0'), a later one when unpacking ('failed to unpack the object at pos 2'), varargs only where the
    list is the only positional parameter, and the errors of what follows (negative sizes, shapes)."""
    assert _run(torchish, call, form, kinds, ints) == _run(torch, call, form, kinds, ints)


# functions with overloads (the random factories with and without a generator, arange's three): one that alone
# fits the count of arguments gives its own error, else torch lists them all
OVERLOAD_CALLS = [
    "m.randn(2, generator=1)", "m.randperm(5, 3)", "m.randint(0, 5.5, (2,))", "m.rand(2, dtype='a')",
    "m.randn(2, device=1.5)", "m.randperm(5, dtype='a')", "m.randperm(5, generator=1)", "m.randperm(5.0)",
    "m.rand(2, generator=g, dtype=1)", "m.randperm(-1)", "m.rand(2.0)", "m.rand((2.0, 3))",
    "m.randn(2, 3, requires_grad=1)", "m.randperm(5, requires_grad=1)", "m.randint(5, (2,), dtype=1)",
    "m.randint(5.0, (2,))", "m.randint(5)", "m.randint(1, 2, 3, 4)", "m.rand()", "m.randperm()",
    "m.randperm(n=5).shape", "m.rand(size=(2, 3)).shape", "m.randint(3, size=(2,)).shape",
    "m.randint(low=1, high=3, size=(2,)).shape", "m.randperm(5.0, generator=g)", "m.rand(2, foo=1)",
    "m.randint(0, 5, (2.0,))", "m.zeros(2, 3, dtype='float')", "m.ones(2, dtype=1)", "m.zeros(2, foo=1)",
    "m.zeros(np.array([2, 3]))", "m.ones(2, size=(2,))", "x.view()", "x.view(2, 3, dtype=m.int32)",
    "x.view(size=(6,), dtype=m.float32)", "x.reshape((3,), 2)", "x.expand(size=(2, 3), implicit=True).shape",
    "m.arange(1, 2, 'a')", "m.arange('a')", "m.arange(1, None)", "m.arange(1, 2, 3, 4)", "m.arange(end='a')",
    "m.arange()", "m.arange(1.5, dtype=1)", "m.arange(m.tensor([1, 2]))", "m.arange(1, 2, step=None)",
    "m.arange(1, end=5)", "m.arange(start=1, end=5)", "m.arange(step=2, end=6)", "m.arange(5, step=2)",
    "m.arange(m.tensor(3))", "m.arange(True)", "m.arange(1, 5, out=m.empty(0))", "m.arange(0, 1, 0.25)",
    "x.cumsum_(1, dtype=m.float64)", "x.long().cumsum_(1, dtype=m.float32)", "x.cumprod_(1, dtype=m.float64)",
    "x.cumsum_(1, dtype=m.float32).dtype", "x.index_fill_(1, m.tensor([0]), x)", "x.index_fill(1, m.tensor([0]), x)",
    "x.index_add(1, m.tensor([0]), x[:, :1], alpha=2.5)", "x.index_fill_(1, m.tensor([0]), m.tensor(2.))",
    # composites behind the parser: tensor_split, repeat_interleave, the norms (dtype= too), cummax
    "m.tensor_split(x, 2.0)", "m.tensor_split(x, 'a')", "m.tensor_split(x, indices=[1], dim=1)",
    "m.tensor_split(x, sections=2, dim=1)", "m.tensor_split(x, tensor_indices_or_sections=m.tensor(2), dim=1)",
    "x.tensor_split(2.5)", "m.tensor_split(x, m.tensor(2.))", "m.tensor_split(x, [1.5], 1)",
    "m.tensor_split(m.tensor(1.), m.tensor(2.))", "m.tensor_split(x, m.ones(2, 2, dtype=m.long))",
    "m.tensor_split(x, m.tensor([3, 1]), 1)", "m.tensor_split(x, -1)",
    "m.repeat_interleave(x, 2.0)", "m.repeat_interleave(x, 'a')", "m.repeat_interleave(m.tensor([1, 2]))",
    "m.repeat_interleave(x, 2, output_size=12)", "m.repeat_interleave(x, 2, output_size=5)",
    "x.repeat_interleave(m.tensor([1, 2]), 0, output_size=3)", "m.repeat_interleave(x, repeats=2)",
    "m.repeat_interleave(x, 2, 0, 5)", "m.repeat_interleave(x, [1, 2], 0)", "m.repeat_interleave(2)",
    "m.repeat_interleave(x, -1)", "m.repeat_interleave(x, m.tensor([-1, 1]), 0)",
    "m.repeat_interleave(x, m.tensor([[1]]), 0)",
    "m.repeat_interleave(x, m.tensor([1, 2, 1]), 0)", "m.repeat_interleave(x, m.tensor([1., 2]), 0)",
    "m.repeat_interleave(m.tensor([[1, 2]]))", "m.repeat_interleave(m.tensor([1, -2]))",
    "m.repeat_interleave(x, m.tensor(2), 1)",
    "m.repeat_interleave(m.tensor([1, 2]), output_size=4)", "m.repeat_interleave(repeats=m.tensor([1, 2]))",
    "m.repeat_interleave(x, m.tensor([2]), 1).grad_fn", "m.linalg.vector_norm(x, 'a')",
    "m.linalg.vector_norm(x, 2, 1, False, dtype=m.float64)", "m.linalg.vector_norm(x, 2, 1, False, m.float64)",
    "m.linalg.vector_norm(x, dtype=m.float16)", "m.linalg.vector_norm(x, dtype=m.int64)",
    "m.linalg.vector_norm(x, dtype=m.complex64)", "m.linalg.vector_norm(x.cfloat(), dtype=m.float64)",
    "m.linalg.vector_norm(x.cfloat() * (1 + 2j), dtype=m.complex128)", "m.linalg.vector_norm(x.long())",
    "m.linalg.vector_norm(x.long(), dtype=m.float64)", "m.linalg.vector_norm(x.half(), 3, dtype=m.float32)",
    "m.linalg.vector_norm(x, float('inf'), 1, dtype=m.float64)", "m.linalg.vector_norm(x, 0, dtype=m.float64)",
    "m.linalg.vector_norm(x, out=m.empty(0, dtype=m.float64))", "m.linalg.vector_norm(x, 1, 0, out=m.empty(5))",
    "m.linalg.norm(x, None, 1.0)", "m.linalg.norm(x, 'nuc', 1)", "m.linalg.norm(x, 2, dtype=m.float64)",
    "m.linalg.norm(x, dtype=m.float64)", "m.linalg.norm(x, 2, (0, 1, 1))", "m.linalg.norm(x.expand(2, 2, 3), 'fro')",
    "m.linalg.norm(x, dtype=m.int32)", "m.linalg.norm(x, 'fro', 1, False, m.float64, 1)",
    "m.linalg.matrix_norm(x, 2, 1)", "m.linalg.matrix_norm(x, 'nuc', dtype=m.int64)",
    "m.linalg.matrix_norm(x, 1, dtype=m.float16)", "m.linalg.matrix_norm(x, -1, dtype=m.float64)",
    "m.linalg.matrix_norm(x.cfloat(), 'nuc', dtype=m.float64)", "m.linalg.matrix_norm(x, 'nuc', dtype=m.float64)",
    "m.norm(x.long())", "m.norm(x, 'nuc', dtype=m.float64)", "m.norm(x, 'nuc', (0,))", "m.norm(x, 'abc')",
    "x.norm(2, 1, True, m.float64)", "m.norm(x, p=None)", "m.norm(x, 'fro', 1)", "m.norm(x.cfloat() * 1j, 1, 0)",
    "m.cummax(x)", "m.cummin(x, 0, 1)",
]  # fmt: skip


@pytest.mark.parametrize("expr", OVERLOAD_CALLS)
def test_overloads(expr):
    def run(m):
        try:
            return ("ok", repr(eval(expr, {"m": m, "np": np, "g": m.Generator(), "x": m.ones(2, 3)})))
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return (type(e).__name__, str(e))

    assert run(torchish) == run(torch)


# ops with dim arguments, as methods (args after self) or functions (self first); torch's parser words their errors
DIM_OPS = {
    "sum": "x.sum({})", "mean": "x.mean({})", "nansum": "x.nansum({})", "amax": "x.amax({})", "amin": "x.amin({})",
    "logsumexp": "x.logsumexp({})", "std": "x.std({})", "var": "x.var({})", "count_nonzero": "x.count_nonzero({})",
    "prod": "x.prod({})", "any": "x.any({})", "all": "x.all({})", "argmax": "x.argmax({})", "cumsum": "x.cumsum({})",
    "softmax": "x.softmax({})", "squeeze": "x.squeeze({})", "unsqueeze": "x.unsqueeze({})",
    "transpose": "x.transpose({}, 1)", "torch.sum": "m.sum(x, {})", "torch.cumsum": "m.cumsum(x, {})",
    "torch.amax": "m.amax(x, {})", "torch.cat": "m.cat([x, x], {})", "sum(dim=)": "x.sum(dim={})",
    "argmax(dim=)": "x.argmax(dim={})", "sum keepdim": "x.sum({}, True)", "std(unbiased)": "x.std({}, False)",
    "torch.std": "m.std(x, {})", "torch.any": "m.any(x, {})", "torch.squeeze": "m.squeeze(x, {})",
    "torch.count_nonzero": "m.count_nonzero(x, {})", "torch.prod": "m.prod(x, {})",
    # composites behind torch's parser (ops/_argparse.parsed), and in-place methods (positions without self)
    "flatten": "x.flatten({})", "flatten end": "x.flatten(0, {})", "torch.flatten": "m.flatten(x, {})",
    "flatten(start_dim=)": "x.flatten(start_dim={})", "unflatten": "x.unflatten({}, (3,))",
    "unflatten sizes": "x.unflatten(1, {})", "max": "x.max({})", "torch.max": "m.max(x, {})",
    "max(dim=)": "x.max(dim={})", "max keepdim": "x.max(1, {})", "min": "x.min({})", "torch.min": "m.min(x, {})",
    "median": "x.median({})", "torch.nanmedian": "m.nanmedian(x, {})", "narrow": "x.narrow({}, 0, 1)",
    "narrow start": "x.narrow(1, {}, 1)", "torch.narrow length": "m.narrow(x, 1, 0, {})",
    "movedim": "x.movedim({}, 0)", "torch.movedim": "m.movedim(x, 0, {})", "unbind": "x.unbind({})",
    "chunk": "x.chunk(2, {})", "torch.chunk": "m.chunk(x, {})", "squeeze_": "x.squeeze_({})",
    "unsqueeze_": "x.unsqueeze_({})", "transpose_": "x.transpose_(0, {})", "kthvalue": "x.kthvalue(1, {})",
    "torch.kthvalue": "m.kthvalue(x, {})", "mode": "x.mode({})", "topk": "x.topk(1, {})", "topk k": "x.topk({})",
    "sort": "x.sort({})", "torch.sort": "m.sort(x, {})", "sort stable": "x.sort(stable=True, dim={})",
    "argsort": "x.argsort({})", "torch.argsort": "m.argsort(x, {})", "index_select": "x.index_select({}, x[0].long())",
    "torch.gather": "m.gather(x, {}, x.long())", "diff": "x.diff(dim={})", "torch.diff": "m.diff(x, 1, {})",
    "tril": "x.tril({})", "torch.triu": "m.triu(x, {})", "split": "x.split({})", "split dim": "x.split(1, {})",
    "torch.split": "m.split(x, {})", "split sizes dim": "x.split([1, 2], dim={})", "roll": "x.roll({})",
    "roll dims": "x.roll(1, {})", "torch.roll": "m.roll(x, {})", "cumprod_(dim=)": "x.cumprod_(dim={})",
    "swapdims_": "x.swapdims_(0, {})", "swapaxes_": "x.swapaxes_(0, {})",
    "index_fill_": "x.index_fill_({}, m.tensor([0]), 1)", "torch.index_fill": "m.index_fill(x, {}, m.tensor([0]), x)",
    "index_add_": "x.index_add_({}, m.tensor([0]), x[:1])", "torch.index_copy": "m.index_copy(x, {}, m.tensor([0]), x)",
    "scatter_": "x.scatter_({}, m.tensor([[0]]), 1.0)", "torch.scatter": "m.scatter(x, {}, m.tensor([[0]]), x)",
    "scatter_add_": "x.scatter_add_({}, m.tensor([[0]]), x)", "norm": "x.norm(dim={})", "norm p": "x.norm(2, dim={})",
    "vector_norm": "m.linalg.vector_norm(x, dim={})", "vector_norm positional": "m.linalg.vector_norm(x, 2, {})",
    "linalg.norm": "m.linalg.norm(x, None, {})", "linalg.norm str": "m.linalg.norm(x, 'fro', {})",
    "matrix_norm": "m.linalg.matrix_norm(x, 1, {})", "torch.norm": "m.norm(x, 2, {})",
    "tensor_split": "x.tensor_split({})", "tensor_split dim": "m.tensor_split(x, 2, {})",
    "repeat_interleave": "x.repeat_interleave({})", "repeat_interleave dim": "m.repeat_interleave(x, 2, {})",
    "cummax": "x.cummax({})", "torch.cummin": "m.cummin(x, {})", "take_along_dim": "x.take_along_dim(x.long() % 2, {})",
    "scatter reduce": "x.scatter({}, m.tensor([[0]]), 2.0, reduce='add')",
}  # fmt: skip
DIM_VALUES = ["1", "-1", "1.0", "(0, 1.0)", "(0.0, 1)", "(0, 1)", "[1]", "()", "'a'", "None", "True", "m.tensor(1)"]


@pytest.mark.parametrize("op", sorted(DIM_OPS))
@given(st.sampled_from(DIM_VALUES))
@settings(max_examples=max(12, settings().max_examples // 8))  # (12 values: each drawn in CI, thorough 125)
def test_dim_arguments(op, value):
    """An int where torch takes one, an int list where it takes one, None where its dim is optional; else the
    method's overloads (std's `unbiased` takes a bool) or torch's words for that argument."""

    # (torch's logsumexp kernel fails on its own output shape there: "output with shape [] doesn't match ...")
    assume(not (op == "logsumexp" and value == "()"))

    def run(m):
        x = m.arange(6.0).reshape(2, 3)
        try:
            return ("ok", repr(eval(DIM_OPS[op].format(value), {"m": m, "x": x})))
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return (type(e).__name__, str(e))

    assert run(torchish) == run(torch)


@pytest.mark.parametrize(
    "call", ["x.cumsum({})", "m.cumprod(x, {})", "x.logcumsumexp({})", "x.cummax({})", "m.cummin(x, {})"]
)
@pytest.mark.parametrize("dim", [0, -1, 1, -2])
def test_scans_of_a_0_dim_tensor(call, dim):
    """A 0-dim tensor scans along dim 0 or -1; any other dim is torch's IndexError (the cumulative extremes' own
    words)."""

    def run(m):
        try:
            return ("ok", repr(eval(call.format(dim), {"m": m, "x": m.tensor(1.5)})))
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return (type(e).__name__, str(e))

    assert run(torchish) == run(torch)


@pytest.mark.parametrize(
    "call",
    [
        "m.swapaxes(x, axis0=0, axis1=1)",
        "x.swapaxes(axis0=1, axis1=0)",
        "m.swapdims(x, dim0=0, dim1=1)",
        "x.swapdims(dim0=1, dim1=0)",
        "m.swapaxes(x, 0, 1.5)",
        "x.swapdims(0, dim0=1)",
        "m.swapaxes(x, dim0=0, dim1=1)",
        "m.transpose(x)",
        "x.transpose(1)",
        "m.select(x, 0)",
        "x.select(index=0)",
    ],
)
def test_transpose_aliases_take_their_own_parameter_names(call):
    """swapaxes is transpose with numpy's names for its dims (axis0, axis1); swapdims keeps dim0 and dim1. A
    missing argument is torch's count of the required ones from the first missing on."""

    def run(m):
        try:
            return ("ok", repr(eval(call, {"m": m, "x": m.arange(6.0).reshape(2, 3)})))
        except Exception as e:  # noqa: BLE001 - the error is the observable
            return (type(e).__name__, str(e))

    assert run(torchish) == run(torch)
