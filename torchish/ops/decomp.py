"""Linear algebra beyond matmul: inverse, det, solve, decompositions, norms (torch.* and torch.linalg.*)."""

from __future__ import annotations

__all__: list[str] = []  # public torch.* names defined here (torch.linalg names live in torchish/linalg.py)
