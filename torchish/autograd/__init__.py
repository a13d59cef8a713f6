"""torch.autograd: backward() and grad() over the recorded graph; JAX computes every derivative."""

from __future__ import annotations

import sys
import warnings

import jax
import jax.numpy as jnp

from . import forward_ad, grad_mode  # noqa: F401
from .buffers import is_fresh_base, is_hook_chain, leaf_layout, only_laid_out, views_of_fresh_bases, views_of_roots
from .engine import (  # noqa: F401
    _accumulate_grad,
    _is_checkpoint_valid,
    _laid_out,
    _run_hooks,
    _run_prehooks,
    _wrap_or_none,
    run_backward,
    summed_to_recorded,
)
from .grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
from .graph import AccumulateGrad, Node, _checked_hook_tuple, _Tensor
from .lowering import stats

__all__ = [
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "inference_mode",
    "stats",
    "Node",
    "AccumulateGrad",
    "Variable",
]


def _as_tuple(x):
    if x is None:
        return None
    if isinstance(x, _Tensor()):
        return (x,)
    return tuple(x)


def _make_grads(outputs, grads, is_grads_batched=False):
    """torch's _make_grads: implicit ones for scalar outputs, shape checks, dtype casts."""
    Tensor = _Tensor()
    out = []
    for i, (t, g) in enumerate(zip(outputs, grads)):
        if isinstance(g, Tensor):
            gshape = tuple(g.shape)[1:] if is_grads_batched else tuple(g.shape)
            if gshape != tuple(t.shape):
                from .._tensor import Size

                shown = Size(g.shape) if is_grads_batched else Size(gshape)
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {shown} and output[{i}] has a shape of "
                    f"{Size(t.shape)}."
                )
            if t.dtype.is_complex != g.dtype.is_complex:
                raise RuntimeError(
                    "For complex Tensors, both grad_output and output are required to have the same dtype. Mismatch "
                    f"in dtype: grad_output[{i}] has a dtype of {g.dtype} and output[{i}] has a dtype of {t.dtype}."
                )
            out.append(g)
        elif g is None:
            if t.requires_grad:
                if t.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not t.dtype.is_floating_point:
                    raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {t.dtype}")
                out.append(Tensor._make(_ones(t._value.shape, t._value.dtype)))
            else:
                out.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    return out


def _check_grad_count(outputs, grads):
    # torch pairs outputs with gradients like zip: extra gradients are ignored, missing ones are an error
    if len(grads) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grads)} gradients")


_ONES: dict = {}


def _ones(shape, dtype):
    """The implicit root gradient: jax arrays are immutable, so one per (shape, dtype) serves every call."""
    v = _ONES.get((shape, dtype))
    if v is None:
        v = _ONES[(shape, dtype)] = jnp.ones(shape, dtype)
    return v


def _root_edges(outputs):
    from ..ops._registry import _edge

    edges = []
    for i, t in enumerate(outputs):
        e = _edge(t) if t.requires_grad else None
        if e is None:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        edges.append(e)
    return edges


def _target_edge(t):
    from ..ops._registry import _edge

    return _edge(t)


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate d(tensors)/d(leaves) into the leaves' .grad."""
    outputs = _as_tuple(tensors)
    if grad_variables is not None:
        grad_tensors = grad_variables
    grads = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(outputs)
    inputs = _as_tuple(inputs)
    if inputs is not None and len(inputs) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    grads = _make_grads(outputs, grads)
    _check_grad_count(outputs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    roots = _root_edges(outputs)
    targets, holders = None, None
    if inputs is not None:
        targets, holders = [], []
        for t in inputs:
            if not t.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            if t._grad_fn is not None:  # as torch: a non-leaf input gets retain_grad(), which fills .grad
                t.retain_grad()
            targets.append(_target_edge(t))
            holders.append(t)
    root_vals = [_root_value(g, t, create_graph) for g, t in zip(grads, outputs)]
    root_tensors = _root_tensors(grads, outputs, create_graph)
    if create_graph and not _WARNED_CYCLE:
        _WARNED_CYCLE.append(True)  # (torch's TORCH_WARN_ONCE: once per process)
        warnings.warn(_CYCLE_WARNING, UserWarning, stacklevel=2)
    done = set()

    def root_view(chain):
        """Where a leaf's gradient is a view of a root's gradient tensor (a view's backward), that very view:
        its hooks see it, and .grad shares its storage and version counter where AccumulateGrad steals it."""
        if chain is None or create_graph or is_fresh_base(chain) or is_hook_chain(chain):
            return None  # (a hook's own tensor: AccumulateGrad detaches it)
        if root_tensors[chain[0]] is None:
            return None
        return lambda: views_of_roots(dict(enumerate(root_tensors)), [chain], False)[0]

    def laid(chain):  # a permuted new gradient: how its hooks see it laid out (engine._laid_out)
        return ("order", chain[2][1]) if not create_graph and only_laid_out(chain) else None

    def on_leaf(k, edge, g, version, owner, chain):  # (a leaf torch accumulates while hooked nodes are still to run)
        t = holders[k] if holders is not None else edge[0].variable
        if g is not None and id(t) not in done:
            done.add(id(t))
            _leaf_accumulate(t, edge[0], g, create_graph, version, owner == "stolen", root_view(chain), laid(chain))

    with grad_mode.set_grad_enabled(create_graph):
        versions = {"accumulate": True, "root_strides": [_dense_strides(g) for g in grads]}
        targets, results, error = run_backward(roots, root_vals, targets, create_graph, retain_graph, versions, on_leaf)
        if holders is None:
            holders = [e[0].variable for e in targets]
        seen = set(done)
        vs, owners, chains = versions["of"] if "of" in versions else ([None] * len(results),) * 3
        rows = list(zip(holders, targets, results, vs, owners, chains))
        rank = versions.get("leaf_rank")
        if rank:  # the inputs' AccumulateGrads run in the order torch's engine reaches them, not as listed
            rows.sort(key=lambda row: rank.get(id(row[1][0]), -1) if row[1] is not None else -1)
        for t, e, g, v, o, c in rows:
            if id(t) in seen:  # inputs=[x, x] accumulates once
                continue
            seen.add(id(t))
            if g is not None and isinstance(e[0], AccumulateGrad):
                _leaf_accumulate(t, e[0], g, create_graph, v, o == "stolen", root_view(c), laid(c))
            elif g is not None and t._grad_fn is None:  # (a non-leaf input's retain_grad)
                _leaf_accumulate(t, None, g, create_graph, v)
        if error is not None:
            raise error


_WARNED_CYCLE: list = []
_CYCLE_WARNING = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its gradient "
    "which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid this. If you "
    "have to use this function, make sure to reset the .grad fields of your parameters to None after use to break "
    "the cycle and avoid the leak. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/autograd/engine.cpp:1307.)"
)


