"""Differential specs for torchish/ops/misc.py (merged into op_specs.SPECS)."""

from __future__ import annotations

SPECS_MISC: list = []
