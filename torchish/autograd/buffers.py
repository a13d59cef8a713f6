"""The version counters of gradients: which gradient tensors torch's engine would reuse.

torch reuses a gradient tensor when it holds the only reference to a dense one: AccumulateGrad steals it
for ``.grad`` (keeping its version) and InputBuffer sums a second contribution into it in place (+1).
Anything else is copied (AccumulateGrad's ``copy_`` leaves version 1) or summed out of place (version 0).
Values never depend on this, only ``_version`` does, so it is replayed on the plan's structure after the
jitted backward has run: which nodes pass their incoming gradient through, view it, or make a new one.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

# inputs whose gradient is the incoming one itself (torch's formula is `grad`)
_PASS = {
    "AddBackward0": (0, 1),
    "AddBackward1": (0,),
    "SubBackward0": (0,),
    "SubBackward1": (0,),
    "CloneBackward0": (0,),
    "FracBackward0": (0,),
    "FmodBackward0": (0,),
    "FmodBackward1": (0,),
    "RemainderBackward0": (0,),
    "RemainderBackward1": (0,),
    "AliasBackward0": (0,),
    "torch::autograd::Identity": (0,),
    "torch::autograd::CopyBackwards": (1,),  # (grad.to(src's options): the gradient itself where src has its dtype)
}
# a view of the incoming gradient that keeps its layout (reshape-like), permutes it, or expands it
_RESHAPE = {
    "ViewBackward0",
    "UnsafeViewBackward0",
    "ReshapeAliasBackward0",
    "SqueezeBackward0",
    "SqueezeBackward1",
    "SqueezeBackward2",
    "UnsqueezeBackward0",
}
_PERMUTE = {"TBackward0", "TransposeBackward0", "PermuteBackward0"}
# the in-place view ops' nodes, whose formulas are their out-of-place twins'
_TWIN = {
    "UnsqueezeBackward1": "UnsqueezeBackward0",
    "SqueezeBackward3": "SqueezeBackward0",
    "SqueezeBackward4": "SqueezeBackward1",
    "SqueezeBackward5": "SqueezeBackward2",
    "TBackward1": "TBackward0",
    "TransposeBackward1": "TransposeBackward0",
}


def _formula_of(node) -> str:
    """The name of the formula a node's backward applies (an in-place view op's is its out-of-place twin's)."""
    name = node.name()
    return _TWIN.get(name, name)


_SQUEEZES = {"SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2"}
# torch's formula fills zeros and writes into them in place (index_put_, scatter_, copy_): the new gradient
# starts at that many versions
_WRITTEN = {
    "torch::autograd::CopySlices": 2,  # copy_ of the whole gradient, then copy_ (or zero_) of the slice
    "AsStridedBackward0": 1,
    "IndexBackward0": 1,
    "IndexSelectBackward0": 1,
    "GatherBackward0": 1,
    "TakeBackward0": 1,
    "MaskedSelectBackward0": 1,
    "MaxBackward1": 1,
    "MinBackward1": 1,
    "MedianBackward0": 1,
    "MaxBackward0": 2,
    "MinBackward0": 2,
    "MedianBackward1": 2,
    "KthvalueBackward0": 2,
    "SortBackward0": 2,
    "TopkBackward0": 2,
    "CummaxBackward0": 2,
    "CumminBackward0": 2,
}
_EXPAND = {"SumBackward0", "SumBackward1"}
# the chain of a gradient that is a view of a tensor nobody else holds: ("fresh_base", that tensor's shape).
# torch's as_strided_backward scatters into zeros of its input's storage size and returns a view of them; a
# reshape-like formula views the intermediate gradient it got


def leaf_layout(edge) -> str:
    """An AccumulateGrad target's layout, which decides what torch does with a gradient it cannot steal:
    "contiguous" or "permuted" (dense: copy_ into that layout, version 1), else "strided" (a contiguous clone,
    version 0)."""
    var = getattr(edge[0], "variable", None) if edge is not None else None
    if var is None or var._base is None and var._alias is None and var._perm is None:
        return "contiguous"
    from ..ops.views import _is_contiguous, _is_non_overlapping_and_dense

    if _is_contiguous(var):
        return "contiguous"
    return "permuted" if _is_non_overlapping_and_dense(var) else "strided"


def is_fresh_base(chain) -> bool:
    return chain is not None and chain[0] == "fresh_base"


def is_hook_chain(chain) -> bool:
    """A chain from a tensor a hook returned (its head ("hook", node, output)), not from a root's gradient."""
    return chain is not None and isinstance(chain[0], tuple)


class _Storage:
    __slots__ = ("version", "tensors")

    def __init__(self):
        self.version, self.tensors = 0, 0


