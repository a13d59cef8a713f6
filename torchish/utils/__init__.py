"""torch.utils: the parts a model's code reaches for (checkpoint)."""

from . import checkpoint  # noqa: F401
