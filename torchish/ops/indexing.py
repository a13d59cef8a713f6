"""Tensor.__getitem__ / __setitem__.

Basic indices (ints, slices, None, ...) become the view ops torch would record (select, slice,
unsqueeze); tensor and list indices become one gather (`IndexBackward0`). Boolean masks are turned
into integer indices eagerly, so every traced function has static shapes.
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings

import jax.numpy as jnp
import numpy as np

from .._tensor import _wrap_dim
from ..autograd import grad_mode as _gm
from . import _formulas as F
from . import _registry as R
from . import views as _views
from ._registry import SAME, op
from .shape import _check_expand, _slice, select, unsqueeze

_INVALID_0D = (
    "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim "
    "tensor to a number"
)


def _is_basic(i):
    return (
        i is None
        or i is Ellipsis
        or isinstance(i, (builtins.bool, int, np.integer, slice))
        or (isinstance(i, R._Tensor) and i.dim() == 0 and not i.dtype.is_floating_point and i.dtype._name != "bool")
    )


def _expand_ellipsis(idx, ndim):
    def width(i):
        if i is None or i is Ellipsis or isinstance(i, builtins.bool):
            return 0
        if isinstance(i, R._Tensor) and i.dtype._name in ("bool", "uint8"):
            return i.dim()  # a mask spans as many dims as it has
        return 1

    consumed = builtins.sum(width(i) for i in idx)
    if consumed > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim}")
    if builtins.sum(1 for i in idx if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in [i for i in idx if not isinstance(i, R._Tensor)]:
        k = next(j for j, i in enumerate(idx) if i is Ellipsis)
        return idx[:k] + (slice(None),) * (ndim - consumed) + idx[k + 1 :]
    return idx + (slice(None),) * (ndim - consumed)


def _check_0d(self, index):
    """A lone int or slice on a 0-dim tensor reaches torch's select / slice, which have their own errors
    (slice's after its autograd layer read the history; select's in the indexing code, before)."""
    if isinstance(index, slice):
        _views._history_first(self)
        raise IndexError("slice() cannot be applied to a 0-dim tensor.")
    if isinstance(index, (int, np.integer)) and not isinstance(index, builtins.bool):
        raise IndexError(_INVALID_0D if index == 0 else f"index {index} is out of bounds for dimension 0 with size 0")


def _normalize(self, index):
    entries = _sequence_as_tuple(index)
    if self._value.ndim == 0 and entries is None:
        _check_0d(self, index)
    idx = tuple(_index_entry(i) for i in (entries if entries is not None else (index,)))
    return _expand_ellipsis(idx, self.dim())


_SEQUENCE_INDEX_WARNING = (
    "Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in pytorch 2.9; "
    "use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as tensor index, "
    "x[torch.tensor(seq)], which will result either in an error or a different result (Triggered internally at "
    "/__w/pytorch/pytorch/torch/csrc/autograd/python_variable_indexing.cpp:{}.)"
)


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple, str, bytes, range, np.ndarray))


def _sequence_as_tuple(index):
    """torch's treatSequenceAsTuple (NumPy's old heuristic): a tuple, or a short non-tuple sequence holding a
    sequence, tensor, slice, None or Ellipsis (with a deprecation warning), is a tuple of entries. None: one entry."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, np.ndarray) or not _is_sequence(index) or len(index) >= 32:
        return None
    for item in index:
        if isinstance(item, (R._Tensor, slice)) or _is_sequence(item) or item is None or item is Ellipsis:
            line = 349 if item is not None and item is not Ellipsis else 359  # (torch's two warnings)
            warnings.warn(_SEQUENCE_INDEX_WARNING.format(line), UserWarning, stacklevel=4)
            return tuple(index)
    return None


def _index_entry(i):
    """One entry of an index as torch's Python indexing reads it: sequences become index tensors, objects with
    __index__ integers; anything else is refused with torch's error."""
    if i is None or i is Ellipsis or isinstance(i, (builtins.bool, int, slice, R._Tensor)):
        return i
    if isinstance(i, (list, np.ndarray, range)):
        return R._Tensor._make(jnp.asarray(np.asarray(i)))
    if isinstance(i, (str, bytes)):  # torch makes a tensor of any sequence
        raise TypeError(f"new(): invalid data type '{type(i).__name__}'")
    if hasattr(type(i), "__index__") and not isinstance(i, (np.bool_, np.floating)):
        return operator.index(i)
    kind = type(i)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise IndexError(
        f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got {name})"
    )