class _Buf:
    """A gradient tensor: its storage (version counter shared with its views), its strides where its layout
    is non-overlapping and dense (else None), how many places hold it, and, when it is a root's gradient or a
    view of one, how to make it from that root's tensor: (root position, view recipe, ...). layout: the strides
    of an expanded gradient (0 where it is broadcast), which elementwise formulas lay their results out by."""

    __slots__ = ("storage", "strides", "refs", "chain", "base", "layout")

    def __init__(self, storage, strides, chain=None, base=None, layout=None):
        self.storage, self.strides, self.refs, self.chain, self.layout = storage, strides, 0, chain, layout
        storage.tensors += 1
        self.base = base  # a view keeps its base tensor alive (torch's ViewInfo), so its storage has two tensors
        if base is not None:
            base.refs += 1


def _held(b):
    b.refs += 1
    return b


def _release(b):
    b.refs -= 1
    if b.refs == 0:
        b.storage.tensors -= 1
        if b.base is not None:
            _release(b.base)


def _obeys_layout(strides, shape, wanted=None) -> bool:
    """torch's obeys_layout_contract for a gradient of `shape` laid out by `strides` and a dense variable
    (contiguous, or with the wanted strides): the variable's stride at each position where the gradient's dim has
    more than one element (a dim of one element may have any stride but 0). The gradient's dims are walked, so a
    variable that took another shape since is compared position by position."""
    from ..ops.views import _contiguous_strides

    if strides is None:
        return False
    wanted = _contiguous_strides(shape) if wanted is None else wanted
    return len(shape) <= len(wanted) and all(s == c if n != 1 else s != 0 for n, s, c in zip(shape, strides, wanted))


def _if_dense(strides, shape):
    """strides where they lay shape out non-overlapping and dense, else None."""
    from ..ops.views import _dense_layout

    return None if strides is None or not _dense_layout(shape, strides) else tuple(strides)


def _stealable(b, shape, wanted=None, grad_shape=None) -> bool:
    """AccumulateGrad: only this handle, in the variable's layout. grad_shape: the gradient's, where the variable
    took a new shape since its AccumulateGrad was made."""
    from ..ops.views import _contiguous_strides

    if grad_shape is not None and tuple(grad_shape) != tuple(shape):
        wanted = _contiguous_strides(shape) if wanted is None else wanted
        return b.refs == 1 and _obeys_layout(b.strides, tuple(grad_shape), wanted)
    return b.refs == 1 and _obeys_layout(b.strides, shape, wanted)


def _addable(b) -> bool:  # InputBuffer: only this handle and the only tensor on its storage, dense
    return b.strides is not None and b.refs == 1 and b.storage.tensors == 1


def _view_recipe(node, dest_shape):
    """The view op torch's formula applies to the incoming gradient (see views_of_roots)."""
    if getattr(node.kernel, "op", None) is None:  # a create_graph node is named after JAX's primitive
        return None
    name, params = _formula_of(node), dict(node.kernel.key[1])
    # the view torch's formula makes, so that a create_graph result's grad_fn is named as torch's
    if name == "UnsqueezeBackward0":
        return ("squeeze", params["dim"])
    if name in _SQUEEZES:  # unsqueeze_to the input's sizes
        dims = params.get("dim")
        dims = range(len(dest_shape)) if dims is None else dims if isinstance(dims, (tuple, list)) else (dims,)
        return ("unsqueezes", tuple(sorted({d % len(dest_shape) for d in dims if dest_shape[d] == 1})))
    if name in _RESHAPE:
        return ("reshape", dest_shape)
    if name == "TBackward0":
        return ("t",)
    if name == "TransposeBackward0":
        return ("transpose", params.get("dim0", 0), params.get("dim1", 1))  # (RNN's batch_first transpose: 0, 1)
    if name == "PermuteBackward0":
        dims = [d % max(len(dest_shape), 1) for d in params["dims"]]
        return ("permute", tuple(sorted(range(len(dims)), key=dims.__getitem__)))
    if name == "SumBackward0":
        return ("expand", dest_shape)
    if name == "SumBackward1" and not params.get("keepdim") and dest_shape:
        dims = params["dim"] if isinstance(params["dim"], (tuple, list)) else (params["dim"],)
        return ("unsqueeze_expand", tuple(sorted(d % len(dest_shape) for d in dims)), dest_shape)
    if name == "SumBackward1":
        return ("expand", dest_shape)
    return None  # a view we do not rebuild (cat's narrow): the result is then a plain tensor


def _source_strides(node, shape) -> tuple:
    """The strides of an as_strided node's input (a regenerated view's input is its base)."""
    k = node.kernel
    strides = dict(k.key[1]).get("source_strides") if getattr(k, "op", None) is not None else k.source_strides
    return tuple(math.prod(shape[d + 1 :]) for d in range(len(shape))) if strides is None else tuple(strides)


def _as_strided_chain(node, shape):
    """torch's as_strided_backward: zeros spanning the input's storage extent, viewed with the input's
    geometry."""
    strides = _source_strides(node, shape)
    extent = 1 + sum((n - 1) * st for n, st in zip(shape, strides)) if math.prod(shape) else 0
    return ("fresh_base", (extent,), ("as_strided", shape, tuple(strides), 0))


