"""Views on immutable arrays: keeping a base and its views in step (torch's CopySlices).

A view remembers its root base and the chain of view kernels that maps the base's value to its own.
Writing into a view scatters the new contents into the base (`.at[].set` on the flat indices that the
chain selects), then every live view of that base is re-derived. For autograd the base's history gets
one `CopySlices` node whose pure function is "scatter op(view(base)) into base", and the views get
`AsStridedBackward0` nodes reading from it, as in torch.

detach() and .data make aliases: tensors sharing their source's storage without being autograd views of it.
An alias is kept among its source's `_views` (with no chain of its own), and a write walks up from view to
base and from alias to source, then re-derives everything hanging below the top.
"""

from __future__ import annotations

import weakref

import jax.numpy as jnp
import numpy as np

from ..autograd import grad_mode as _gm
from ..autograd.graph import Node, _node_label, _register_retained
from . import _registry as R

_last_base_old = None  # the base's value just before the latest write through a view


def _attach(view, source, kernel) -> None:
    """Make `view` (just produced from `source` by a view kernel) share source's base and version."""
    base = source._base if source._base is not None else source
    view._base = base
    view._view_fn = (source._view_fn or ()) + (kernel,)
    view._version_counter = source._version_counter
    view._attr_version = source._version_counter[0]
    # torch's creation meta: the newest wins, a view made with grad mode on inherits its source's
    if not _gm._state.grad_enabled:
        view._creation = "no_grad"
    elif source._creation is not None:
        view._creation = source._creation
    if base._views is None:
        base._views = weakref.WeakSet()
    base._views.add(view)


def _alias(t, source, kernel=None) -> None:
    """Make `t` (fresh from detach/.data, or view(dtype) when kernel is its bitcast) share source's storage.
    Only a weak link: like torch's detach, the alias must not keep source's autograd history alive."""
    owner, chains = _storage(source)
    # linked to the storage's owner, not to source: source may die (a dropped view) while the storage lives on
    t._alias = weakref.ref(owner)
    t._alias_chain = tuple(k for c in chains for k in c) + ((kernel,) if kernel is not None else ())
    if owner._perm is not None and not t._alias_chain:
        t._perm = owner._perm  # (its layout once the owner is gone)
    _link(owner, t)
    if t._alias_chain:
        # an alias of part of the storage (a view's detach) holds the whole of it, as torch's storage outlives
        # any one tensor: should the owner die, this whole-tensor alias inherits it (_rehome_aliases)
        t._keeper = _keeper(owner)


def _keeper(owner):
    keeper = owner.__dict__.get("_keeper")
    if keeper is None:
        keeper = type(owner)._make(owner._value)
        keeper._version_counter = [0]
        _alias(keeper, owner)
        owner._keeper = keeper
    return keeper


def _link(owner, alias) -> None:
    if owner._views is None:
        owner._views = weakref.WeakSet()
    owner._views.add(alias)
    if "_heirs" not in owner.__dict__:
        owner._heirs = weakref.finalize(owner, _rehome_aliases, owner._views)


def _rehome_aliases(survivors) -> None:
    """The storage's owner died: its aliases (detach, .data) go on sharing the storage, a whole-tensor one
    becoming the owner with the others linked to it by their chains. A lone survivor simply owns it (_parent)."""
    aliases = [v for v in list(survivors) if v._base is None and v._alias is not None]
    whole = [v for v in aliases if not v._alias_chain]
    if len(aliases) < 2 or not whole:
        return
    heir = whole[0]
    del heir._alias
    for other in aliases:
        if other is not heir:
            other._alias = weakref.ref(heir)
            _link(heir, other)


def _multi_output_views(outputs, source, kernels) -> None:
    """unbind/split: output i is the view kernels[i] of source; made with grad mode on, torch forbids
    modifying them in place."""
    mark = _gm._state.grad_enabled and not _gm._state.inference
    for o, k in zip(outputs, kernels):
        _attach(o, source, k)
        if mark:
            o._creation = "multi_output"


def _parent(t):
    """The tensor t's storage lives in, and the chain from it to t: (view base, chain) or (alias owner, chain)."""
    if t._base is not None:
        return t._base, t._view_fn
    if t._alias is None:
        return None, None
    src = t._alias()
    if src is None:
        del t._alias  # its source is gone: t owns its storage now
        t.__dict__.pop("_alias_chain", None)
        if "_alias_perm" in t.__dict__:  # (laid out as its in-place view ops left it on the storage)
            t._perm = t.__dict__.pop("_alias_perm")
        return None, None
    return src, t._alias_chain