def getitem(self, index):
    idx = _normalize(self, index)
    if builtins.all(_is_basic(i) for i in idx):
        return _basic(self, idx, keep_full_slice=isinstance(index, slice))
    return _advanced(self, idx)


def _basic(self, idx, keep_full_slice=False, alias=True):
    """Apply basic indices as torch's view ops; with nothing to apply, an alias (getitem) or self (setitem)."""
    out, dim, real = self, 0, 0  # real: the dim of self an index consumes, which torch's errors name
    for k, i in enumerate(idx):
        if i is None:
            out = unsqueeze(out, dim)
            dim += 1
        elif isinstance(i, builtins.bool):
            out = unsqueeze(out, dim)
            if not i:
                out = _slice(out, dim, 0, 0, 1)
            dim += 1
        elif isinstance(i, slice):
            size = out.shape[dim]
            start, stop, step = i.indices(size)
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            # a lone slice index is always applied; in a tuple a full one is skipped (torch's applySlicing, which
            # compares the start as given: x[-n:] and an empty tensor's [1:] are slices)
            full = (i.start is None or i.start == 0) and (start, stop, step) == (0, size, 1)
            if not full or keep_full_slice and k == 0:
                out = _slice(out, dim, start, builtins.max(stop, start), step)
            dim += 1
            real += 1
        else:
            n = int(i)
            size = out.shape[dim]
            if not -size <= n < size:
                raise IndexError(f"index {n} is out of bounds for dimension {real} with size {size}")
            out = select(out, dim, n)
            real += 1
    if out is self and alias:
        return _alias(self)
    return out


@op("_alias", promote=SAME, grad_name="AliasBackward0", method=False)
def _alias(input):
    return input


R.OPS["_alias"].is_view = True


def _advanced_spec(self, idx):
    """Validate a tensor/list index like torch and turn it into a static spec plus index tensors. Index
    bounds torch only checks while it gathers or scatters: they come back as (array, dim size, indexed dim)."""
    spec, arrays, checks, dim, j = [], [], [], 0, 0
    for i in idx:
        if isinstance(i, R._Tensor) and i.dtype._name in ("bool", "uint8"):
            mask = np.asarray(i._value).astype(bool)
            for d, s in enumerate(mask.shape):
                if self.shape[dim + d] != s:
                    raise IndexError(
                        f"The shape of the mask [{', '.join(map(str, mask.shape))}] at index {d} does not match the "
                        f"shape of the indexed tensor [{', '.join(map(str, self.shape))}] at index {dim + d}"
                    )
            if mask.ndim == 0:
                spec.append(("b", bool(mask)))
                continue
            for nz in np.nonzero(mask):
                spec.append(("t", len(arrays)))
                arrays.append(R._Tensor._make(jnp.asarray(nz, jnp.int64)))
            dim += mask.ndim
            j += mask.ndim
        elif isinstance(i, R._Tensor) and i.dim() != 0:
            if i.dtype.is_floating_point or i.dtype.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            checks.append((len(arrays), self.shape[dim], j))
            spec.append(("t", len(arrays)))
            arrays.append(i)
            dim += 1
            j += 1
        elif i is None:
            spec.append(("n",))
        elif isinstance(i, slice):
            spec.append(("s", i.start, i.stop, i.step))
            dim += 1
        else:  # an int, or a 0-dim integer tensor: torch selects with it before indexing
            if isinstance(i, R._Tensor) and (i.dtype.is_floating_point or i.dtype.is_complex):
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            n = int(i)
            size = self.shape[dim]
            if not -size <= n < size:
                raise IndexError(f"index {n} is out of bounds for dimension {dim} with size {size}")
            spec.append(("i", n))
            dim += 1
    if len(arrays) > 1:
        shapes = [tuple(a.shape) for a in arrays]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            raise IndexError(
                "shape mismatch: indexing tensors could not be broadcast together with shapes "
                + ", ".join(f"[{', '.join(map(str, s))}]" for s in shapes)
            ) from None
    return tuple(spec), arrays, checks


