"""Anomaly mode: torch.autograd.detect_anomaly / set_detect_anomaly.

In anomaly mode the engine runs every node on its own, eagerly (`engine._is_eager`), so that after
each node its gradients can be checked for NaN (`_check_nan`, called by `engine._run_hooked_node`
after the node's hooks, where torch's engine checks) and an error in a node can be reported with the
forward traceback that created it (`_run_node`). Nodes record that traceback when they are created
in anomaly mode (`_record_traceback`).
"""

from __future__ import annotations

import os
import traceback
import warnings
from collections.abc import Callable

import jax.numpy as jnp

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled"]


class _State:
    # torch keeps anomaly mode in a process-wide flag, not per thread
    enabled = False
    check_nan = True


_STATE = _State()

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_WHERE = "/__w/pytorch/pytorch/torch/csrc/autograd/python_anomaly_mode.cpp"


def is_anomaly_enabled() -> bool:
    return _STATE.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _STATE.check_nan


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    _STATE.enabled = bool(enabled)
    _STATE.check_nan = bool(check_nan)


class detect_anomaly:
    """Context manager that enables anomaly detection for the autograd engine (warns, like torch)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _STATE.enabled
        self.check_nan = check_nan
        self.prev_check_nan = _STATE.check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should only be enabled "
            "for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


class set_detect_anomaly:
    """Turns anomaly detection on or off on construction; as a context manager, restores it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = _STATE.enabled
        self.prev_check_nan = _STATE.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args: object) -> None:
        set_anomaly_enabled(self.prev, self.prev_check_nan)


def _record_traceback(node) -> None:
    """Remember where the forward created `node` (torch's metadata['traceback_']); torchish frames dropped."""
    if not _STATE.enabled:
        return
    frames = [f for f in traceback.extract_stack()[:-1] if not os.path.abspath(f.filename).startswith(_PKG_DIR)]
    node.metadata["traceback_"] = traceback.format_list(frames)


def _warn_error_in(node) -> None:
    name = node.name()
    stack = getattr(node, "metadata", {}).get("traceback_")
    if stack is None:
        warnings.warn(
            f"Error detected in {name}. No forward pass information available. Enable detect anomaly during "
            f"forward pass for more information. (Triggered internally at {_WHERE}:100.)",
            stacklevel=3,
        )
    else:
        warnings.warn(
            f"Error detected in {name}. Traceback of forward call that caused the error:\n{''.join(stack)} "
            f"(Triggered internally at {_WHERE}:122.)",
            stacklevel=3,
        )


def _run_node(run: Callable, plan, i: int, state: dict, create_graph: bool) -> dict:
    """Run node i eagerly; in anomaly mode an error in it is reported with its forward traceback first."""
    if not _STATE.enabled:
        return run(plan, i, state, create_graph)
    try:
        return run(plan, i, state, create_graph)
    except Exception:
        _warn_error_in(plan.nodes[i])
        raise


def _check_nan(node, grad_inputs: list) -> None:
    """torch's engine check: any NaN in a node's output gradients is an error naming the node."""
    if not (_STATE.enabled and _STATE.check_nan):
        return
    saved = node.saved or ()
    k = -1
    for j, g in enumerate(grad_inputs):
        # torch numbers a node's outputs over its tensor inputs only (Python scalars have no slot)
        if j >= len(saved) or hasattr(saved[j], "shape"):
            k += 1
        if g is None:
            continue
        v = getattr(g, "_value", g)
        if v.dtype.kind in "fcV" and bool(jnp.isnan(v).any()):
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {k}th output.")
