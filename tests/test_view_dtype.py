"""Tensor.view(dtype) against torch: the same bytes read as another dtype. Each case draws the bytes, a view
op to apply first (so strides and storage offsets vary), the two dtypes, and a write through the new view or
its source, and compares the bits of both, the geometry (shape, strides, storage offset), the autograd state
(an alias, not an autograd view) and torch's errors for element sizes that do not fit."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish
from tests.engine_common import FEW

# (each example compiles its writes for a new shape and dtype pair: 10 in CI, 100 under the thorough profile)
CASES = settings(max_examples=max(10, settings().max_examples // 10))
DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
_BITS = {1: "uint8", 2: "int16", 4: "int32", 8: "int64"}  # (numpy has no bfloat16 for torch: read bits)

FIRST_VIEWS = {
    "whole": lambda x: x,
    "columns from 1": lambda x: x[:, 1:],
    "every other column": lambda x: x[:, ::2],
    "transposed": lambda x: x.t(),
    "a row": lambda x: x[1],
    "an expanded row": lambda x: x[:1].expand(3, -1),
    "unsqueezed": lambda x: x.unsqueeze(0),
    "one element": lambda x: x[0, 0] if x.shape[1] else x.sum(),
}
WRITES = {
    "none": lambda m, x, v: None,
    "fill the view's first column": lambda m, x, v: v.select(-1, 0).fill_(1) if v.dim() else v.fill_(1),
    "zero the view": lambda m, x, v: v.zero_(),
    "setitem into the view": lambda m, x, v: v.__setitem__((..., slice(None, 1)), 0) if v.dim() else None,
    "add to the source": lambda m, x, v: x.add_(1),
    "negate the source's first row": lambda m, x, v: x[0].neg_(),
}


def _bits(m, t):
    return np.asarray(t.view(getattr(m, _BITS[t.element_size()])).numpy())


@st.composite
def _storage(draw, zero_one=False):
    """(dtype name, raw bits as the unsigned integer of its size, shape). zero_one: every byte 0 or 1, all a
    JAX bool can hold (README: a bool view keeps no other byte)."""
    src = draw(st.sampled_from(DTYPES))
    size = np.dtype(_BITS[torch.empty(0, dtype=getattr(torch, src)).element_size()]).itemsize
    shape = (3, draw(st.sampled_from((0, 1, 2, 3, 4, 6, 8))))
    if src == "bool" or zero_one:
        ones = draw(hnp.arrays(np.uint8, shape + (size,), elements=st.integers(0, 1)))
        bits = ones.view(np.dtype(f"u{size}")).reshape(shape)
    else:
        bits = draw(hnp.arrays(np.dtype(f"u{size}"), shape))
    return src, bits


@st.composite
def _cases(draw):
    dst = draw(st.sampled_from(DTYPES))
    src, bits = draw(_storage(zero_one=dst == "bool"))
    writes = sorted(w for w in WRITES if dst != "bool" or "source" not in w or src == "bool")
    if src == "bool" and dst not in ("bool", "uint8", "int8"):  # (a 1 of dst is no byte of 0s and 1s)
        writes.remove("fill the view's first column")
    write = draw(st.sampled_from(writes))
    if "source" in write and src.startswith(("float", "bfloat")):
        # finite (the top exponent bit clear): arithmetic on a NaN leaves payload bits torch's CPU kernels and
        # XLA choose differently (bfloat16 rounds every NaN to 0x7fc0), a platform matter, not view(dtype)'s
        bits = bits & ~np.array(1 << (bits.itemsize * 8 - 2), bits.dtype)
    if "bfloat16" in (src, dst) and write != "none":
        bits = _canonical_bfloat16_nans(bits)
    return src, bits, draw(st.sampled_from(sorted(FIRST_VIEWS))), dst, write


def _canonical_bfloat16_nans(bits):
    """XLA on CPU computes bfloat16 through float32, making every NaN in any value it moves the canonical quiet one,
    its sign kept (README): the storage read as bfloat16 gets its NaNs so."""
    raw = bits.copy().view(np.uint8).reshape(-1)
    pairs = raw[: raw.size // 2 * 2].view("<u2")
    nan = (pairs & 0x7F80 == 0x7F80) & (pairs & 0x7F != 0)
    pairs[nan] = (pairs[nan] & 0x8000) | 0x7FC0
    return raw.view(bits.dtype).reshape(bits.shape)


def _make(m, src, bits):
    signed = bits.view(np.dtype(f"i{bits.itemsize}")) if src != "bool" else bits.astype(np.bool_)
    t = m.tensor(signed.reshape(-1)).reshape(signed.shape)  # (from numpy, torch gives no elements 0 strides)
    return t if src == "bool" else t.view(getattr(m, src))


def _run(m, src, bits, first, dst, write):
    try:
        x = _make(m, src, bits)
        v = FIRST_VIEWS[first](x).view(getattr(m, dst))
        seen = [tuple(v.shape), v.stride(), v.storage_offset(), str(v.dtype), v._base is None, v.requires_grad]
        WRITES[write](m, x, v)
        return seen + [_bits(m, x).tolist(), _bits(m, v).tolist(), x._version, v._version]
    except Exception as e:  # noqa: BLE001 - the error is the observable
        return [type(e).__name__, str(e)]


@CASES
@given(_cases())
def test_view_dtype(case):
    assert _run(torchish, *case) == _run(torch, *case)


@FEW
@given(st.sampled_from(DTYPES), st.booleans())
def test_view_dtype_of_a_tensor_in_a_graph(dst, through_leaf):
    """The result has no history and no _base, yet shares the version counter: a write through it is an
    in-place change of the tensor the graph saved."""

    def fn(m):
        a = m.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b = a * a
        v = (a if through_leaf else b).view(getattr(m, dst))
        out = [v.requires_grad, v.grad_fn is None, v.is_leaf, v._base is None]
        with m.no_grad() if through_leaf else _nothing():
            v.zero_()
        out += [a._version, b._version]
        try:
            b.sum().backward()
            out.append(a.grad.tolist())
        except RuntimeError as e:
            out.append(str(e))
        return out

    assert fn(torchish) == fn(torch)


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
