"""default_collate / default_convert: how DataLoader turns a list of samples into a batch (torch's type rules)."""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ...._dtype import float64
from ...._tensor import Tensor
from ....ops.creation import as_tensor, tensor
from ....ops.shape import stack

# numpy dtypes torch refuses to turn into tensors: bytes, str, unicode and object arrays
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)

_CollateMap = dict[type | tuple[type, ...], Callable]


def _rebuild_mapping(data: Any, values: dict) -> Any:
    """A mapping of data's type holding values: a copy for mutable ones (subclasses may carry extra state)."""
    try:
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(values)
            return clone
        return type(data)(values)
    except TypeError:  # a mapping type without copy()/update() or a dict constructor
        return values


def _rebuild_sequence(data: Any, values: list) -> Any:
    try:
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, v in enumerate(values):
                clone[i] = v
            return clone
        return type(data)(values)
    except TypeError:  # e.g. range: no item assignment, no constructor from a list
        return values


def default_convert(data: Any) -> Any:
    """Turn numpy arrays and scalars (also inside mappings, namedtuples, sequences) into tensors."""
    elem_type = type(data)
    if isinstance(data, Tensor):
        return data
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_"):
        if elem_type.__name__ == "ndarray" and np_str_obj_array_pattern.search(data.dtype.str) is not None:
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]  # a list, for backwards compatibility (as torch)
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    """Collate by the first element's type: an exact match in collate_fn_map, then its first isinstance match,
    then recursing into mappings, namedtuples and sequences."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for collate_type in collate_fn_map:
            if isinstance(elem, collate_type):
                return collate_fn_map[collate_type](batch, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _rebuild_mapping(
            elem, {key: collate([d[key] for d in batch], collate_fn_map=collate_fn_map) for key in elem}
        )
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(samples, collate_fn_map=collate_fn_map) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns  # a list, for backwards compatibility (as torch)
        return _rebuild_sequence(elem, columns)
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def collate_tensor_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    elem = batch[0]
    if getattr(elem, "is_nested", False):
        raise RuntimeError(
            "Batches of nested tensors are not currently supported by the default collate_fn; "
            "please provide a custom collate_fn to handle them appropriately."
        )
    if str(getattr(elem, "layout", "torch.strided")).startswith("torch.sparse"):
        raise RuntimeError(
            "Batches of sparse tensors are not currently supported by the default collate_fn; "
            "please provide a custom collate_fn to handle them appropriately."
        )
    # (torch's workers stack straight into shared memory; in-process workers have no need to)
    return stack(batch, 0)


def collate_numpy_array_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    elem = batch[0]
    if np_str_obj_array_pattern.search(elem.dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(elem.dtype))
    return collate([as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    return as_tensor(batch)


def collate_float_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    return tensor(batch, dtype=float64)  # float64, not the default dtype: Python floats are doubles


def collate_int_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    return tensor(batch)  # bools land here too (bool is an int) and stay bool


def collate_str_fn(batch: Any, *, collate_fn_map: _CollateMap | None = None) -> Any:
    return batch


# Order matters for subclasses: the first isinstance match wins (bool finds int's entry).
default_collate_fn_map: _CollateMap = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,  # (np.memmap too)
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,  # numpy's string scalars are left out
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into a batch: tensors stacked, numbers and numpy data turned into tensors,
    strings kept as lists, containers collated field by field."""
    return collate(batch, collate_fn_map=default_collate_fn_map)