def _apply_chain(chain, value, exact=False):
    """The view chain's value of value. exact: a chain through view(dtype) moves a float storage as its bits
    (XLA's CPU flushes subnormals and quiets bfloat16's signalling NaNs in what it moves: the bytes torch's
    view shows would change)."""
    if exact and any(isinstance(k, _BitcastKernel) for k in chain):
        dtype, value = value.dtype, _bits(value)
        for k in chain:
            if isinstance(k, _BitcastKernel):
                dtype, value = k.dst, _bits(value.view(k.dst))
            else:
                value = k.pure(value)
        return value.view(dtype) if value.dtype != dtype else value
    for k in chain:
        value = k.pure(value)
    return value


class _BitcastKernel:
    """view(dtype): the same bytes read as another dtype. As numpy's view, the last dim scales by the ratio of
    the element sizes. It is an alias, not an autograd view (torch gives the result no _base and no history)."""

    __slots__ = ("src", "dst", "key", "op")

    def __init__(self, src, dst):
        self.src, self.dst = src, dst
        self.key = ("view_dtype", src, dst)
        self.op = None

    def pure(self, value):
        return value.view(self.dst)

    def inverse(self, value):
        return value.view(self.src)

    def offsets(self, offs):
        """Storage offsets counted in the new element size (torch's storage_offset is in elements)."""
        src, dst = np.dtype(self.src).itemsize, np.dtype(self.dst).itemsize
        if src < dst:
            return offs[..., :: dst // src] // (dst // src)
        if src > dst:
            k = src // dst
            return (offs[..., None] * k + jnp.arange(k, dtype=offs.dtype)).reshape(offs.shape[:-1] + (-1,))
        return offs

    def geometry(self, shape, strides, offset):
        src, dst = np.dtype(self.src).itemsize, np.dtype(self.dst).itemsize
        if src < dst:
            k = dst // src
            return shape[:-1] + [shape[-1] // k], [s // k for s in strides[:-1]] + [1], offset // k
        if src > dst:
            k = src // dst
            return shape[:-1] + [shape[-1] * k], [s * k for s in strides[:-1]] + [1], offset * k
        return shape, strides, offset


def _apply_chain_offsets(chain, offs):
    for k in chain:
        offs = k.offsets(offs) if isinstance(k, _BitcastKernel) else k.pure(offs)
    return offs


def _flat_index(base_value, chain):
    idx = jnp.arange(base_value.size, dtype=jnp.int64).reshape(base_value.shape)
    return _apply_chain(chain, idx).reshape(-1)


def _bits(value):
    if value.dtype == jnp.bool_ or not jnp.issubdtype(value.dtype, jnp.inexact):
        return value
    return value.view(np.dtype(f"u{value.dtype.itemsize}"))


def _scatter(base_value, chain, new_view_value, overlapping=False, exact=False):
    """base_value with the elements chain selects set to new_view_value. exact: a float storage is scattered as its
    bits (a write to storage; not in a differentiated function), as XLA's CPU scatter quiets a signalling NaN it
    merely moves (seen through view(dtype)), where torch leaves every byte it does not write as it was."""
    cut = next((i for i in reversed(range(len(chain))) if isinstance(chain[i], _BitcastKernel)), None)
    if cut is not None:  # scatter into the reinterpreted value, then read its bytes back as the base's dtype
        head, bitcast, tail = chain[:cut], chain[cut], chain[cut + 1 :]
        mid = _apply_chain(chain[: cut + 1], base_value, exact)
        mid = _scatter(mid, tail, new_view_value, overlapping, exact) if tail else new_view_value
        back = bitcast.inverse(mid)
        return _scatter(base_value, head, back, overlapping, exact) if head else back
    if exact and _bits(base_value) is not base_value:
        return _scatter(_bits(base_value), chain, _bits(new_view_value), overlapping).view(base_value.dtype)
    idx = _flat_index(base_value, chain)
    new = new_view_value.reshape(-1)
    if overlapping:
        # an expanded view: torch wrote through a sub-view of it, so only the elements that changed land
        # (the others alias them and would put the old value back)
        old = _apply_chain(chain, base_value).reshape(-1)
        changed = _bits(new) != _bits(old)  # (bits: -0.0 over 0.0 is a change, a NaN over itself none)
        idx = jnp.where(changed, idx, base_value.size)
    flat = base_value.reshape(-1).at[idx].set(new, mode="drop")
    return flat.reshape(base_value.shape)


def _propagate_write(t, regenerate: bool = True) -> None:
    """A write into t reaches its storage and every view of it. regenerate: torch then rebuilds each view's
    grad_fn as AsStridedBackward0, with or without grad mode (a recorded write then rewires them again to the
    base's CopySlices); a view torch made with a non-default creation meta cannot be rebuilt: its history is
    dropped and reading it raises (_stale_view_grad_fn). A write torch's kernel made before it raised bumps no
    version, and views keep their histories (regenerate=False)."""
    global _last_base_old
    if t._base is not None:
        _last_base_old = t._base._value
    top = t
    parent, chain = _parent(t)
    expanded = parent is not None and _internal_overlap(t)
    overlapping = expanded
    while parent is not None:
        parent._value = _scatter(parent._value, chain, top._value, overlapping, exact=True) if chain else top._value
        top, overlapping = parent, False
        parent, chain = _parent(top)
    _rederive(top, None if expanded else t)  # an expanded view itself is re-read: its elements alias
    if not regenerate:
        return
    counter = t._version_counter
    # (a write in no_grad mode is not recorded: the view written through is as stale as the others)
    written = t if _gm._state.grad_enabled else None
    for v in _storage_tensors(top):  # (views of aliases too: a detach() shares the version counter; .data not)
        if v._base is not None and v._grad_fn is not None and v._version_counter is counter:
            _rebase_view(v._base, v, written)


_MULTI_OUTPUT_RULE = (
    "This view is the output of a function that returns multiple views. Such functions do not allow the output "
    "views to be modified inplace. You should replace the inplace operation by an out-of-place one."
)
_CUSTOM_FUNCTION_RULE = (
    "This view was created inside a custom Function (or because an input was returned as-is) and the autograd "
    "logic to handle view+inplace would override the custom backward associated with the custom Function, "
    "leading to incorrect gradients. This behavior is forbidden. You can fix this by cloning the output of the "
    "custom Function."
)
_NO_GRAD_RULE = (
    "Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
    "both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
    "tracked) or both outside (if you want the inplace to be tracked)."
)
_CREATION_RULES = {
    "multi_output": _MULTI_OUTPUT_RULE,
    "no_grad": _NO_GRAD_RULE,
    "custom_function": _CUSTOM_FUNCTION_RULE,
}


def _history_first(t) -> None:
    """torch's autograd layer collects an op's input edges before its kernel checks the arguments: a stale view
    is rebuilt (or refused, with handle_view_on_rebase's error) before a shape or dim error."""
    if _gm._state.grad_enabled and _may_be_stale(t):
        t.grad_fn  # noqa: B018


def _may_be_stale(t) -> bool:
    """Whether reading t's grad_fn can rebuild or refuse it: a view without one, unless it has no grad_fn field
    and its base needs no grad (where torch returns early; a refused view still holds its field)."""
    return t._base is not None and t._grad_fn is None and (t._refused_grad_fn is not None or t._base.requires_grad)


def _rebase_error(view, indirect: bool) -> RuntimeError:
    """torch's handle_view_on_rebase: a write to a view torch made with a non-default creation meta, directly
    or (indirect) through its base. The message names the grad_fn field the view holds (a refused view keeps
    its old one)."""
    fn = view._grad_fn if view._grad_fn is not None else view._refused_grad_fn
    label = f"Output {view._output_nr} of {_node_label(fn)}" if fn is not None else None
    modified = "its base or another view of its base has been" if indirect else "is being"
    if view._creation == "no_grad" or label is None:
        prefix = "A view was created in" if label is None else f"{label} is a view of a view which was created in"
        what = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        what = f"{label} is a view and {modified} modified inplace."
    return RuntimeError(f"{what} {_CREATION_RULES[view._creation]}")


def _rebase_view(base, v, written=None) -> None:
    """Rebuild view v's history after a write into its storage. torch does that lazily, when v's grad_fn is
    next read (or at once for the view written through): until then the old node lives on in `_lazy_old`,
    which the messages that name a saved result's node can see."""
    if v is not written and v._grad_fn is not None and "_lazy_old" not in v.__dict__:
        v._lazy_old = v._grad_fn
    if v._creation is not None:
        if v._grad_fn is not None:
            v._refused_grad_fn, v._grad_fn = v._grad_fn, None
    else:
        _set_view_node(base, v)


def _stale_view_grad_fn(view) -> None:
    """A view without history whose storage was written since it was made gets one as soon as its base
    requires grad: torch's grad_fn getter compares versions and regenerates it then, or raises for a view
    of a multi-output op or one made in no_grad mode (torch's handle_view_on_rebase)."""
    base = view._base
    if view._version_counter[0] != view._attr_version and _may_be_stale(view):
        if view._creation is not None:
            raise _rebase_error(view, indirect=True)
        _set_view_node(base, view)


def _set_view_node(base, v) -> None:
    v._grad_fn = _view_node(base, v)
    v._output_nr = 0
    v._attr_version = v._version_counter[0]
    if v._retains_grad:
        _register_retained(v)


def _rederive(top, written) -> None:
    """Refresh every view and alias hanging below top from its new value (but the one just written)."""
    stack = [top]
    while stack:
        owner = stack.pop()
        for v in list(owner._views or ()):
            if v is not written:
                v._value = _apply_chain(v._view_fn if v._base is owner else v._alias_chain, owner._value, exact=True)
            if v._views:
                stack.append(v)


def _storage_tensors(t) -> list:
    """Every tensor a write into t changes: the top of its storage and all the views and aliases below it."""
    top, parent = t, _parent(t)[0]
    while parent is not None:
        top, parent = parent, _parent(parent)[0]
    out, stack = [], [top]
    while stack:
        u = stack.pop()
        out.append(u)
        stack.extend(u._views or ())
    return out


class _ChainKernel:
    """A kernel-like object for nodes the lowering differentiates: `pure` plus a structural `key`."""

    __slots__ = ("pure", "key", "op", "names", "kept", "steps", "source_strides", "undefined")

    def __init__(self, pure, key, kept=None, steps=None, source_strides=None):
        self.pure = pure
        self.key = key
        self.op = None
        self.names = None
        self.kept = kept  # the positions of the inputs torch has edges for (None: all; see OpDef.edges)
        self.steps = steps  # as view ops, for its geometry: ((op name, params), ...) (None: not a view)
        # a regenerated view's: its base's strides, the input geometry torch's as_strided_backward lays out by
        self.source_strides = source_strides
        self.undefined = ()  # the inputs whose gradient torch's formula leaves undefined (None, never zeros)


def _view_node(base, view):
    chain = view._view_fn

    def pure(b):
        return _apply_chain(chain, b)

    k = _ChainKernel(pure, ("as_strided", tuple(c.key for c in chain)), source_strides=tuple(_layout(base)[0]))
    edge = R._edge(base)
    node = Node(k, (base._value,), (edge,), (), ((view._value.shape, view._value.dtype),), "AsStridedBackward0")
    node.fragment = (k.key, (base._value.shape,), (edge is not None,))
    return node


def _propagate_grad_fn(view, required_grad: bool = True) -> None:
    """After an in-place op on a view was recorded: rewrite the base's history as CopySlices.
    `required_grad`: whether the view required grad before the write."""
    base = view._base
    op_node = view._grad_fn
    chain = view._view_fn
    inner = op_node.kernel.pure
    base_old = _last_base_old

    def pure(b, *others):
        return _scatter(b, chain, inner(_apply_chain(chain, b), *others))

    inner_op = getattr(op_node.kernel, "op", None)
    kept = inner_op.edges(op_node.kernel.key[2]) if inner_op is not None and inner_op.edges is not None else None
    k = _ChainKernel(pure, ("copy_slices", tuple(c.key for c in chain), op_node.kernel.key), kept)
    edges = (R._edge(base),) + op_node.next_edges[1:]
    saved = (base_old,) + op_node.saved[1:]
    node = Node(
        k,
        saved,
        edges,
        op_node.saved_versions,
        ((base._value.shape, base._value.dtype),),
        "torch::autograd::CopySlices",
    )
    node._saves_tensors = True  # torch's CopySlices drops its wrapped fn on release: a second backward fails
    if _strided(base):  # (its backward writes into a buffer laid out as the base: buffers.py)
        node._operand_layouts = ((base._value.shape, _layout(base)[0]),)
    if op_node._packed:  # saved_tensors_hooks: the view's old value is written into the base's (a result is
        # only unpacked: its value is recomputed)
        node._packed = tuple(
            (i if i > 0 else chain if i == 0 else None, packed, how) for i, packed, how in op_node._packed
        )
    node.fragment = (k.key, tuple(getattr(s, "shape", None) for s in saved), tuple(e is not None for e in edges))
    base._grad_fn = node
    base._output_nr = 0
    if required_grad:  # torch moves the base's hooks only for a view that required grad (rebase_history)
        base._hooks = None
        if base._retains_grad:  # (update_tensor_hooks_on_new_gradfn: the retain_grad hook moves along)
            _register_retained(base)
    _refresh_view_grad_fns(base, view)
    # torch saves the op's result with the view's regenerated grad_fn held weakly, and names that while it
    # lives (the view or a graph keeps it), else the op's own node
    held = weakref.ref(view._grad_fn) if view._grad_fn is not None else None
    node._wrapped = (_node_label(op_node), op_node.out_meta, held)


def _refresh_view_grad_fns(base, written=None) -> None:
    if not base._views or base._grad_fn is None or not _gm._state.grad_enabled:
        return
    for v in list(base._views):
        if v._base is base:  # (aliases are no autograd views)
            _rebase_view(base, v, written)


# ------------------------------------------------------------------ memory overlap (torch's MemOverlap.cpp)

_OVERLAP_MSG = (
    "unsupported operation: {} to a single memory location. Please clone() the tensor before performing the operation."
)


def _storage(t):
    """(storage owner, the view chains from it down to t, top first)."""
    chains = []
    parent, chain = _parent(t)
    while parent is not None:
        chains.append(chain)
        t = parent
        parent, chain = _parent(t)
    return t, chains[::-1]


def _positions(shape, strides, offset):
    """The storage position of each element of a strided tensor, in row-major order."""
    pos = np.full(shape, offset, np.int64)
    for d, (n, st) in enumerate(zip(shape, strides)):
        pos = pos + (np.arange(n, dtype=np.int64) * st).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos.reshape(-1)


def _offsets(owner, chains):
    """Storage offset of each element: the strided layout torch would give."""
    if owner._perm is None:
        offs = jnp.arange(owner._value.size, dtype=jnp.int64).reshape(owner._value.shape)
    else:
        offs = jnp.asarray(_positions(owner._value.shape, _owner_strides(owner), 0).reshape(owner._value.shape))
    for chain in chains:
        offs = _apply_chain_offsets(chain, offs)
    return np.asarray(offs)


def _shares_elements(t) -> bool:
    """Whether two elements of t are one place in memory (an unfold or as_strided window, an expand)."""
    return _overlap_rounds(t) is not None or _internal_overlap(t)


def _overlap_rounds(t):
    """For a view some of whose elements share memory (unfold, as_strided windows): each element's index, in
    row-major order, among the elements before it at the same place, which is the round in which torch's
    element-by-element kernel reaches it. None when every element has a place of its own."""
    owner, chains = _storage(t)  # (a view, or an alias of one: x.unfold(0, 2, 1).detach())
    if not any(k.op is not None and k.op.name in ("unfold", "_as_strided") for c in chains for k in c):
        return None
    pos = _offsets(owner, chains).reshape(-1)
    if np.unique(pos).size == pos.size:
        return None
    seen: dict = {}
    rounds = np.empty(pos.size, np.int64)
    for i, p in enumerate(pos.tolist()):
        rounds[i] = seen[p] = seen.get(p, -1) + 1
    return pos, rounds


def _sequential_write(kernel, values, out, rounds):
    """What torch's kernel leaves in a view whose elements share memory: it writes element by element, so an
    element reached a second time is computed from what the first write left (x.unfold(0, 2, 1).div_(2)
    halves the shared elements twice). `out` is the kernel's result from the old values (round 0)."""
    pos, order = rounds[0].tolist(), rounds[1].tolist()
    shape, dtype = out.shape, values[0].dtype
    cur = values[0].reshape(-1)
    for r in range(max(order) + 1):
        new = (out if r == 0 else kernel.jitted(cur.reshape(shape), *values[1:])).astype(dtype).reshape(-1)
        writer = {p: i for i, (p, o) in enumerate(zip(pos, order)) if o == r}
        src = np.array([writer.get(p, -1) for p in pos], np.int64)
        cur = jnp.where(src >= 0, new[np.maximum(src, 0)], cur)
    return cur.reshape(shape)


def _internal_overlap(t) -> bool:
    """has_internal_overlap == Yes: a dim of size > 1 with stride 0, which only expand makes."""
    owner, chains = _storage(t)
    if not any(k.op is not None and k.op.name == "_expand" for c in chains for k in c):
        return False
    offs = _offsets(owner, chains)
    if offs.size == 0:  # (torch writes nothing into a tensor without elements, and checks nothing)
        return False
    zero = (0,) * offs.ndim
    return any(n > 1 and offs[zero[:d] + (1,) + zero[d + 1 :]] == offs[zero] for d, n in enumerate(offs.shape))


def _overlap(a, b):
    """get_overlap_status for distinct tensors: "full" (the same bytes in the same layout), "partial", or None
    (no overlap, or a layout torch does not analyse: both must be dense and non-overlapping)."""
    (oa_owner, ca), (ob_owner, cb) = _storage(a), _storage(b)
    if oa_owner is not ob_owner or not a._value.size or not b._value.size:
        return None
    oa, ob = _offsets(oa_owner, ca), _offsets(ob_owner, cb)
    for o in (oa, ob):
        if o.max() - o.min() + 1 != o.size or np.unique(o).size != o.size:
            return None
    if (oa.min(), oa.size) == (ob.min(), ob.size):  # the same bytes: torch then compares the strides alone
        return "full" if a.stride() == b.stride() else "partial"
    return "partial" if oa.min() < ob.min() + ob.size and ob.min() < oa.min() + oa.size else None


def _same_data(a, b) -> bool:
    """Aliases of the same elements in the same layout (copy_'s early exit)."""
    if not isinstance(b, R._Tensor) or a._value.dtype != b._value.dtype or a._value.shape != b._value.shape:
        return False
    if a is b:
        return True
    linked = a._base is not None or a._alias is not None or bool(a._views)
    return linked and _storage(a)[0] is _storage(b)[0] and _layout(a) == _layout(b)


def _check_overlap(target, inputs, full=False) -> None:
    """The memory-overlap checks of an op writing into target (TensorIterator's, or with full=True
    assert_no_overlap's, which also refuses an input that is the output's exact alias)."""
    linked = target._base is not None or target._alias is not None or bool(target._views)  # else shares nothing
    if linked and not full and _internal_overlap(target):
        raise RuntimeError(_OVERLAP_MSG.format("more than one element of the written-to tensor refers"))
    for x in inputs:
        if isinstance(x, R._Tensor):
            status = "full" if x is target else _overlap(target, x) if linked else None
            if status == "partial" or full and status == "full":
                raise RuntimeError(
                    _OVERLAP_MSG.format("some elements of the input tensor and the written-to tensor refer")
                )


# ------------------------------------------------------------------------------ strides
# Arrays have no strides; a tensor's torch layout follows from its view chain (owners are contiguous).
_CONTIGUOUS_KERNELS = {"_view", "unsqueeze", "squeeze", "_alias"}


def _contiguous_strides(shape) -> tuple:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def _view_geometry(kernel, shape, strides, offset):
    """torch's (sizes, strides, storage offset) after one view kernel, from its input's; None: not modelled."""
    if isinstance(kernel, _BitcastKernel):
        return kernel.geometry(shape, strides, offset)
    steps = getattr(kernel, "steps", None)
    if steps is None and getattr(kernel, "op", None) is not None:
        steps = ((kernel.op.name, dict(kernel.key[1])),)
    for name, p in steps if steps is not None else ((None, {}),):  # (no steps: a squeeze_ that dropped nothing)
        step = _op_geometry(name, p, shape, strides, offset)
        if step is None:
            return None
        shape, strides, offset = step
    return shape, strides, offset


def _op_geometry(name, p, shape, strides, offset):
    shape, strides, n = list(shape), list(strides), len(shape)

    def wrap(d, ndim):
        return d % ndim if ndim else 0

    if name == "_alias":
        pass
    elif name in ("_view", "_reshape_alias"):
        new = list(p["shape"])
        computed = _view_strides(tuple(shape), tuple(strides), tuple(new))
        if computed is None:
            return None
        shape, strides = new, list(computed)
    elif name in ("transpose", "t"):
        if n >= 2:
            a, b = (wrap(p["dim0"], n), wrap(p["dim1"], n)) if name == "transpose" else (0, 1)
            shape[a], shape[b], strides[a], strides[b] = shape[b], shape[a], strides[b], strides[a]
    elif name == "_permute":
        dims = [wrap(d, n) for d in p["dims"]]
        shape, strides = [shape[d] for d in dims], [strides[d] for d in dims]
    elif name == "unsqueeze":
        d = wrap(p["dim"], n + 1)
        shape.insert(d, 1)
        strides.insert(d, shape[d + 1] * strides[d] if d < n else 1)
    elif name == "squeeze":
        dims = range(n) if p["dim"] is None else p["dim"] if isinstance(p["dim"], (tuple, list)) else (p["dim"],)
        gone = {wrap(d, n) for d in dims if n and shape[wrap(d, n)] == 1}
        shape, strides = (
            [x for i, x in enumerate(shape) if i not in gone],
            [x for i, x in enumerate(strides) if i not in gone],
        )
    elif name == "_expand":  # inferExpandGeometry: a new dim of size 1 gets the stride of the dims inside it
        size = list(p["size"])
        lead = len(size) - n
        new_shape, new_strides = [0] * len(size), [0] * len(size)
        for i in reversed(range(len(size))):
            was = shape[i - lead] if i >= lead else 1
            stride = (
                strides[i - lead] if i >= lead else new_shape[i + 1] * new_strides[i + 1] if i + 1 < len(size) else 0
            )
            if size[i] != -1 and size[i] != was:
                was, stride = size[i], 0
            new_shape[i], new_strides[i] = was, stride
        shape, strides = new_shape, new_strides
    elif name == "select":
        d = wrap(p["dim"], n)
        offset += (p["index"] % shape[d]) * strides[d]
        del shape[d], strides[d]
    elif name in ("narrow", "_slice"):
        d = wrap(p["dim"], n)
        start = min(p["start"] % shape[d] if p["start"] < 0 else p["start"], shape[d])
        offset += start * strides[d]
        if name == "narrow":
            shape[d] = p["length"]
        else:
            shape[d] = max(0, -(-(p["stop"] - start) // p["step"]))
            strides[d] *= p["step"]
    elif name == "diagonal":
        d1, d2, k = wrap(p["dim1"], n), wrap(p["dim2"], n), p["offset"]
        size = max(min(shape[d1], shape[d2] - k) if k >= 0 else min(shape[d1] + k, shape[d2]), 0)
        if size:
            offset += k * strides[d2] if k >= 0 else -k * strides[d1]
        step = strides[d1] + strides[d2]
        keep = [i for i in range(n) if i not in (d1, d2)]
        shape, strides = [shape[i] for i in keep] + [size], [strides[i] for i in keep] + [step]
    elif name == "_as_strided":
        return list(p["size"]), list(p["stride"]), p["storage_offset"]
    elif name == "unfold":
        if not n:
            return [p["size"]], [1], offset
        d = wrap(p["dimension"], n)
        inner = strides[d]
        shape[d] = (shape[d] - p["size"]) // p["step"] + 1
        strides[d] *= p["step"]
        shape, strides = shape + [p["size"]], strides + [inner]
    else:
        return None
    return shape, strides, offset


def _iterator_perm(tensors, shape):
    """The memory order TensorIterator gives an elementwise op's result; None: row-major."""
    return _iterator_order([_broadcast_strides(t._value.shape, _layout(t)[0], shape) for t in tensors], shape)


def _broadcast_strides(in_shape, strides, shape) -> list:
    """An operand's strides as TensorIterator sees them over the broadcast shape: 0 where it is broadcast."""
    lead = len(shape) - len(in_shape)
    return [0] * lead + [0 if n == 1 and shape[lead + i] != 1 else x for i, (n, x) in enumerate(zip(in_shape, strides))]


def _iterator_order(strides, shape):
    """torch's reorder_dimensions: dims sorted by the operands' strides, the first operand whose strides of a
    pair differ deciding, broadcast (0) strides skipped; the dims outermost first, or None for row-major."""
    n = len(shape)

    def should_swap(d0, d1):
        for st in strides:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return 1 if s0 > s1 else -1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(n - 1, -1, -1))  # innermost first
    for i in range(1, n):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    order = tuple(reversed(perm))
    return None if order == tuple(range(n)) else order


def _operand_layouts(args) -> tuple:
    """(shape, strides) of each tensor argument, None for the others: what a backward formula's
    elementwise ops lay their results out by."""
    return tuple((a._value.shape, _layout(a)[0]) if isinstance(a, R._Tensor) else None for a in args)


def _strided(t) -> bool:
    """Whether t may be laid out other than row-major (a view, an alias, or a permuted owner)."""
    return t._base is not None or t._alias is not None or t._perm is not None


def _laid_out_as_inputs(result, tensors, scalar_operand=False, like=False) -> bool:
    """An elementwise op's result takes its inputs' memory order where one is strided (x.t() * 2 is too).
    scalar_operand: torch wrapped a Python number into a 0-dim operand (x * 2, not x.clamp(0)); like: the
    result is empty_like(input), which copies its strides (clone, .to())."""
    if result._value.ndim < 2:
        return False
    strided = [t for t in tensors if _strided(t)]
    if strided:
        shape = result._value.shape
        if not (scalar_operand or like) and all(t._value.shape == shape and _is_contiguous(t) for t in tensors):
            # TensorIterator's fast setup: operands of one shape, all contiguous (a dim of one element may have
            # any stride), give a contiguous result, whatever those strides were
            result._perm = None
        else:
            result._perm = _iterator_perm([t for t in tensors if t._value.ndim], shape)
    return bool(strided)


def _column_major(t) -> None:
    """LAPACK's layout: each matrix of the batch stored column by column."""
    n = t._value.ndim
    if n >= 2:
        t._perm = (*range(n - 2), n - 1, n - 2)


def _preserves_format(memory_format) -> bool:
    return memory_format is None or getattr(memory_format, "_name", None) == "preserve_format"


def _laid_out_like(result, input, memory_format=None):
    """*_like factories (preserve_format): the new tensor takes input's memory order."""
    if _preserves_format(memory_format):
        _laid_out_as_inputs(result, [input], like=True)
    return result


def _owner_strides(owner) -> tuple:
    """An owner's strides: dense, row-major unless an elementwise op laid it out as its inputs (_perm)."""
    shape = owner._value.shape
    if owner._perm is None:
        return _contiguous_strides(shape)
    strides, acc = [0] * len(shape), 1
    for d in reversed(owner._perm):
        strides[d] = acc
        acc *= shape[d]  # (TensorIterator's: an empty dim makes the outer strides 0)
    return tuple(strides)


def _chain_layout(t, owner, chains):
    """(strides, storage offset) followed op by op from the storage's owner, as torch computes them; None
    where a view op is not modelled."""
    shape = list(owner._value.shape)
    strides, offset = list(_owner_strides(owner)), 0
    for chain in chains:
        for k in chain:
            step = _view_geometry(k, shape, strides, offset)
            if step is None:
                return None
            shape, strides, offset = step
    if tuple(shape) != tuple(t._value.shape):
        return None
    return tuple(strides), offset


def _layout(t) -> tuple:
    """(strides, storage offset) torch would give t."""
    shape = t._value.shape
    owner, chains = _storage(t)
    if owner is t and t._perm is not None:
        return _owner_strides(t), 0
    if owner is not t:
        exact = _chain_layout(t, owner, chains)
        if exact is not None:
            return exact
    if owner._perm is None and (
        owner is t or all(k.op is not None and k.op.name in _CONTIGUOUS_KERNELS for c in chains for k in c)
    ):
        offset = 0 if owner is t else int(_offsets(owner, chains).reshape(-1)[0]) if t._value.size else 0
        return _contiguous_strides(shape), offset
    offs = _offsets(owner, chains)
    if not offs.size:
        return _contiguous_strides(shape), 0
    origin = (0,) * offs.ndim
    strides = [0] * len(shape)
    for d in reversed(range(len(shape))):
        if shape[d] > 1:
            strides[d] = int(offs[origin[:d] + (1,) + origin[d + 1 :]] - offs[origin])
        else:  # a size-1 dim: torch's unsqueeze convention
            strides[d] = strides[d + 1] * max(shape[d + 1], 1) if d + 1 < len(shape) else 1
    return tuple(strides), int(offs[origin])


def _is_non_overlapping_and_dense(t) -> bool:
    """torch's is_non_overlapping_and_dense: some order of the dims (by stride) is contiguous."""
    return _dense_layout(t._value.shape, _layout(t)[0])


def _dense_layout(shape, strides) -> bool:
    """Whether strides lay shape out non-overlapping and dense: some order of the dims is contiguous."""
    expected = 1
    for stride, n in sorted((s, n) for n, s in zip(shape, strides) if n != 1):
        if stride != expected:
            return False
        expected *= n
    return True


def _is_contiguous(t) -> bool:
    if t._value.size == 0:
        return True
    strides, _ = _layout(t)
    expected = _contiguous_strides(t._value.shape)
    return all(n == 1 or s == e for n, s, e in zip(t._value.shape, strides, expected))


def _view_strides(old_shape, old_strides, new_shape):
    """torch's computeStride: the strides of a view with new_shape, or None when no view can express it."""
    if not old_shape:
        return _contiguous_strides(new_shape)
    numel = 1
    for n in old_shape:
        numel *= n
    if numel == 0:  # (any shape views no elements: the old strides if the shape is kept, else resize's)
        return tuple(old_strides) if tuple(old_shape) == tuple(new_shape) else _contiguous_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = old_strides[-1]
    tensor_numel, view_numel = 1, 1
    for d in reversed(range(len(old_shape))):
        tensor_numel *= old_shape[d]
        if d == 0 or (old_shape[d - 1] != 1 and old_strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base = old_strides[d - 1]
                tensor_numel, view_numel = 1, 1
    return tuple(new_strides) if view_d == -1 else None


def _viewable(t, new_shape) -> bool:
    if not _strided(t):
        return True  # a row-major owner: every shape of its size is a view
    strides, _ = _layout(t)
    return _view_strides(tuple(t._value.shape), strides, tuple(new_shape)) is not None