def _view(src, strides, node, dest_shape, layout=None, recipe=None):
    if src.chain is None or is_fresh_base(src.chain):
        # an intermediate gradient, viewed (again): a view of a tensor nobody else holds
        views = recipe is not None or _formula_of(node) in _RESHAPE | _PERMUTE | _EXPAND
        recipe = recipe or (_view_recipe(node, dest_shape) if views else None)
        chain = src.chain or ("fresh_base", tuple(node.out_meta[0][0]))
        return _Buf(src.storage, strides, None if recipe is None else chain + (recipe,), src, layout)
    recipe = recipe or _view_recipe(node, dest_shape)
    return _Buf(src.storage, strides, None if recipe is None else src.chain + (recipe,), src, layout)


def _fresh(storage, shape, strides):
    """A new gradient tensor with these dense strides: where they are not row-major, its chain lays it out."""
    order = _order_of(strides)
    if order is None:
        return _Buf(storage, strides)
    return _Buf(storage, strides, ("fresh_base", tuple(shape), ("laid_out", order)))


def _produced_shape(node, j, default):
    """The shape of the gradient node's formula gives input j: that input's as the node saw it (the tensor may
    have taken a new shape in no_grad mode since its own node recorded one)."""
    saved = node.saved  # (aligned with the edges, as saved._invalid_gradient reads it; a custom Function's is not)
    if (
        saved is not None
        and getattr(node, "_eager_vjp", None) is None
        and j < len(saved)
        and hasattr(saved[j], "shape")
    ):
        return tuple(saved[j].shape)
    return tuple(default)


def _summed_to_recorded(b, shape, made):
    """validate_outputs' sum_to of a gradient of shape `made` for a destination that recorded `shape` (a tensor that
    took a new shape in no_grad mode since): a new sum, viewed without the leading dims where it has some (the
    sum's tensor then holds the storage too); to a 0-dim shape a plain sum()."""
    from ..ops.views import _contiguous_strides

    _release(_held(b))
    if not shape or len(made) == len(shape):
        return _Buf(_Storage(), _contiguous_strides(shape))
    summed = _Buf(_Storage(), None)
    return _Buf(summed.storage, _contiguous_strides(shape), base=summed)


def _order_of(strides):
    """The dims of dense strides outermost first; None where that is row-major."""
    order = tuple(sorted(range(len(strides)), key=lambda d: -strides[d]))
    return None if order == tuple(range(len(strides))) else order


def _in_order(shape, order):
    """Dense strides laying shape out in this order of dims (outermost first)."""
    strides, step = [0] * len(shape), 1
    for d in reversed(order):
        strides[d] = step
        step *= max(shape[d], 1)
    return tuple(strides)


def only_laid_out(chain) -> bool:
    """A chain that only lays a new gradient out in memory (no view of it)."""
    return is_fresh_base(chain) and len(chain) == 3 and chain[2][0] == "laid_out"


# The operands of each elementwise formula's TensorIterator, in order: torch's formulas read the incoming
# gradient first (grad * f(self)) unless named here. A formula that first makes a tensor of the gradient
# alone (-grad, grad * scalar, zeros) is laid out as the gradient; one whose kernel reads its input first
# (threshold_backward, where(mask, grad, 0)) is laid out as that input.
_GRAD_FIRST_ALONE = {
    "AtanhBackward0", "CeilBackward0", "Deg2RadBackward0", "DivBackward1", "FloorBackward0", "LerpBackward0",
    "LerpBackward1", "LogSigmoidBackward0", "MulBackward1", "NegBackward0", "PowBackward2", "Rad2DegBackward0",
    "ReciprocalBackward0", "RoundBackward0", "RoundBackward1", "RsqrtBackward0", "RsubBackward1", "SgnBackward0",
    "SignBackward0", "SubBackward0", "SubBackward1", "TruncBackward0",
}  # fmt: skip
_INPUTS_FIRST = {
    "AngleBackward0", "ClampBackward0", "ClampBackward1", "ClampMaxBackward0", "ClampMaxBackward1",
    "ClampMinBackward0", "ClampMinBackward1", "ErfBackward0", "ErfcBackward0", "ErfinvBackward0",
    "LeakyReluBackward0", "MaximumBackward0", "MinimumBackward0", "ReluBackward0", "SincBackward0",
    "ThresholdBackward0", "WhereBackward0", "FmaxBackward0", "FminBackward0",
}  # fmt: skip


def _grad_operands(name, j, n):
    if name in _GRAD_FIRST_ALONE:
        return ("grad",)
    if name in _INPUTS_FIRST:
        return (*range(n), "grad")
    if name == "MulBackward0":  # grad * other
        return ("grad", 1 - j)
    if name == "DivBackward0":  # grad / other; -grad * self / (other * other)
        return ("grad", 1) if j == 0 else ("grad",)
    return ("grad", *range(n))


