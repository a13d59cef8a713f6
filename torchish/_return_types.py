"""torch.return_types: the named tuples torch's ops return (torch.max(x, 0), torch.sort, torch.linalg.qr, ...)."""

from __future__ import annotations

import collections
import functools


@functools.cache
def return_type(name: str, fields: tuple = ("values", "indices")) -> type:
    """The torch.return_types.<name> type: one per name (isinstance holds across calls), printed as torch prints
    it, and named in AttributeError as torch's structseq types are."""
    base = collections.namedtuple(name, fields)

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    def __getattr__(self, attr: str):
        raise AttributeError(f"'torch.return_types.{name}' object has no attribute '{attr}'")

    namespace = {"__repr__": __repr__, "__getattr__": __getattr__, "__slots__": (), "__module__": "torch.return_types"}
    return type(name, (base,), namespace)
