"""torch.backends: the switches that change how torch computes, where they mean something here."""

from . import opt_einsum

__all__ = ["opt_einsum"]