def _elementwise_strides(node, j, src, shape):
    """The strides torch's TensorIterator gives the gradient of an elementwise op's input j (the incoming
    gradient first, then the saved operands its formula reads): None where that is row-major."""
    layouts = node._operand_layouts
    grad = src.layout if src.layout is not None else src.strides
    if layouts is None and (grad is None or not any(grad) or _order_of(grad) is None and 0 not in grad):
        return None
    from ..ops.views import _broadcast_strides, _iterator_order

    operands = _grad_operands(node.name(), j, len(layouts or ()))
    strides = []
    for o in operands:
        if o == "grad":
            strides.append(list(grad) if grad is not None else [1] * len(shape))  # (not dense: as row-major)
        elif layouts is not None and o < len(layouts) and layouts[o] is not None:
            strides.append(_broadcast_strides(*layouts[o], shape))
    order = _iterator_order(strides, tuple(shape))
    return None if order is None else _in_order(shape, order)


def _permuted(strides, recipe):
    """The strides of a permuted (t, transpose, permute) view."""
    if strides is None or len(strides) == 0:  # (a 0-dim transpose is the tensor itself)
        return strides
    op, *args = recipe
    if op == "t":
        return strides[::-1]
    if op == "transpose":
        out = list(strides)
        out[args[0]], out[args[1]] = out[args[1]], out[args[0]]
        return tuple(out)
    return tuple(strides[d] for d in args[0])


def _passes_on(node, j, grad_shape, dest_shape) -> bool:
    """torch's formula is `grad` itself: not where the input was broadcast (sum_to) or had another dtype."""
    if j not in _PASS.get(node.name(), ()) or tuple(dest_shape) != tuple(grad_shape):
        return False
    key = getattr(node.kernel, "key", None)
    if not (isinstance(key, tuple) and len(key) > 2 and isinstance(key[1], tuple) and isinstance(key[2], tuple)):
        return True
    if j == 1 and dict(key[1]).get("alpha", 1) != 1:  # add's other gets grad * alpha
        return False
    entry = key[2][j] if j < len(key[2]) else None
    return not isinstance(entry, tuple) or entry[0] == node.out_meta[0][1]


def _cat_narrow(node, j, dest_shape):
    """cat's formula narrows the incoming gradient for input j: ("narrow", dim, start, length); None where the
    inputs' shapes are gone."""
    saved, key = node.saved, getattr(node.kernel, "key", None)
    if saved is None or getattr(node, "_eager_vjp", None) is not None or not dest_shape or len(saved) <= j:
        return None
    if not all(hasattr(v, "shape") for v in saved):
        return None
    d = dict(key[1]).get("dim", 0) % len(dest_shape)
    # (torch skips the legacy empty 1-D inputs)
    start = sum(v.shape[d] for v in saved[:j] if not (v.ndim == 1 and v.shape[0] == 0))
    return ("narrow", d, start, dest_shape[d])


