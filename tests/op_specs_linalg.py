"""Differential specs for torchish/ops/decomp.py and torchish.linalg (merged into op_specs.SPECS)."""

from __future__ import annotations

SPECS_LINALG: list = []