def _result_layout(shape, spec, arrays):
    """torch's indexing result as (dims before the broadcast index dims, their shape, dims after): the
    index dims stand where the index tensors do when those are adjacent, else in front."""
    sizes, parts, adv = iter(shape), [], []
    for s in spec:
        if s[0] == "i":
            next(sizes)
        elif s[0] == "n":
            parts.append(1)
        elif s[0] == "s":
            parts.append(len(range(*slice(*s[1:]).indices(next(sizes)))))
        else:
            adv.append(len(parts))
            parts.append(None)
            if s[0] == "t":
                next(sizes)
    b = [tuple(arrays[s[1]].shape) if s[0] == "t" else (builtins.int(s[1]),) for s in spec if s[0] in "tb"]
    basic = [p for p in parts if p is not None]
    at = adv[0] if adv and adv[-1] - adv[0] == len(adv) - 1 else 0
    return tuple(basic[:at]), np.broadcast_shapes(*b), tuple(basic[at:])


_EMPTY_DIM = "index is out of bounds for dimension with size 0"


def _indexes_an_empty_dim(arrays, checks) -> bool:
    return builtins.any(n == 0 and arrays[k]._value.size for k, n, _ in checks)


def _out_of_bounds(self, spec, arrays, checks, value=None):
    """torch checks index bounds as its kernel visits the result, each element's indices in turn, in the order
    its TensorIterator gives the operands (self restrided, a put's value, the indices): the first bad one as (the
    result's elements visited before it, numbered in C order; torch's error), or None. An empty result visits
    nothing, so fails nothing."""
    if not checks:
        return None
    if _indexes_an_empty_dim(arrays, checks):  # torch's first check
        return np.zeros(0, np.int64), _EMPTY_DIM
    vals = [np.asarray(arrays[k]._value) for k, _, _ in checks]
    bad = [(v >= n) | (v < -n) for v, (_, n, _) in zip(vals, checks)]
    if not builtins.any(b.any() for b in bad):
        return None
    pre, bshape, post = _result_layout(tuple(self.shape), spec, arrays)
    target = pre + bshape + post
    if not math.prod(target):
        return None
    hit = np.zeros(bshape, bool)
    for b in bad:
        hit |= b
    hit = np.broadcast_to(hit.reshape((1,) * len(pre) + bshape + (1,) * len(post)), target).reshape(-1)
    numbers = np.arange(math.prod(target)).reshape(target)
    perm = _visiting_perm(self, spec, arrays, target, len(pre), len(bshape), value)
    order = (numbers if perm is None else numbers.transpose(perm)).reshape(-1)
    j = int(np.argmax(hit[order]))
    at = np.unravel_index(order[j], target)[len(pre) : len(pre) + len(bshape)]
    for v, b, (_, n, d) in zip(vals, bad, checks):
        if np.broadcast_to(b, bshape)[at]:
            first = int(np.broadcast_to(v, bshape)[at])
            return order[:j], f"index {first} is out of bounds for dimension {d} with size {n}"
    raise AssertionError


def _visiting_perm(self, spec, arrays, target, lead, n_adv, value):
    """The order of the result's dims (outermost first; None: row-major) in which torch's index kernels visit
    its elements, which is also how index lays its result out: their TensorIterator sorts the dims by the strides
    of self restrided (0 along the indexed dims), then a put's value, then the index tensors (0 along the
    others)."""
    operands = [_restrided(self, spec, len(target), lead, n_adv)]
    if value is not None:
        operands.append(_views._broadcast_strides(tuple(value.shape), _views._layout(value)[0], target))
    bshape = target[lead:][:n_adv]
    padded = (1,) * lead + bshape + (1,) * (len(target) - lead - n_adv)
    for s in spec:
        if s[0] == "t":  # (each index expanded to the common shape, then reshaped with 1s around it)
            a = arrays[s[1]]
            expanded = _views._broadcast_strides(tuple(a.shape), _views._layout(a)[0], bshape)
            reshaped = _views._view_strides(bshape, expanded, padded) or _views._contiguous_strides(padded)
            operands.append(_views._broadcast_strides(padded, reshaped, target))
    return _views._iterator_order(operands, target)


def _restrided(self, spec, ndim, lead, n_adv) -> list:
    """self's strides over the result's dims, as torch's applySlicing then restride_src leave them: an int
    selects, a slice steps, None unsqueezes (its stride: the size times the stride of the dim it stands before,
    1 at the end), and the indexed dims are 0."""
    sizes, strides = list(self.shape), list(_views._layout(self)[0])
    basic, k = [], 0
    for s in spec:
        if s[0] == "n":
            basic.append(sizes[k] * strides[k] if k < len(sizes) else 1)
        elif s[0] == "s":
            basic.append(strides[k] * (1 if s[3] is None else s[3]))
        if s[0] in "ist":
            k += 1
    basic += strides[k:]  # (the dims the index left whole)
    return basic[:lead] + [0] * n_adv + basic[lead:][: ndim - lead - n_adv]


