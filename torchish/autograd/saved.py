"""What a node saved, checked and read before its backward runs: torch's freed-graph and version errors (their
texts name the tensor and the node), `.data` writes re-read, saved_tensors_hooks unpacked."""

from __future__ import annotations

from .graph import AccumulateGrad, Node, _node_label, recorded_shape

_FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)


def _tensor_type_str(t) -> str:
    return _type_str(t._value.dtype, t._value.shape)


def _type_str(np_dtype, shape) -> str:
    from .. import _dtype as D
    from ..ops._registry import _type_word

    return f"torch.{_type_word(D._from_np(np_dtype))}Tensor [{', '.join(str(s) for s in shape)}]"


def _check_versions(node) -> None:
    err = _version_error(node)
    if err is not None:
        raise err


def _version_error(node):
    for counter, expected, t, idx in node.saved_versions:
        if idx >= 0 and t._base is not None and counter[0] != t._attr_version:
            try:
                t.grad_fn  # noqa: B018 - torch's unpack reads a saved input's grad_fn first: a stale view is
            except RuntimeError as e:  # rebuilt, or refused with handle_view_on_rebase's error
                return e
        if idx >= 0 and t._grad_fn is None and t._base is None and _was_interior(node, idx):
            return RuntimeError(
                "Trying to use a saved tensor that has been detached in-place, i.e. with .detach_().This is not "
                "supported, please use out-of-place `.detach()` instead"
            )
        if counter[0] != expected:
            # a saved result names the node that made it; a saved input names its current grad_fn
            # a saved output names the node that made it, when it is differentiable (not max's indices)
            # (CopySlices: the in-place op's own node made the result it saved)
            label, out_meta, held = node._wrapped or (None, node.out_meta, None)
            fn = (node if out_meta[-1 - idx][1].kind in "fcV" else None) if idx < 0 else t._grad_fn
            if fn is None and idx >= 0 and _had_history_when_saved(node, t):
                fn = node
            src = ""
            if fn is not None:
                if idx < 0 and held is not None and held() is not None:
                    label = _node_label(held())
                elif label is None or idx >= 0:
                    label = fn.name() if "::" in fn.name() else _node_label(fn)  # (torch::autograd::CopySlices)
                src = f", which is output {-1 - idx if idx < 0 else t._output_nr} of {label},"
            if idx < 0:  # a saved result is held weakly; its node knows its type
                shape, dtype = out_meta[-1 - idx]
                what = _type_str(dtype, shape)
            else:
                what = _tensor_type_str(t)
            return RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"[{what}]{src} is at version {counter[0]}; expected version {expected} instead. "
                "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
                "torch.autograd.set_detect_anomaly(True, check_nan=False)."
            )


def _had_history_when_saved(node, t) -> bool:
    """Whether a custom Function's saved input had a grad_fn when saved: detached in place since, torch's unpack
    names the Function that saved it instead (its saved_for)."""
    return any(e is not None and e[0] is t and e[3] for e in getattr(node, "_entries", None) or ())


def _is_op_node(n) -> bool:
    return isinstance(n, Node) and not isinstance(n, AccumulateGrad)


def _freed(node) -> bool:
    """Whether backward through node must fail as freed: its own saved tensors, or (a create_graph node) those of
    a node whose saved result torch's double backward would run through."""
    return node._freed or any(m._freed for m in node._through)


# torch's formula nodes that save no tensor: a double backward that runs only such a last node never fails as freed
_SAVELESS_FORMULAS = {
    "AddBackward0", "SubBackward0", "NegBackward0", "SumBackward0", "SumBackward1", "ExpandBackward0",
    "ViewBackward0", "UnsafeViewBackward0", "ReshapeAliasBackward0", "PermuteBackward0", "TBackward0",
    "TransposeBackward0", "SqueezeBackward0", "SqueezeBackward1", "UnsqueezeBackward0", "CloneBackward0",
}  # fmt: skip