def _root_tensors(grads, outputs, create_graph):
    """The root gradient tensors that torch's engine passes on as they are (views of which a formula may
    return). A root gradient with a history would give views with one: the recorded backward's results stay."""
    return [
        g if g is not None and g._value.dtype == t._value.dtype and not (create_graph and g.requires_grad) else None
        for g, t in zip(grads, outputs)
    ]


def _dense_strides(g):
    """A root gradient's strides, where its layout is non-overlapping and dense (else None)."""
    from ..ops.views import _contiguous_strides, _dense_layout

    if g is None or g._base is None and g._alias is None and g._perm is None:
        return None if g is None else _contiguous_strides(g._value.shape)
    strides = tuple(g.stride())
    return strides if _dense_layout(g._value.shape, strides) else None


def _root_value(g, t, create_graph):
    if create_graph and g.requires_grad:
        if g.dtype is not t.dtype:
            g = g.to(t.dtype)
        return g
    v = g._value
    return v if v.dtype == t._value.dtype else v.astype(t._value.dtype)


def _leaf_accumulate(t, node, g, create_graph, version=None, stolen=False, root_view=None, seen=None):
    """The leaf's AccumulateGrad node (None for a non-leaf input, which only stores): the tensor's hooks,
    the node's pre-hooks, .grad, post-accumulate hooks, the node's post-hooks, in torch's order.
    version: what a first .grad's `_version` would be in torch (see buffers.py); stolen: whether torch's
    AccumulateGrad takes the gradient tensor itself as .grad; root_view: makes that tensor where it is a view
    of a root's gradient tensor (whose version it shares); seen: how a new gradient is laid out (engine._laid_out),
    where its hooks see it so."""
    if node is not None and g is not None and tuple(g.shape) != node.shape:
        # (a gradient that reached the leaf through views only is checked here; one that does not expand stays)
        fitted = summed_to_recorded(g, node.shape)
        g, root_view = g if fitted is None else fitted, None
    if node is not None and root_view is not None and tuple(t.shape) != node.shape:
        root_view = None  # (the leaf took a new shape: the view of a root's gradient was summed to the old one)
    exposed = replaced = False
    if root_view is not None and (stolen or t._hooks or node is not None and node._prehooks):
        g = root_view()
    elif seen is not None and (t._hooks or node is not None and node._prehooks):
        g = _laid_out(g, seen)
    if t._hooks:
        g, replaced = _run_hooks(t._hooks, g)
        exposed = True
    if node is not None and node._prehooks:
        (g,), by_node = _run_prehooks(node._prehooks, (_wrap_or_none(g),))  # ((None,) drops the gradient)
        exposed, replaced = True, replaced or by_node
    if node is not None and g is not None and t._grad_fn is not None:
        # an in-place op gave the leaf a history after the graph was built
        raise RuntimeError("leaf variable has been moved into the graph interior")
    steal = root_view is not None and stolen and not exposed
    if steal:
        version = g._version
    if exposed and g is not None and not create_graph and t._grad is None:
        # the hooks saw the very tensor torch's AccumulateGrad steals, unless one of them kept a reference to it
        # (then it copies); a detached alias a hook kept goes on sharing .grad's storage
        from ..ops.views import _is_contiguous

        layout = leaf_layout((node, 0))
        steal = (stolen or replaced and layout != "permuted" and _is_contiguous(g)) and sys.getrefcount(g) <= 2
        if steal:
            version = g._version if replaced or root_view is not None else version
        elif stolen or replaced:
            version = 0 if layout == "strided" else 1
    if g is not None and t._requires_grad:  # (one that stopped requiring grad since stores nothing)
        _accumulate_grad(t, g, create_graph, version, steal, stolen)
    if t._post_acc_hooks:  # torch runs them either way
        for fn in list(t._post_acc_hooks.values()):
            fn(t)
    if node is not None and node._hooks:
        g = _wrap_or_none(g)
    for fn in list((node and node._hooks or {}).values()):
        r = fn((), (g,))
        if r is not None:
            _checked_hook_tuple(fn, r, ())


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
):
    """d(outputs)/d(inputs), returned as a tuple, without touching .grad."""
    Tensor = _Tensor()
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_tuple(outputs)
    ins = _as_tuple(inputs)
    if not ins:
        raise RuntimeError("`inputs` argument to `grad()` cannot be empty.")
    gouts = _as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    for t in ins:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"all inputs have to be Tensors or GradientEdges, but got {type(t).__name__}")
    grads = _make_grads(outs, gouts, is_grads_batched)
    _check_grad_count(outs, grads)
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    roots = _root_edges(outs)
    targets = [_target_edge(t) for t in ins]
    if is_grads_batched:
        results = _batched(roots, grads, outs, targets, retain_graph)
    else:
        root_vals = [_root_value(g, t, create_graph) for g, t in zip(grads, outs)]
        versions = {"accumulate": False, "root_strides": [_dense_strides(g) for g in grads]}
        with grad_mode.set_grad_enabled(create_graph):
            _, results, error = run_backward(roots, root_vals, targets, create_graph, retain_graph, versions)
            if error is not None:
                raise error
        if "of" in versions:
            vs, owners, chains = versions["of"]
            heads = {**dict(enumerate(_root_tensors(grads, outs, create_graph))), **versions.get("hook_tensors", {})}
            views = views_of_roots(heads, chains, create_graph)
            fresh = views_of_fresh_bases(results, vs, create_graph, chains)
            views = [f if f is not None else view for f, view in zip(fresh, views)]
            results = _as_torch_returns(results, vs, owners, views)
        with grad_mode.set_grad_enabled(create_graph):  # (the hooks see the tensors returned, as torch's capture)
            results = _leaf_input_hooks(ins, results)
    out = []
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None:
            if materialize_grads:
                out.append(Tensor._make(jnp.zeros(t._value.shape, t._value.dtype)))
                continue
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior."
                )
            out.append(None)
        else:
            out.append(g if isinstance(g, Tensor) else Tensor._make(g))
    return tuple(out)