def _in_bounds(arrays, checks) -> list:
    """The index tensors as numpy arrays, a bad index made 0 (what a kernel wrote before meeting it)."""
    fixed = [np.asarray(a._value) for a in arrays]
    for k, size, _ in checks:
        fixed[k] = np.where((fixed[k] >= size) | (fixed[k] < -size), 0, fixed[k])
    return fixed


def _order_of_duplicate_writes(self, spec, arrays, checks, target, value):
    """Where a put (not accumulating) writes some element twice, the order of the result's dims torch's kernel
    visits them in (the last write stays), unless row-major: None elsewhere. Two writes meet exactly where the
    index tensors name the same element (the basic parts around them are one to one): read from those alone."""
    if value._value.size == 1 or not math.prod(target) or not checks:
        return None
    if not builtins.any(_views._strided(t) for t in (self, value, *arrays)):
        return None  # (row-major operands: torch visits in C order, as the scatter applies its updates)
    pre, bshape, _ = _result_layout(tuple(self.shape), spec, arrays)
    rows = [np.broadcast_to(np.asarray(arrays[k]._value) % size, bshape).reshape(-1) for k, size, _ in checks]
    named = np.sort(np.ravel_multi_index(rows, [size for _, size, _ in checks]))  # (a number per element named)
    if not (named[1:] == named[:-1]).any():
        return None
    return _visiting_perm(self, spec, arrays, target, len(pre), len(bshape), value)


def _advanced(self, idx):
    """One gather: tensors/lists index, basic parts stay as static slices."""
    _views._history_first(self)  # torch's index reads the history before its kernel checks masks and bounds
    spec, arrays, checks = _advanced_spec(self, idx)
    oob = _out_of_bounds(self, spec, arrays, checks)
    if oob is not None:
        raise IndexError(oob[1])
    result = _index((self, *arrays), spec)
    if result._value.ndim > 1 and result._value.size:  # (laid out in the order torch's kernel visits it)
        pre, bshape, _ = _result_layout(tuple(self.shape), spec, arrays)
        target = tuple(result._value.shape)
        result._perm = _visiting_perm(self, spec, arrays, target, len(pre), len(bshape), None)
    return result


def _jnp_index(arrays, spec):
    out = []
    for s in spec:
        if s[0] == "t":
            out.append(arrays[s[1]])
        elif s[0] == "n":
            out.append(None)
        elif s[0] == "s":
            out.append(slice(s[1], s[2], s[3]))
        else:
            out.append(s[1])
    return tuple(out)


def _split(spec):
    """torch selects with int indices before the advanced indexing, where numpy would broadcast them with the
    index tensors: (the selects, the rest), or (None, spec) where one numpy index means the same."""
    kinds = {s[0] for s in spec}
    if "i" not in kinds or not kinds & {"t", "b"}:
        return None, spec
    first = tuple(s if s[0] == "i" else ("s", None, None, None) for s in spec if s[0] in "ist")
    return first, tuple(s for s in spec if s[0] != "i")


def _take(x, arrays, spec):
    first, rest = _split(spec)
    if first is not None:
        x = x[_jnp_index(arrays, first)]
    return x[_jnp_index(arrays, rest)]


def _put(x, arrays, spec, value, accumulate=False, order=None):
    if order is not None:  # (duplicate writes: made one at a time in torch's order, the last staying)
        at = _take(jnp.arange(x.size).reshape(x.shape), arrays, spec)
        value = jnp.broadcast_to(value, at.shape).transpose(order).reshape(-1)
        return x.reshape(-1).at[at.transpose(order).reshape(-1)].set(value).reshape(x.shape)
    first, rest = _split(spec)

    def write(at):
        return at.add(value) if accumulate else at.set(value)

    if first is None:
        return write(x.at[_jnp_index(arrays, rest)])
    k = _jnp_index(arrays, first)
    return x.at[k].set(write(x[k].at[_jnp_index(arrays, rest)]))


@op("_index", promote=SAME, grad_name="IndexBackward0", varargs=True, method=False, promoted=(0,), saves=((1,),))
def _index(tensors, spec):
    x, *arrays = tensors
    return _take(x, arrays, spec)


_INDEX_ARRAYS = tuple(range(2, 66))  # (the index tensors after self and the value: torch saves them all)


