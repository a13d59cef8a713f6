"""torch.backends: the switches that change how torch computes, where they mean something here."""

from . import cudnn, mps, opt_einsum

__all__ = ["cudnn", "mps", "opt_einsum"]
