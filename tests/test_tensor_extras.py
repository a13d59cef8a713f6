"""Tensor methods beyond the op table against torch: H / mH / adjoint, split_with_sizes and the unsafe splits,
predicates, the memory calls, renorm's errors."""

from __future__ import annotations

import warnings

import pytest
import torch

import torchish

from .test_ops_composites import _same_as_torch

# x is a 2x3 float tensor that requires grad, y a 2x3x4 one, u a uint8 vector
_CALLS = [
    "x.H", "y.H", "x.mH", "y.mH.shape", "m.arange(3.).mH", "m.arange(3.).H", "m.tensor(1.).H", "m.tensor(1.).mH",
    "x.adjoint()", "m.adjoint(y).shape", "m.adjoint(m.arange(3.))", "x.mH.grad_fn.name()",
    "x.is_same_size(y)", "x.is_same_size(x * 2)", "x.is_signed()", "u.is_signed()", "m.tensor([True]).is_signed()",
    "x.is_pinned()", "x.is_shared()", "x.detach().share_memory_()", "x.pin_memory()",
    "x.data_ptr() == x[0].data_ptr()", "x.data_ptr() == x[1].data_ptr()", "x.data_ptr() == x.view(6).data_ptr()",
    "x.split_with_sizes([1, 1])", "x.split_with_sizes([1, 2], 1)", "x.split_with_sizes([1, 1, 1])",
    "m.split_with_sizes(x, [3], dim=1)", "x.unsafe_chunk(2, 1)", "x.unsafe_split(2, 1)", "m.unsafe_split(x, 1)",
    "x.unsafe_split_with_sizes([1, 1])", "m.unsafe_chunk(x, 2)[0]._base", "m.unsafe_split(x * 1, 1)[0].mul_(2)",
    "m.autograd.grad(m.cat(m.unsafe_chunk(x, 2, 1), 1).pow(2).sum(), x)",
    "x.renorm(0, 0, 1.)", "x.renorm(-1, 0, 1.)", "x.renorm(2, 0, -1.)", "x.renorm(2, 5, 1.)",
    "m.tensor([1, 2]).renorm(2, 0, 1)",
    "m.tensor(3.).renorm(2, 0, 1.)", "m.renorm(x, 2, -1, 0.5).grad_fn.name()", "m.renorm(m.tensor([[3, 4]]), 2, 0, 1)",
    "x.detach().renorm_(2, 0, 1.)", "x.renorm_(2, 0, 1.)",
    # IntArrayRef arguments: a lone int is the method's varargs form only
    "x.flip(0)", "x.flip(0, 1)", "x.flip([1])", "x.flip(dims=(0,))", "m.flip(x, (1,))", "m.flip(x, 0)",
    "m.flip(x, dims=0)", "x.flip(dims=0)", "x.flip()", "m.flip(x, 0, 1)", "x.flip(0.5)", "x.flip(0, 0.5)",
    "x.flip((0.5,))", "x.tile(0.5)", "x.tile(2)",
    "x.tile(2, 1)", "x.tile((2,))", "m.tile(x, (1, 2))", "m.tile(x, 2)", "x.tile(dims=2)",
    # torch.return_types: names, reprs, fields, the AttributeError of a missing one
    "type(x.max(0)).__name__", "type(x.max(0)).__module__", "type(x.sort()) is type(x.sort(0))",
    "x.aminmax(dim=0)", "x.aminmax(dim=0).max", "x.aminmax(dim=0).values", "m.frexp(x).exponent",
    "m.frexp(x).indices", "x.max(0).foo", "m.linalg.slogdet(m.eye(2))", "m.slogdet(m.eye(2))", "m.eye(2).slogdet()",
    "type(m.linalg.qr(m.eye(2))).__name__", "type(m.linalg.svd(m.eye(2))).__name__", "m.svd(m.eye(2)).V",
    "type(m.linalg.eigh(m.eye(2))).__name__", "m.linalg.lu_factor(m.eye(2))", "x.cummax(1)",
    # size / stride of a dim: a 0-dim tensor has none
    "m.tensor(1.).size(0)", "m.tensor(1.).size(-1)", "m.tensor(1.).stride(0)", "x.size(2)", "x.stride(-3)",
    "x.size(-1)", "x.round(decimals=1)", "m.round(x * 1.26, decimals=0).grad_fn.name()", "m.round(x).grad_fn.name()",
    "(x * 1.26).detach().round_(decimals=1)", "m.round(x * 12.5, decimals=-1)",
    # torch.cuda / torch.backends on a machine without a GPU (a CPU-only torch build answers the same)
    "m.cuda.is_available()", "m.cuda.device_count()", "m.cuda.manual_seed(0)", "m.cuda.manual_seed_all(1)",
    "m.cuda.current_device()", "m.cuda.get_device_name()", "m.cuda.synchronize()", "m.cuda.empty_cache()",
    "m.cuda.is_initialized()", "m.cuda.memory_allocated()", "m.backends.cudnn.deterministic",
    "m.backends.cudnn.benchmark", "m.backends.cudnn.enabled", "m.backends.cudnn.is_available()",
    "m.backends.mps.is_available()", "m.backends.mps.is_built()", "x.cuda()", "x.to('cuda')",
]  # fmt: skip


@pytest.mark.parametrize("expr", _CALLS)
def test_against_torch(expr):
    _same_as_torch(
        expr,
        lambda m: {
            "m": m,
            "x": m.tensor([[1.0, -2, 3], [0.5, 0.1, 0.2]], requires_grad=True),
            "y": m.arange(24.0).view(2, 3, 4),
            "u": m.tensor([1, 2], dtype=m.uint8),
        },
    )


@pytest.mark.parametrize("name", ["H", "mH"])
def test_zero_dim_conjugate_transposes_warn(name):
    def seen(m):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = getattr(m.tensor(2.0), name)
        return out.item(), [str(x.message) for x in w]

    assert seen(torchish) == seen(torch)
