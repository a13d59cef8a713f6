"""The version counters of gradients: which gradient tensors torch's engine would reuse.

torch reuses a gradient tensor when it holds the only reference to a dense one: AccumulateGrad steals it
for ``.grad`` (keeping its version) and InputBuffer sums a second contribution into it in place (+1).
Anything else is copied (AccumulateGrad's ``copy_`` leaves version 1) or summed out of place (version 0).
Values never depend on this, only ``_version`` does, so it is replayed on the plan's structure after the
jitted backward has run: which nodes pass their incoming gradient through, view it, or make a new one.
"""

from __future__ import annotations

# inputs whose gradient is the incoming one itself (torch's formula is `grad`)
_PASS = {
    "AddBackward0": (0, 1),
    "AddBackward1": (0,),
    "SubBackward0": (0,),
    "SubBackward1": (0,),
    "CloneBackward0": (0,),
    "AliasBackward0": (0,),
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
_EXPAND = {"SumBackward0", "SumBackward1"}


class _Buf:
    """A gradient tensor: its version counter (shared with its views), whether it is dense in its own
    layout, and how many places hold it."""

    __slots__ = ("counter", "dense", "refs")

    def __init__(self, counter, dense):
        self.counter, self.dense, self.refs = counter, dense, 0


def _held(b):
    b.refs += 1
    return b


def _reusable(b) -> bool:
    return b.dense and b.refs == 1


def _derived(name, j, src, grad_shape):
    if j in _PASS.get(name, ()):
        return src
    if name in _RESHAPE:
        return _Buf(src.counter, src.dense)
    if name in _PERMUTE:
        return _Buf(src.counter, src.dense and sum(d > 1 for d in grad_shape) < 2)
    if name in _EXPAND:
        return _Buf(src.counter, False)
    return _Buf([0], True)


def target_versions(plan, root_keys, accumulate):
    """The `_version` of each target's gradient. accumulate: backward(), where each leaf's AccumulateGrad
    runs once its gradient is complete (steal, or copy at version 1); else autograd.grad, which returns
    the buffers themselves."""
    bufs, versions = {}, {}
    pending = {}
    for i, row in enumerate(plan.dests):
        if id(plan.nodes[i]) in plan.needed:
            for d in row:
                if d is not None and d[0] == 1:
                    pending[d] = pending.get(d, 0) + 1

    def release(b):
        b.refs -= 1

    def put(key, b):  # b's reference moves into the buffer (InputBuffer::accumulate, grad mode off)
        old = bufs.get(key)
        if old is None:
            bufs[key] = b
        elif _reusable(old):  # old.add_(b)
            old.counter[0] += 1
            release(b)
        else:  # old + b
            release(old)
            release(b)
            bufs[key] = fresh = _Buf([0], True)
            fresh.refs = 1

    def finish(key):
        b = bufs.pop(key, None)
        if b is not None:
            versions[key] = b.counter[0] if _reusable(b) else 1
            release(b)

    for key in root_keys:
        put(key, _held(_Buf([0], False)))  # the caller's grad_tensors (or the implicit ones) stay referenced
    for key in list(bufs):
        if accumulate and key[0] == 1 and key not in pending:
            finish(key)
    for i, n in enumerate(plan.nodes):
        ins = [bufs.pop((0, i, o), None) for o in range(len(n.out_meta))]
        for o, tkey in plan._reads(i, n):
            if ins[o] is not None:
                put(tkey, _held(ins[o]))
        # the node's outputs all exist (a pass-through output is one more reference) before its inputs are
        # dropped and before each output moves into the buffer it feeds
        outs = []
        if id(n) in plan.needed and any(b is not None for b in ins):
            name, src = n.name(), ins[0]
            for j, d in enumerate(plan.dests[i]):
                if d is not None:
                    b = _derived(name, j, src, n.out_meta[0][0]) if src is not None else _Buf([0], True)
                    outs.append((d, _held(b)))
        for b in ins:
            if b is not None:
                release(b)
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
    for key, b in bufs.items():
        if key[0] == 1:
            versions[key] = b.counter[0]
    return [versions.get((1, k, 0)) for k in range(len(plan.target_edges))]