@op(
    "_index_put", promote=SAME, grad_name="IndexPutBackward0", varargs=True, method=False, promoted=(0,),
    saves=(_INDEX_ARRAYS, _INDEX_ARRAYS),
)  # fmt: skip
def _index_put(tensors, spec, accumulate=False, order=None):
    x, value, *arrays = tensors
    return _put(x, arrays, spec, value.astype(x.dtype), accumulate, order)


def _index_put_backward(grad, result, params, inputs):
    # torch's: self's gradient is grad with the written elements zeroed (all of grad when accumulating); the
    # value's is grad at every indexed position, summed to its shape, duplicates included
    x, value, *arrays = inputs
    spec, accumulate = params["spec"], params.get("accumulate", False)
    g_self = grad if accumulate else _put(grad, arrays, spec, jnp.zeros((), grad.dtype))
    return (g_self, F.sum_to(_take(grad, arrays, spec), jnp.shape(value))) + (None,) * len(arrays)


R.OPS["_index_put"].result_grad = _index_put_backward


def _basic_part(idx):
    """The indices torch's applySlicing applies as views before advanced indexing (index tensors span dims)."""
    out = []
    for i in idx:
        if isinstance(i, R._Tensor) and not _is_basic(i):
            mask = i.dtype._name in ("bool", "uint8")
            out += [None] if mask and i.dim() == 0 else [slice(None)] * (i.dim() if mask else 1)
        else:
            out.append(i)
    return tuple(out)