def _as_torch_returns(results, versions, owners, views):
    """autograd.grad's results as torch returns its buffers: at their versions, one tensor object for
    inputs that received the very same gradient tensor (a pass-through such as an add, or an input twice),
    and the root's gradient tensor itself or a view of it where torch's formulas pass it on or view it."""
    Tensor = _Tensor()
    out, by_owner = [], {}
    for g, v, o, view in zip(results, versions, owners, views):
        if g is not None and view is not None:
            if o is not None:
                by_owner.setdefault(o, view)
            out.append(by_owner.get(o, view))
            continue
        if g is not None and o is not None and o in by_owner:
            out.append(by_owner[o])
            continue
        if g is not None and (v or o is not None):
            g = g if isinstance(g, Tensor) else Tensor._make(g)
            g._version_counter[0] = v or 0
            if o is not None:
                by_owner[o] = g
        out.append(g)
    return out


def _leaf_input_hooks(ins, results):
    """torch captures a leaf input's gradient after the leaf's tensor hooks (not its post-accumulate ones): a hook
    that returns a new gradient has that tensor returned, as it is."""
    done = {}
    out = list(results)
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None or t._grad_fn is not None or not t._hooks:
            continue
        if id(t) not in done:
            done[id(t)] = _run_hooks(t._hooks, g)[0]
        out[i] = done[id(t)]
    return out


def _batched(roots, grads, outs, targets, retain_graph):
    """is_grads_batched: the lowered backward is vmapped over the leading dim of grad_outputs."""
    from .engine import _Plan, _segments

    plan = _Plan(roots, targets)
    if plan.error is not None:
        raise plan.error
    if len(_segments(plan)) > 1:
        raise RuntimeError("is_grads_batched is not supported together with backward hooks")
    vals = [g._value.astype(t._value.dtype) for g, t in zip(grads, outs)]

    def one(*cts):
        _, res, error = run_backward(roots, list(cts), targets, False, True)
        if error is not None:
            raise error
        return res

    res = jax.vmap(one)(*vals)
    if not retain_graph:
        run_backward(roots, [v[0] for v in vals], targets, False, False)
    return res


from . import functional  # noqa: E402,F401
from .anomaly import detect_anomaly, set_detect_anomaly  # noqa: E402,F401
from .function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: E402,F401
from .variable import Variable  # noqa: E402,F401
