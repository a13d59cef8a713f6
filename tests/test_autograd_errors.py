"""Differential tests of autograd's errors and warnings: torchish must raise what torch raises.

Every case is a function of the module (``case(torch)`` vs ``case(torchish)``). Both runs must agree on
whether they raise; when they do, the exception type name and its text must be identical; when they do
not, the returned values (tensors with their autograd metadata) must agree. Warnings emitted while a
case runs (under the ``always`` filter) are compared too: category, text and the line they point at.
"""

from __future__ import annotations

import warnings

import pytest
import torch

import torchish

from .autograd_error_cases import CASES, _x, engine, inplace, run_case

assert engine and inplace  # importing them registers their cases


# ------------------------------------------------------------------------------------------------


def test_enough_cases():
    errors = [n for n, fn in CASES.items() if run_case(fn, torch)[0][0] == "raised"]
    assert len(errors) >= 40, len(errors)
    # torch gives some warnings once per process (TORCH_WARN_ONCE): run torchish through the same cases so
    # that both sides reach the differential tests below in the same state
    for fn in CASES.values():
        run_case(fn, torchish)


@pytest.mark.parametrize("name", sorted(CASES))
def test_autograd_error(name):
    fn = CASES[name]
    expected = run_case(fn, torch)
    actual = run_case(fn, torchish)
    assert actual[0] == expected[0]
    assert actual[1] == expected[1]


def test_nonleaf_grad_warning_default_filter():
    """Under Python's default filter torch warns once per accessing line, for every tensor."""

    def accesses(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            x = _x(m)
            for _ in range(3):
                y = x * 2
                y.grad  # noqa: B018
            z = x * 3
            z.grad  # noqa: B018
            z.grad  # noqa: B018
        return [(w.category.__name__, str(w.message), w.lineno) for w in caught]

    assert accesses(torchish) == accesses(torch)
