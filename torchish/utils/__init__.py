"""torch.utils: the parts a model's code reaches for (checkpoint, data)."""

from . import checkpoint, data  # noqa: F401
