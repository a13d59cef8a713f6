"""Ops of many kinds that real programs reach for: comparisons of whole tensors, tiling and moving dims,
scans, counting and searching, index_add/index_copy/index_fill, special functions."""

from __future__ import annotations

__all__: list[str] = []  # public torch.* names defined here
