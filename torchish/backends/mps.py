"""torch.backends.mps: Apple's GPU backend, which JAX does not drive."""

from __future__ import annotations


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
