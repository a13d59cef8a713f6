"""torch.backends.cudnn: the flags scripts set for reproducibility. XLA picks its own GPU kernels, so they are
recorded, not acted on."""

from __future__ import annotations

from .. import cuda as _cuda

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    return _cuda.is_available()


def version() -> int | None:
    return None
