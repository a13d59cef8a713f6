"""torch.linalg on the op table (torchish/ops/decomp.py)."""

from __future__ import annotations

__all__: list[str] = []