def setitem(self, index, value, *, _index_put=None, _accumulate=False):
    """self[index] = value. _index_put: "inplace" for torch's index_put_ (its index tensors are advanced even
    where 0-dim, its value keeps its leading 1s), "out" for index_put, which returns a new tensor whose history is
    IndexPutBackward0 on self's."""
    if not isinstance(value, R._Tensor):
        value = R._Tensor._make(jnp.asarray(value, self._value.dtype))
    if index is False:
        return  # torch returns before looking at anything else
    idx = _normalize(self, index)
    basic = _index_put is None and builtins.all(_is_basic(i) for i in idx)
    # torch writes through the view that the basic indices make (self when they change nothing), so its
    # autograd checks name a leaf or a view of one accordingly
    sliced = _basic(self, idx if basic else _basic_part(idx), alias=False)
    vshape, given = tuple(value.shape), value
    k = next((k for k, n in enumerate(vshape) if n != 1), len(vshape))
    record = _gm._state.grad_enabled and (sliced.requires_grad or value.requires_grad)
    if basic:
        # torch's copy_to: copy_ a value of the same sizes as is, fill_ from a 0-dim one, else view the value
        # without its leading 1s and expand that (both recorded ops, hence nodes in the graph)
        dshape = tuple(sliced.shape)
        if vshape != dshape and vshape:
            value = value.view(vshape[k:])
            if vshape[k:] != dshape:
                _check_expand((value,), {"size": dshape})
                value = value.expand(*dshape)
        sliced._check_inplace(record)
        dense = vshape and given._value.size == sliced._value.size  # an expanded source is not analysed
        if not _views._same_data(sliced, value):  # (copy_'s early exit precedes its overlap checks)
            _views._check_overlap(sliced, (value,) if dense else ())
        # torch's copy_to on self itself: copy_ of the same sizes, fill_ from a 0-dim value; on a view some of
        # whose elements share memory (unfold, expand), into the sliced view as torch, whose CopySlices then
        # blocks the gradient of every place written (a write of all of self would pass its aliases' on)
        if sliced is self or self._base is not None and _views._shares_elements(self):
            dest = self if sliced is self else _basic(self, idx)
            del sliced
            if given.dim() == 0 and vshape != dshape:
                dest.fill_(value)
            else:
                dest.copy_(value)
            return
        del sliced
        spec, arrays, name, order = tuple(_basic_entry(i) for i in idx), [], "torch::autograd::CopySlices", None
    else:
        if k and _index_put is None:  # torch's indexing views the value without its leading 1s
            value = value.reshape(vshape[k:])
        # index_put_: autograd's checks, then the kernel's, bounds last as it writes
        if _index_put != "out":
            sliced._check_inplace(record)
        if _index_put != "out" and _views._internal_overlap(sliced):
            warnings.warn(
                "Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing "
                "this operation. This also applies to advanced indexing e.g. tensor[indices] = tensor (Triggered "
                "internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorAdvancedIndexing.cpp:976.)",
                UserWarning,
                stacklevel=2,
            )
        tensors = [i for i in idx if isinstance(i, R._Tensor) and not _is_basic(i)]
        # a one-element value and a lone mask: torch's masked_fill_ shortcut, which casts the value
        lone_mask = len(tensors) == 1 and tensors[0].dtype._name in ("bool", "uint8") and tensors[0].dim() > 0
        masked = lone_mask and value._value.size == 1 and not builtins.any(isinstance(i, builtins.bool) for i in idx)
        masked = masked and not _accumulate
        if not masked and _index_put != "out":
            _views._check_overlap(sliced, (value,), full=True)
        del sliced
        if record:  # index_put_'s autograd layer reads the histories before its kernel checks shapes
            _views._history_first(self)
            _views._history_first(value)
        spec, arrays, checks = _advanced_spec(self, idx)
        if _indexes_an_empty_dim(arrays, checks):  # (torch's first check, before the value's shape and dtype)
            raise IndexError(_EMPTY_DIM)
        pre, bshape, post = _result_layout(tuple(self.shape), spec, arrays)
        target = pre + bshape + post
        if not _expandable(tuple(value.shape), target):
            raise RuntimeError(
                f"shape mismatch: value tensor of shape [{', '.join(map(str, value.shape))}] cannot be broadcast "
                f"to indexing result of shape [{', '.join(map(str, target))}]"
            )
        if value.dtype is not self.dtype and not masked:
            raise RuntimeError(
                f"Index put requires the source and destination dtypes match, got {R._type_word(self.dtype)} for "
                f"the destination and {R._type_word(value.dtype)} for the source."
            )
        oob = _out_of_bounds(self, spec, arrays, checks, value)
        if oob is not None:
            if _index_put != "out" and not _accumulate:  # (index_put writes into its own clone)
                _write_first(self, spec, arrays, checks, value, target, oob[0])
            raise IndexError(oob[1])
        order = None if _accumulate else _order_of_duplicate_writes(self, spec, arrays, checks, target, value)
        name = "IndexPutBackward0"
    d = R.OPS["_index_put"]
    params = (
        (("spec", spec),) + ((("accumulate", True),) if _accumulate else ()) + ((("order", order),) if order else ())
    )
    if _index_put == "out":
        return R.dispatch(d, (self, value, *arrays), params)
    # torch's rebase_history moves the base's hooks to CopySlices only when the written view required grad
    kept_hooks = (self._hooks, self._hooks_fn) if basic and not self.requires_grad else None
    R.dispatch(d, (self, value, *arrays), params, inplace_target=self)
    if kept_hooks is not None:
        self._hooks, self._hooks_fn = kept_hooks
    if self._grad_fn is not None and self._grad_fn._name != name and self._grad_fn.kernel.op is d:
        self._grad_fn._rename(name)
        self._grad_fn._saves_tensors = True  # CopySlices drops its wrapped fn on release, as in torch
        if basic and _views._strided(self):  # (its backward's buffer is laid out as self: autograd/buffers.py)
            self._grad_fn._operand_layouts = ((self._value.shape, _views._layout(self)[0]),)


def _basic_entry(i):
    if i is None:
        return ("n",)
    if isinstance(i, builtins.bool):
        return ("b", i)
    if isinstance(i, slice):
        return ("s", i.start, i.stop, i.step)
    return ("i", int(i))


def _expandable(shape, target) -> bool:
    return len(shape) <= len(target) and builtins.all(s in (1, t) for s, t in zip(reversed(shape), reversed(target)))


def _write_first(self, spec, arrays, checks, value, target, visited):
    """The writes torch's index_put_ kernel makes before it meets a bad index (visited: the result's elements, in
    C-order numbers): data only, no new version nor history, as torch raises inside the kernel."""
    if not len(visited):
        return
    pos = _take(np.arange(self._value.size).reshape(self._value.shape), _in_bounds(arrays, checks), spec)
    pos = pos.reshape(-1)[visited]
    vals = np.broadcast_to(np.asarray(value._value.astype(self._value.dtype)), target).reshape(-1)[visited]
    flat = np.array(self._value).reshape(-1)
    flat[pos] = vals
    self._value = jnp.asarray(flat.reshape(self._value.shape))
    if self._base is not None or self._views or self._alias is not None:
        _views._propagate_write(self, regenerate=False)


def _wrap_index_dim(d, n):
    return _wrap_dim(d, n)