def _failure(node, needed, targets):
    """The error torch's engine raises on reaching node (freed, or a saved input modified in place), or None."""
    if id(node) not in needed:
        return None
    if _freed(node):
        return None if _only_runs_a_saveless_formula(node, needed, targets) else RuntimeError(_FREED_MSG)
    return _version_error(node) or _invalid_gradient(node, needed, targets)


def _invalid_gradient(node, needed=None, targets=None):
    """torch's validate_outputs: the gradient node passes to an edge must expand to the shape its destination
    recorded (a tensor that took a new shape in no_grad mode since); else its error, raised once node has run.
    Not for a destination the backward never reaches (backward(inputs=[root]) runs the root's node only)."""
    saved = node.saved
    if saved is None or getattr(node, "_eager_vjp", None) is not None:  # (a custom Function checks its own)
        return None
    for j, e in enumerate(node.next_edges):
        if e is None or j >= len(saved) or not hasattr(saved[j], "shape"):
            continue
        if needed is not None and id(e[0]) not in needed and id(e[0]) not in targets:
            continue
        dest = recorded_shape(e)
        got = tuple(saved[j].shape)
        if got == dest:
            continue
        from .function import _expandable

        if not _expandable(dest, got):
            kept = list(node._edge_positions())
            pos = kept.index(j) if j in kept else j
            return RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {pos} - got {list(got)} but expected "
                f"shape compatible with {list(dest)}"
            )
    return None


def _only_runs_a_saveless_formula(node, needed, targets) -> bool:
    """backward(inputs=[g]) of a create_graph gradient g runs g's node, and nothing past it: torch's last formula
    node, which fails as freed only if it saved tensors."""
    return (
        node._of_backward
        and node.name() in _SAVELESS_FORMULAS
        and id(node) in targets
        and not any(e is not None and (id(e[0]) in needed or id(e[0]) in targets) for e in node.next_edges)
    )


def _saves_result(node) -> bool:
    op = getattr(node.kernel, "op", None)
    return op is not None and any(i < 0 for s in op.saves for i in s)


def _was_interior(node, idx) -> bool:
    """Whether saved input idx had a history when the op saved it (torch's SavedVariable is_leaf_)."""
    edge = node.next_edges[idx] if idx < len(node.next_edges) else None
    return edge is not None and _is_op_node(edge[0]) and getattr(node.kernel, "op", None) is not None


def _reread_saved(node) -> None:
    """torch's saved tensors share storage: a write that bumps no version (through .data) is seen by backward."""
    saved = node.saved
    for _, _, t, i in node.saved_versions:
        if 0 <= i < len(saved) and t._value is not saved[i] and t._value.shape == saved[i].shape:
            saved = saved[:i] + (t._value,) + saved[i + 1 :]
        elif i == -1 and node._result is not None:  # (a saved result is held weakly)
            r = t()
            if r is not None and r._value.shape == node._result.shape:
                node._result = r._value
    node.saved = saved


def _unpack_saved(node) -> None:
    """saved_tensors_hooks: the backward reads what unpack_hook returns (a saved result only where the op's
    formula reads it: OpDef.result_grad; elsewhere it is recomputed from the inputs, and its unpack only called)."""
    from .saved_hooks import unpack

    saved = list(node.saved)
    for i, packed, how in node._packed:
        if i is None:  # (only unpacked: see _propagate_grad_fn)
            unpack(packed, how)
            continue
        if isinstance(i, tuple):  # CopySlices: the view's old value, as the view chain i of the base's
            from ..ops.views import _apply_chain, _scatter

            view = _apply_chain(i, saved[0])
            saved[0] = _scatter(saved[0], i, unpack(packed, how, (view.shape, view.dtype))._value)
            continue
        like = node.out_meta[-1 - i] if i < 0 else (saved[i].shape, saved[i].dtype)
        t = unpack(packed, how, like)
        if i >= 0:
            saved[i] = t._value
        elif i == -1 and node._result is not None:
            node._result = t._value
    node.saved = tuple(saved)
