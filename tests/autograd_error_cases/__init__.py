"""The cases of tests/test_autograd_errors.py: functions of the module (torch or torchish) that raise, warn or
return what torch's autograd does. Each module registers its cases with @case; `run_case` observes one run."""

from __future__ import annotations

import os
import warnings

import numpy as np
import torch

import torchish
from tests.engine_common import grad_fn_name as _grad_fn_name

CASES: dict = {}


def case(fn):
    name = fn.__name__.removeprefix("c_")
    assert name not in CASES, name
    CASES[name] = fn
    return fn


def observe(v, m):
    """A comparable description of whatever a case returns."""
    if isinstance(v, (torch.Tensor, torchish.Tensor)):
        with m.no_grad():
            arr = np.asarray(v.detach().cpu().numpy() if m is torch else v.detach().numpy())
        return (
            "T",
            str(v.dtype),
            tuple(v.shape),
            arr.tolist(),
            v.requires_grad,
            v.is_leaf,
            _grad_fn_name(v, m),
            v._version,
            v.output_nr,
        )
    if isinstance(v, (tuple, list)):
        return (type(v).__name__, tuple(observe(x, m) for x in v))
    if isinstance(v, (torch.Size, torchish.Size)):
        return ("Size", tuple(v))
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return type(v).__name__


def run_case(fn, m):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = ("ok", observe(fn(m), m))
        except Exception as e:  # noqa: BLE001 - the exception itself is the observable
            out = ("raised", type(e).__name__, str(e))
    ws = [(w.category.__name__, str(w.message), os.path.basename(w.filename), w.lineno) for w in caught]
    return out, ws


def _grad(t):
    """t.grad by value: the version counter of an accumulated .grad is checked in test_engine.py."""
    return None if t.grad is None else t.grad.clone()


def _x(m, *shape, **kw):
    return m.ones(*(shape or (3,)), requires_grad=True, **kw)