def _derived(node, j, src, dest_shape, grad_mode=False):
    from ..ops.views import _contiguous_strides

    name, grad_shape = _formula_of(node), node.out_meta[0][0]
    if node._of_backward:  # (named after a JAX primitive, not after a formula that would pass its gradient on)
        name = None
    if name is not None and _passes_on(node, j, grad_shape, dest_shape):
        return src
    if name in _SQUEEZES and tuple(dest_shape) == tuple(grad_shape):
        return src  # nothing was squeezed: unsqueeze_to returns the gradient itself
    contiguous = _obeys_layout(src.strides, grad_shape)
    dest_contiguous = _contiguous_strides(dest_shape)
    if name in _RESHAPE:  # (a 0-dim view has no strides to break AccumulateGrad's layout contract)
        if src.layout is not None or src.strides is not None and not contiguous and dest_shape:
            from ..ops.views import _view_strides

            layout = _view_strides(tuple(grad_shape), src.layout or src.strides, tuple(dest_shape))
            strides = _if_dense(layout, dest_shape)
            return _view(src, strides, node, dest_shape, layout if src.layout is not None else None)
        return _view(src, dest_contiguous if contiguous or len(dest_shape) == 0 else None, node, dest_shape)
    if name in _PERMUTE:
        recipe = _view_recipe(node, dest_shape)
        if recipe is None:  # (no params to permute by: contiguous only where at most one dim has several elements)
            strides = dest_contiguous if contiguous and sum(d > 1 for d in grad_shape) < 2 else None
            return _view(src, strides, node, dest_shape)
        layout = None if src.layout is None else _permuted(src.layout, recipe)
        return _view(src, _permuted(src.strides, recipe), node, dest_shape, layout)
    if name == "SumBackward0":  # grad.expand(sizes): dense only when nothing is broadcast, a 0-dim input
        strides = () if src.strides is not None and len(dest_shape) == 0 else None
        return _view(src, strides, node, dest_shape, (0,) * len(dest_shape))
    if name == "SumBackward1":  # unsqueeze, then expand over the reduced dims
        dense = contiguous and math.prod(dest_shape) == math.prod(grad_shape)
        return _view(src, dest_contiguous if dense else None, node, dest_shape, _expanded(node, src, dest_shape))
    genuine = getattr(getattr(node.kernel, "op", None), "name", None) in ("cat", "stack")  # (not an RNN layer's)
    if name == "CatBackward0" and not genuine:
        return _Buf(src.storage, _if_dense(src.strides, dest_shape))
    if name == "CatBackward0":  # a narrow view of the incoming gradient per input
        # (in grad mode the narrow has a history of torch's own: the gradient is a plain tensor here, README)
        recipe = None if grad_mode else _cat_narrow(node, j, tuple(dest_shape))
        layout = src.layout if src.layout is not None else src.strides  # (a narrow keeps its strides)
        if recipe is None:  # (a view all the same: it keeps the incoming gradient alive, as torch's ViewInfo)
            return _Buf(src.storage, _if_dense(src.strides, dest_shape), None, src, layout)
        return _view(src, _if_dense(src.strides, dest_shape), node, dest_shape, layout, recipe=recipe)
    if name == "StackBackward0":  # unbind: a select view of the incoming gradient per input
        d = dict(node.kernel.key[1]).get("dim", 0) % len(grad_shape)
        strides = None if src.strides is None else src.strides[:d] + src.strides[d + 1 :]
        if not genuine:
            return _Buf(src.storage, _if_dense(strides, dest_shape))
        grad = src.layout if src.layout is not None else src.strides
        layout = None if grad is None else grad[:d] + grad[d + 1 :]
        if grad_mode:
            return _Buf(src.storage, _if_dense(strides, dest_shape), None, src, layout)
        return _view(src, _if_dense(strides, dest_shape), node, dest_shape, layout, recipe=("select", d, j))
    fresh = _Storage()
    # (CopySlices: the copied whole gradient goes to the base; the other inputs get the wrapped op's gradients
    # of a clone of the slice, new tensors)
    fresh.version = _WRITTEN.get(name, 0) if j == 0 or name != "torch::autograd::CopySlices" else 0
    if name == "torch::autograd::CopySlices" and j == 0 and node._operand_layouts:
        # (new_empty_strided of the base's sizes and strides, as the base was when the view was written)
        shape, strides = node._operand_layouts[0]
        if tuple(shape) == tuple(dest_shape) and _if_dense(strides, dest_shape) is not None:
            return _fresh(fresh, dest_shape, tuple(strides))
    if name == "AsStridedBackward0":
        fresh.tensors += 1  # the zeros the view is made of hold the storage too: never summed into in place
        strides = _if_dense(_source_strides(node, tuple(dest_shape)), dest_shape)
        return _Buf(fresh, strides, _as_strided_chain(node, tuple(dest_shape)))
    lead = len(grad_shape) - len(dest_shape)
    elementwise = getattr(getattr(node.kernel, "op", None), "pointwise", False)
    if elementwise and tuple(dest_shape) == tuple(grad_shape) and name is not None:
        strides = _elementwise_strides(node, j, src, dest_shape)
        if strides is not None:
            return _fresh(fresh, dest_shape, strides)
    if lead > 0 and dest_shape and (elementwise or name == "ExpandBackward0"):
        # torch's engine sums a broadcast input's gradient to its shape (sum_to, also expand's formula): a keepdim
        # sum, viewed without the leading dims (to a 0-dim shape, sum_to is a plain sum())
        chain = ("fresh_base", (1,) * lead + tuple(dest_shape), ("reshape", tuple(dest_shape)))
        fresh.tensors += 1  # the keepdim sum the view is of holds the storage too: never summed into in place
        return _Buf(fresh, dest_contiguous, chain)
    return _Buf(fresh, dest_contiguous)


def _expanded(node, src, dest_shape):
    """SumBackward1's expand of the incoming gradient: its strides, 0 over the summed dims (None: unknown)."""
    grad = src.layout if src.layout is not None else src.strides
    recipe = _view_recipe(node, dest_shape)
    if grad is None or recipe is None:
        return None
    if recipe[0] == "unsqueeze_expand":
        out = list(grad)
        for d in recipe[1]:
            out.insert(d, 0)
        return tuple(out)
    return tuple(0 if n == 1 and m != 1 else x for n, m, x in zip(node.out_meta[0][0], dest_shape, grad))


def _hook_layout(b, shape):
    """How a gradient buffer is laid out where that is not row-major: ("expanded", its broadcast dims) for sum's
    expand, ("order", dims outermost first) for a permuted dense one; else None."""
    if b.layout is not None:
        dims = tuple(d for d, (n, st) in enumerate(zip(shape, b.layout)) if st == 0 and n != 1)
        if dims:
            return ("expanded", dims)
    order = None if b.strides is None else _order_of(b.strides)
    return None if order is None else ("order", order)


