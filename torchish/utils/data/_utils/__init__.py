"""torch.utils.data._utils: collation, fetching and the (in-process) worker machinery behind DataLoader."""

from . import collate, fetch, worker  # noqa: F401