def target_versions(plan, root_keys, root_strides, accumulate, grad_mode=False):
    """Per target: the `_version` of its gradient, a token shared by targets that get the same tensor, and
    (autograd.grad) its chain when it is a root's gradient tensor or a view of one, else None.
    accumulate: backward(), where each leaf's AccumulateGrad runs once its gradient is complete (steal, or
    copy at version 1); else autograd.grad, which returns the buffers themselves. grad_mode (create_graph): torch
    sums out of place then, so nothing is bumped. root_strides: each root gradient's strides (None where it is
    not dense). Last, what tensor hooks see: {(node, output): _hook_layout} where it is not row-major."""
    from ..ops.views import _contiguous_strides

    bufs, versions, owners, chains, hooked = {}, {}, {}, {}, {}
    pending = {}
    for i, row in enumerate(plan.dests):
        if id(plan.nodes[i]) in plan.needed:
            for d in row:
                if d is not None and d[0] == 1:
                    pending[d] = pending.get(d, 0) + 1

    def put(key, b):  # b's reference moves into the buffer (InputBuffer::accumulate, grad mode off)
        old = bufs.get(key)
        if old is None:
            bufs[key] = b
        elif not grad_mode and _addable(old):  # old.add_(b)
            old.storage.version += 1
            if is_hook_chain(old.chain):
                old.chain = None  # (torch adds into the hook's tensor itself: we return a new one)
            _release(b)
        else:  # old + b: laid out as old where it is dense (TensorIterator follows its inputs' layout)
            _release(old)
            _release(b)
            bufs[key] = _held(_fresh(_Storage(), shape_of(key), old.strides or _contiguous_strides(shape_of(key))))

    def finish(key):  # AccumulateGrad: steal, else copy_ into a tensor laid out as a dense leaf, else clone
        b = bufs.pop(key, None)
        if b is not None:
            edge = plan.target_edges[key[1]]
            layout = leaf_layout(edge)
            # (a view of a root's, or a permuted new tensor: the leaf's hooks see it as it is)
            chains[key] = None if is_fresh_base(b.chain) and not only_laid_out(b.chain) else b.chain
            wanted = tuple(edge[0].variable.stride()) if layout == "permuted" else None
            if _stealable(b, shape_of(key), wanted, plan._recorded_shape(key)):
                versions[key] = b.storage.version
                owners[key] = "stolen"  # (backward: .grad is this very buffer, which a hook may have aliased)
            else:
                versions[key] = 0 if layout == "strided" else 1
            _release(b)

    def shape_of(d):
        if d[0] == 0:
            return plan.nodes[d[1]].out_meta[d[2]][0]
        e = plan.target_edges[d[1]]
        var = getattr(e[0], "variable", None)
        return tuple(var.shape) if var is not None else e[0].out_meta[e[1]][0]

    for r, (key, strides) in enumerate(zip(root_keys, root_strides)):  # the caller's grad_tensors (or the
        put(key, _held(_held(_Buf(_Storage(), strides, (r,)))))  # implicit ones) stay referenced too
    for key in list(bufs):
        if accumulate and key[0] == 1 and key not in pending:
            finish(key)
    for i, n in enumerate(plan.nodes):
        ins = [bufs.pop((0, i, o), None) for o in range(len(n.out_meta))]
        watched = range(len(n.out_meta)) if getattr(n, "_eager_vjp", None) is not None else n._tensor_hooks or ()
        for o in watched:  # (what the tensor's hooks, or a custom Function's backward, see)
            seen = None if ins[o] is None else _hook_layout(ins[o], n.out_meta[o][0])
            if seen is not None:
                hooked[(i, o)] = seen
        # torch captures an input's gradient before the tensor hooks of a node it runs, after those of one it
        # only captures from
        captures_first = id(n) in plan.needed
        for o, tkey in plan._reads(i, n) if captures_first else ():
            if ins[o] is not None:
                put(tkey, _held(ins[o]))
        for o, b in enumerate(ins):
            if b is not None and (i, o) in plan.written_in:  # (a hook's in-place writes)
                b.storage.version += plan.written_in[(i, o)][0]
            if b is not None and (i, o) in plan.fresh_in:  # (a hook's own tensor)
                _release(b)
                chain = (("hook", i, o),) if (i, o) in plan.hook_tensors else None
                strides = plan.fresh_strides.get((i, o))
                shape = n.out_meta[o][0]
                fresh = _fresh(_Storage(), shape, strides) if strides else _Buf(_Storage(), _contiguous_strides(shape))
                ins[o] = _held(fresh if chain is None else _Buf(_Storage(), _contiguous_strides(shape), chain))
        for o, tkey in () if captures_first else plan._reads(i, n):
            if ins[o] is not None:
                put(tkey, _held(ins[o]))
        # the node's outputs all exist (a pass-through output is one more reference) before its inputs are
        # dropped and before each output moves into the buffer it feeds
        outs = []
        if id(n) in plan.needed and any(b is not None for b in ins):
            src = ins[0]
            for j, d in enumerate(plan.dests[i]):
                if d is not None:
                    made = _produced_shape(n, j, shape_of(d))
                    fresh = (i, j) in plan.fresh_out
                    b = _derived(n, j, src, made, grad_mode) if src is not None and not fresh else None
                    strides = plan.fresh_out_strides.get((i, j)) if fresh else None
                    b = b or (
                        _fresh(_Storage(), made, strides) if strides else _Buf(_Storage(), _contiguous_strides(made))
                    )
                    if plan._recorded_shape(d) != made:
                        b = _summed_to_recorded(b, plan._recorded_shape(d), made)
                    outs.append((d, _held(b)))
        for b in ins:
            if b is not None:
                _release(b)
        done = []
        for d, b in outs:
            put(d, b)
            if d[0] == 1:
                pending[d] -= 1
                if pending[d] == 0:
                    done.append(d)
        if accumulate:
            for d in done:
                finish(d)
    bases = {}  # the hidden tensors fresh-base views are made of, numbered: views of one share it
    # ... unless that tensor is itself returned (the gradient of a non-leaf input that a view formula then
    # passed on): the views are then of the returned tensor, ("target", its index)
    returned = {
        id(b.storage): ("target", key[1])
        for key, b in bufs.items()
        if key[0] == 1 and (b.chain is None or only_laid_out(b.chain)) and not accumulate
    }
    for key, b in bufs.items():
        if key[0] == 1:
            versions[key] = b.storage.version
            owners[key] = id(b)
            chains[key] = b.chain
            if is_fresh_base(b.chain):
                token = returned.get(id(b.storage))
                if token is None or tuple(shape_of((1, token[1], 0))) != tuple(b.chain[1]):
                    token = bases.setdefault(id(b.storage), len(bases))
                chains[key] = b.chain[:2] + (token,) + b.chain[2:]
    n_targets = range(len(plan.target_edges))
    out_v = [versions.get((1, k, 0)) for k in n_targets]
    out_o = [owners.get((1, k, 0)) for k in n_targets]
    out_c = [chains.get((1, k, 0)) for k in n_targets]
    for ks in plan.tindex.values():  # an input listed twice gets the same tensor twice
        for k in ks[1:]:
            out_v[k], out_o[k], out_c[k] = out_v[ks[0]], out_o[ks[0]], out_c[ks[0]]
    return out_v, out_o, out_c, hooked


def views_of_fresh_bases(grads, versions, create_graph, chains) -> list:
    """The gradients as torch returns them where its formulas viewed an intermediate gradient (is_fresh_base):
    views, made by the chain's view ops, of a hidden tensor that gradients from the same one share. A
    create_graph gradient's hidden base carries the recorded backward's history (what torch's view formula
    was given), so the view's grad_fn is the view op's and its next is that history. None elsewhere."""
    from .. import _tensor

    bases, out, parts = {}, [], {}
    for g, chain in zip(grads, chains):  # (cat's narrows: each gradient is one part of the base)
        if is_fresh_base(chain) and g is not None and any(r[0] in ("narrow", "select") for r in chain[3:]):
            parts.setdefault(chain[2], {})[tuple(chain[3:])] = g
    for g, version, chain in zip(grads, versions, chains):
        if not is_fresh_base(chain) or g is None:
            out.append(None)
            continue
        _, base_shape, token, *recipes = chain
        if token not in bases and isinstance(token, tuple):  # a returned gradient: the views are of it
            k = token[1]
            base = grads[k] if isinstance(grads[k], _tensor.Tensor) else _tensor.Tensor._make(grads[k])
            base._version_counter[0] = versions[k] or 0
            bases[token] = base
        elif token not in bases:
            others = [(p, r) for r, p in parts.get(token, {}).items() if r != tuple(recipes)]
            bases[token] = _hidden_base(g, create_graph, base_shape, recipes, others)
        (view,) = views_of_roots({0: bases[token]}, [(0, *recipes)], create_graph)
        view._version_counter[0] = version
        out.append(view)
    for token, base in bases.items():
        if isinstance(token, tuple):
            out[token[1]] = base
    return out


def _hidden_base(g, create_graph, base_shape, recipes, others=()):
    """The tensor g is a view of; others: (gradient, recipes) of the other views that fill in its parts."""
    from .. import _tensor
    from .graph import Node

    value = _unviewed(g._value if isinstance(g, _tensor.Tensor) else g, base_shape, recipes)
    for other, its in others:
        value = value + _unviewed(other._value if isinstance(other, _tensor.Tensor) else other, base_shape, its)
    fn = getattr(g, "_grad_fn", None)
    base = _tensor.Tensor._make(value)
    if create_graph and fn is not None:
        from ..ops.views import _ChainKernel
        from .lowering import unviewed_name

        inner = fn.kernel.pure
        kern = _ChainKernel(
            lambda *xs: _unviewed(inner(*xs), base_shape, recipes), ("unviewed", (fn.kernel.key, tuple(recipes)))
        )
        if _only_relays(fn, kern.pure):
            # (fn only laid out what an equation of the backward made, and unview undoes that: it is the base)
            base._grad_fn, base._output_nr = fn.next_edges[0]
            return base
        name = unviewed_name(kern.pure, fn.saved)
        node = Node(kern, fn.saved, fn.next_edges, (), ((base._value.shape, base._value.dtype),), name)
        node._saves_tensors, node._of_backward = True, True
        node.fragment = (kern.key,) + fn.structure()[1:]
        base._grad_fn = node
    return base


def _unviewed(v, base_shape, recipes):
    """A gradient's value put back in the shape of the tensor it is a view of (by its recipes)."""
    shapes = [tuple(base_shape)]  # the shape before each recipe
    for recipe in recipes[:-1]:
        shapes.append(_recipe_shape(recipe, shapes[-1]))

    def unview(v):
        for (op, *args), before in zip(reversed(recipes), reversed(shapes)):
            if op in ("reshape", "squeeze", "unsqueezes"):
                v = v.reshape(before)
            elif op == "as_strided":  # (the zeros around the input's elements stay zero)
                from ..ops.views import _positions

                v = jnp.zeros(before, v.dtype).at[_positions(*args)].set(v.reshape(-1))
            elif op in ("expand", "unsqueeze_expand"):  # (one copy of what was broadcast)
                lead = v.ndim - len(before) if op == "expand" else 0
                drop = range(lead) if op == "expand" else args[0]
                for d in range(v.ndim):
                    if d in drop or d >= lead and op == "expand" and before[d - lead] == 1:
                        v = jax.lax.slice_in_dim(v, 0, 1, axis=d)
                v = jax.lax.squeeze(v, tuple(drop))
            elif op == "laid_out":  # (a layout, not a view)
                pass
            elif op == "narrow":  # (the other inputs' parts: zeros, unless their gradients fill them in)
                v = jax.lax.dynamic_update_slice_in_dim(jnp.zeros(before, v.dtype), v, args[1], args[0])
            elif op == "select":
                v = jax.lax.dynamic_update_slice_in_dim(
                    jnp.zeros(before, v.dtype), v[(slice(None),) * args[0] + (None,)], args[1], args[0]
                )
            elif op == "t":
                v = v.T
            elif op == "transpose":
                v = v.swapaxes(*args)
            else:  # permute: undo it
                v = v.transpose(sorted(range(len(args[0])), key=args[0].__getitem__))
        return v

    return unview(v)


def _only_relays(fn, unviewed) -> bool:
    """Whether unviewed (fn's pure function, then the views undone) returns fn's one input as it is: checked on
    distinct values, which any other layout would move."""
    if not (fn._of_backward and len(fn.saved) == 1 and fn.next_edges[0] is not None):
        return False
    x = fn.saved[0]
    if not hasattr(x, "shape") or x.size > 2**24 or x.dtype.kind != "f":
        return False
    probe = jnp.arange(x.size, dtype=x.dtype).reshape(x.shape)
    try:
        out = unviewed(probe)
    except Exception:  # (a layout that does not apply to the input's shape)
        return False
    return out.shape == x.shape and bool(jnp.array_equal(out, probe))


def _recipe_shape(recipe, s):
    op, *args = recipe
    s = list(s)
    if op in ("reshape", "as_strided", "expand"):
        return tuple(args[0])
    if op == "narrow":
        s[args[0]] = args[2]
        return tuple(s)
    if op == "select":
        return tuple(s[: args[0]] + s[args[0] + 1 :])
    if op == "laid_out":
        return tuple(s)
    if op == "unsqueeze_expand":
        return tuple(args[1])
    if op == "squeeze":
        d = args[0] % max(len(s), 1)
        return tuple(s[:d] + s[d + 1 :]) if s and s[d] == 1 else tuple(s)
    if op == "unsqueezes":
        for d in args[0]:
            s.insert(d, 1)
        return tuple(s)
    if op == "t":
        return tuple(s[::-1])
    if op == "transpose":
        s[args[0]], s[args[1]] = s[args[1]], s[args[0]]
        return tuple(s)
    return tuple(s[d] for d in args[0])  # permute


def views_of_roots(roots, chains, create_graph):
    """The tensors torch's autograd.grad returns where its gradient is a root's gradient tensor itself (a
    pass-through such as add) or a view of it (sum's expand, a view's reshape, t...): made from the root's
    tensor with the same view ops, so they share its storage and version as in torch. None elsewhere.
    roots: {chain head: tensor}, a root's position or a hook's ("hook", node, output)."""
    from .. import _tensor
    from . import grad_mode

    out = []
    with grad_mode.set_grad_enabled(create_graph):  # torch's engine runs the backward in that grad mode
        for chain in chains:
            t = None if chain is None or is_fresh_base(chain) else roots.get(chain[0])
            if t is None:
                out.append(None)
                continue
            for op, *args in chain[1:]:
                if op == "laid_out":  # the hidden tensor itself, laid out as torch's TensorIterator made it
                    t._perm = args[0]
                    continue
                if op in ("unsqueeze_expand", "unsqueezes"):
                    for d in args[0]:
                        t = t.unsqueeze(d)
                    if op == "unsqueezes":
                        continue
                    op, args = "expand", args[1:]
                t = getattr(_tensor.Tensor, op)(t, *args)
            out.append(t)
    return out
