"""The backward engine: torch's state machine around a lowered, jitted JAX backward.

1. collect the nodes reachable from the roots (iteratively), check freed graphs and versions;
2. order them, keep the ones that lead to a target, cut segments at Python hooks;
3. look up (or build and jit) each segment's function by the graph's structure and run it;
4. accumulate into `.grad` with torch's rules, run leaf hooks, free saved values.
With create_graph=True each segment's equations are recorded as Nodes (recorded.py), so its results can be
differentiated again and their history reads like torch's formula nodes.
"""

from __future__ import annotations

import heapq
import itertools

import jax
import jax.numpy as jnp

from . import anomaly as _anomaly
from . import grad_mode as _gm
from . import lowering as L
from .buffers import _PERMUTE, _formula_of, _obeys_layout, is_fresh_base, is_hook_chain, leaf_layout, target_versions
from .graph import AccumulateGrad, _checked_hook_tuple, _Tensor, recorded_shape
from .recorded import recorded_segment
from .saved import _FREED_MSG, _failure, _is_op_node, _reread_saved, _unpack_saved
from .schedule import early_leaves, hooked_leaves, leaves_before, leaves_in_torch_order


class _Plan:
    """What one backward call must do, derived from the graph; `key` identifies its structure.

    target_edges=None means "every leaf reachable from the roots" (backward() without inputs=): the
    leaves are collected by the same walk, in the order torch's engine would reach them."""

    def __init__(self, root_edges, target_edges, accumulate=False):
        # --- reachability (iterative: graphs can be 100k nodes deep)
        order, seen, leaves = [], set(), []
        consumers = {}
        stack = [e[0] for e in root_edges]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if not _is_op_node(n):
                if isinstance(n, AccumulateGrad):
                    leaves.append(n)
                continue
            order.append(n)
            for e in n.next_edges:
                if e is not None:
                    m = e[0]
                    consumers[id(m)] = consumers.get(id(m), 0) + 1
                    if id(m) not in seen:
                        stack.append(m)
        # --- Kahn's order: a node runs after every node that feeds it cotangents; of the ready ones, the one
        # created last first (torch's ready queue orders by sequence_nr), which decides the order of hooks
        ready = [(-n._seq, n) for n in order if id(n) not in consumers]
        heapq.heapify(ready)
        topo = []
        while ready:
            n = heapq.heappop(ready)[1]
            topo.append(n)
            for e in n.next_edges:
                if e is not None and _is_op_node(e[0]):
                    k = id(e[0])
                    consumers[k] -= 1
                    if consumers[k] == 0:
                        heapq.heappush(ready, (-e[0]._seq, e[0]))
        # --- targets: leaves (AccumulateGrad) and non-leaf (node, output) pairs
        run_all = target_edges is None  # backward() without inputs: torch's engine runs every reachable node
        if run_all:  # (the order of accumulation shows only through hooks: replayed where two leaves have some)
            replay = hooked_leaves(leaves) > 1
            target_edges = [(a, 0) for a in (leaves_in_torch_order(root_edges, None) if replay else leaves)]
        self.target_edges = target_edges
        tindex = {}
        for k, e in enumerate(target_edges):
            if e is not None:  # (a view that requires grad only through its base has no edge: never reached)
                tindex.setdefault((id(e[0]), e[1]), []).append(k)
        self.tindex = tindex
        # --- which nodes lead to a target: torch's engine runs whatever feeds a node with a captured output,
        # whichever of its outputs that is (an unbind sibling's hooks see the gradient)
        targets = {id(e[0]) for e in target_edges if e is not None}
        needed = set()
        for n in reversed(topo):
            for e in n.next_edges:
                if e is not None and (id(e[0]) in targets or id(e[0]) in needed):
                    needed.add(id(n))
                    break
        if run_all:  # (a dead end, such as a view regenerated over a base that needs no grad, runs its hooks)
            needed.update(id(n) for n in topo)
        target_nodes = {id(e[0]) for e in target_edges if e is not None and _is_op_node(e[0])}
        self.has_node_targets = bool(target_nodes)
        if accumulate:  # backward(inputs=[non-leaf]) runs the input's own node too (torch's accumulate mode)
            needed |= target_nodes
        if accumulate and not run_all and hooked_leaves(e[0] for e in target_edges if e is not None) > 1:
            # (the leaves' hooks run in the order torch's engine reaches them)
            ranked = leaves_in_torch_order(root_edges, needed | targets)
            self.leaf_rank = {id(a): r for r, a in enumerate(ranked)}
        # a root's tensor hooks and retain_grad run even when nothing below it is needed
        keep = target_nodes | {id(e[0]) for e in root_edges if _is_op_node(e[0]) and _has_pre_python(e[0])}
        nodes = [n for n in topo if id(n) in needed or id(n) in keep]
        # a node that can't run (freed, or a saved input modified in place) fails when torch's engine reaches
        # it: what torch ran before that point still happens, then the error is raised
        self.error, self.dropped, self.failing, self.cut = None, set(), None, set()
        # gradients a hook replaced with a tensor of its own, (node, output) going in or (node, input) coming
        # out: new buffers for the version replay (buffers.py)
        self.fresh_in, self.fresh_out = set(), set()
        # (node, output) -> the plain tensor a hook returned there: a gradient that is it or a view of it is
        # returned as torch returns it (autograd.grad)
        self.hook_tensors = {}
        self.fresh_strides = {}  # (node, output) -> a hook's own tensor's strides, where dense and not row-major
        self.fresh_out_strides = {}  # (node, input) -> the same of a tensor a custom Function's backward returned
        self.followed = 0  # how many of the hooks' replacements those tensors (or an unchanged value) account for
        self.written_in = {}  # (node, output) -> (versions, value): a tensor hook's in-place writes
        self.hook_layouts = {}  # (node, output) -> how the gradient its tensor hooks see is laid out (buffers.py)
        self.eager_ids = set()  # the custom Function nodes run eagerly in this backward (their gradients laid out)
        for n in nodes:
            if _failure(n, needed, targets) is not None:
                nodes = self._until_failure(root_edges, nodes, needed, targets)
                break
        for n in nodes:
            if n.saved_versions and n.saved is not None and id(n) in needed and getattr(n.kernel, "op", None):
                _reread_saved(n)
        self.nodes = nodes
        self.index = index = {id(n): i for i, n in enumerate(nodes)}
        self.needed = needed
        # --- where each input's gradient goes: (0, node, output) pending, (1, target, 0) result, None
        dests = []
        for n in nodes:
            row = []
            for e in n.next_edges:
                if e is None:
                    row.append(None)
                elif isinstance(e[0], AccumulateGrad):
                    t = tindex.get((id(e[0]), e[1]))
                    row.append((1, t[0], 0) if t else None)
                else:
                    i = index.get(id(e[0]))
                    row.append(None if i is None else (0, i, e[1]))
            dests.append(tuple(row))
        self.dests = dests
        self._whole = None

    def _until_failure(self, root_edges, nodes, needed, targets):
        """Replay torch's ready queue (latest-created node first) up to the first node that fails; keep the
        nodes run before it, the failing one without its backward (its pre-hooks still run), and drop the
        leaves that were still waiting for a gradient from a node that never ran."""
        ids = {id(n) for n in nodes}
        pending = {}
        for n in nodes:
            for e in n.next_edges:
                if e is not None and id(e[0]) in ids:
                    pending[id(e[0])] = pending.get(id(e[0]), 0) + 1
        heap = [(-n._seq, n) for n in nodes if id(n) not in pending]
        heapq.heapify(heap)
        ran, failing = set(), None
        while heap:
            _, n = heapq.heappop(heap)
            error = _failure(n, needed, targets)
            if error is not None:
                self.error = error
                needed.discard(id(n))
                failing = self.failing = n
                break
            ran.add(id(n))
            for e in n.next_edges:
                if e is not None and id(e[0]) in pending:
                    pending[id(e[0])] -= 1
                    if pending[id(e[0])] == 0:
                        heapq.heappush(heap, (-e[0]._seq, e[0]))
        kept = [n for n in nodes if id(n) in ran or n is failing]
        self.cut = {id(n) for n in nodes if id(n) not in ran and n is not failing}
        for n in nodes:
            if id(n) not in ran:
                for e in n.next_edges:
                    for k in self.tindex.get((id(e[0]), e[1]), ()) if e is not None else ():
                        self.dropped.add(k)
        return kept

    def _reads(self, i, n, create_graph=False):
        if not self.has_node_targets or create_graph:  # create_graph: run_backward takes them (_take_targets)
            return ()
        return tuple((o, (1, k, 0)) for o in range(len(n.out_meta)) for k in self.tindex.get((id(n), o), ()))

    def steps(self, lo, hi, create_graph=False):
        out = []
        for i in range(lo, hi):
            n = self.nodes[i]
            skip = id(n) not in self.needed
            dests = self.dests[i]
            undefined = getattr(n.kernel, "undefined", ())
            diff = tuple(j for j, d in enumerate(dests) if d is not None and j not in undefined) if not skip else ()
            op = getattr(n.kernel, "op", None)
            tie = create_graph and op is not None and op.grad_keeps_input
            if callable(tie):
                tie = tie(n)
            out.append(
                (
                    i,
                    n.kernel.pure,
                    diff,
                    tuple(dests[j] for j in diff),
                    len(n.out_meta),
                    n.out_meta,
                    self._reads(i, n, create_graph),
                    skip,
                    tie,
                    L.result_formula(n, create_graph),
                    # (what torch's engine checks the gradients passed on against: the shapes those nodes recorded)
                    (n.name(), tuple(self._recorded_shape(dests[j]) for j in diff), _torch_positions(n, diff)),
                )
            )
        return tuple(out)

    def _recorded_shape(self, dest):
        if dest[0] == 0:
            return tuple(self.nodes[dest[1]].out_meta[dest[2]][0])
        return recorded_shape(self.target_edges[dest[1]])

    def key(self, lo, hi, state_meta):
        # (the leaves' recorded shapes: the gradients are summed to them where a leaf took a new shape since)
        leaves = tuple(
            [e[0].shape if e is not None and isinstance(e[0], AccumulateGrad) else None for e in self.target_edges]
        )
        return (self._structure(lo, hi), lo, state_meta, self._read_key(lo, hi), leaves)

    def _structure(self, lo, hi):
        whole = lo == 0 and hi == len(self.nodes)
        if whole and self._whole is not None:
            return self._whole
        nodes, dests, needed = self.nodes, self.dests, self.needed
        out = tuple([(nodes[i].structure(), dests[i], id(nodes[i]) in needed) for i in range(lo, hi)])
        if whole:
            self._whole = out
        return out

    def _read_key(self, lo, hi):
        return tuple((i - lo, self._reads(i, self.nodes[i])) for i in range(lo, hi)) if self.has_node_targets else ()

    def target_versions(self, root_keys, root_strides, accumulate, grad_mode=False):
        """The targets' gradient `_version`s (buffers.py), cached by structure like the lowering."""
        n = len(self.nodes)
        # a permuted gradient's layout, and (autograd.grad) a view recipe, depend on shapes, which a node that
        # saves nothing leaves out of its key
        if accumulate:  # (and each leaf's layout: AccumulateGrad's copy of a gradient depends on it)
            shapes = tuple([m.out_meta[0][0] for m in self.nodes if _formula_of(m) in _PERMUTE]) + tuple(
                (layout, tuple(e[0].variable.stride()) if layout == "permuted" else None)
                for e, layout in ((e, leaf_layout(e)) for e in self.target_edges)
            )
        else:
            shapes = tuple([m.out_meta[0][0] for m in self.nodes]) + tuple(
                None if e is None or getattr(e[0], "variable", None) is None else tuple(e[0].variable.shape)
                for e in self.target_edges
            )
        key = (
            self._structure(0, n),
            self._read_key(0, n),
            tuple(root_keys),
            tuple(root_strides),
            accumulate,
            grad_mode,
            len(self.target_edges),
            tuple([tuple(ks) for ks in self.tindex.values() if len(ks) > 1]),  # inputs listed twice
            shapes,
            tuple(sorted((k, self.fresh_strides.get(k)) for k in self.fresh_in)),
            tuple(sorted(self.fresh_out)),
            tuple(sorted(self.fresh_out_strides.items())),
            tuple(sorted(self.hook_tensors)),
            tuple(sorted((k, v[0]) for k, v in self.written_in.items())),
            tuple([m._operand_layouts for m in self.nodes]),  # (the layouts elementwise formulas follow)
            tuple([i for i, m in enumerate(self.nodes) if _sees_layouts(m)]),  # (whose hooks see hook_layouts)
        )
        hit = _VERSIONS.get(key)
        if hit is None:
            if len(_VERSIONS) > 512:
                _VERSIONS.clear()
            hit = _VERSIONS[key] = target_versions(self, root_keys, root_strides, accumulate, grad_mode)
        self.hook_layouts = hit[3]
        return hit[:3]


_VERSIONS: dict = {}
_REPLACEMENTS = [0]  # how many gradients hooks have replaced: a backward whose hooks replaced none keeps its buffers


def _has_pre_python(n) -> bool:
    return bool(n._prehooks) or bool(n._tensor_hooks) or bool(n._retained)


def _is_eager(n, create_graph, plan=None) -> bool:
    """Nodes that run alone, eagerly: post-hooks, anomaly mode, nodes that say their backward can't live in the
    jitted function (a custom Function whose backward prints, calls .item(), ...), and a custom Function given a
    gradient laid out other than row-major (what its backward returns is then laid out as its own ops make it)."""
    if n._hooks or _anomaly._STATE.enabled or plan is not None and id(n) in plan.eager_ids:
        return True
    runs_eagerly = getattr(n, "_runs_eagerly", None)
    return runs_eagerly is not None and runs_eagerly(create_graph)


def _segments(plan, create_graph=False, extra_cuts=()):
    """Cut points: before a node with pre-hooks / tensor hooks, around a node that runs eagerly, and where a
    hooked leaf is accumulated (extra_cuts)."""
    cuts = [0]
    for i, n in enumerate(plan.nodes):
        eager = _is_eager(n, create_graph, plan)
        # create_graph: a non-leaf input's gradient is the very tensor its node's backward then reads
        # (torch's capture), so later gradients depend on it: the input's node starts a segment
        takes = create_graph and plan.has_node_targets and plan._reads(i, n)
        if (_has_pre_python(n) or eager or takes) and i != cuts[-1]:
            cuts.append(i)
        if eager and i + 1 < len(plan.nodes):
            cuts.append(i + 1)
        if i + 1 in extra_cuts and i + 1 < len(plan.nodes) and cuts[-1] != i + 1:
            cuts.append(i + 1)
    cuts.append(len(plan.nodes))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if a < b] or [(0, 0)]


_RUNS_ALL: list = []  # per (nested) backward running: whether it runs every node (torch's checkpoint validity)


def _is_checkpoint_valid() -> bool:
    return not _RUNS_ALL or _RUNS_ALL[-1]


_GRAPH_TASKS: list = []  # the ids of the (nested) backward calls running (torch's graph task ids)
_graph_task_ids = itertools.count()


def current_graph_task_id() -> int:
    """The running backward call's id, -1 outside one (torch._C._current_graph_task_id)."""
    return _GRAPH_TASKS[-1] if _GRAPH_TASKS else -1


def run_backward(root_edges, root_grads, target_edges, create_graph, retain_graph, versions=None, on_leaf=None):
    _RUNS_ALL.append(target_edges is None)
    _GRAPH_TASKS.append(next(_graph_task_ids))
    try:
        return _run_backward(root_edges, root_grads, target_edges, create_graph, retain_graph, versions, on_leaf)
    finally:
        _RUNS_ALL.pop()
        _GRAPH_TASKS.pop()


def _run_backward(root_edges, root_grads, target_edges, create_graph, retain_graph, versions=None, on_leaf=None):
    """Returns (target edges, their gradients: arrays, or Tensors with create_graph). target_edges=None:
    every reachable leaf. versions: a dict {"accumulate": bool} to receive the targets' `_version`s.
    on_leaf(k, edge, gradient, version, owner, chain): accumulates target leaf k there and then, for a leaf whose hooks
    torch runs before nodes that run Python (backward() without create_graph); the others wait for the end."""
    L._STATS["backward_calls"] += 1
    replacements = _REPLACEMENTS[0]
    plan = _Plan(root_edges, target_edges, versions is not None and versions["accumulate"])
    state = {}
    root_keys, root_pos = [], []  # (and the strides of each root's gradient tensor: versions["root_strides"])
    # (torch validates every root's gradient against its node's record before the graph runs)
    root_grads = [_root_fitted(g, recorded_shape(e), r) for r, (e, g) in enumerate(zip(root_edges, root_grads))]
    for r, (e, g) in enumerate(zip(root_edges, root_grads)):
        k = plan.tindex.get((id(e[0]), e[1]))
        if isinstance(e[0], AccumulateGrad):
            if k:
                key = (1, k[0], 0)
                root_keys.append(key)
                root_pos.append(r)
                state[key] = g if key not in state else state[key] + g
            else:
                _unneeded_root_hooks(e[0], g)
            continue
        i = plan.index.get(id(e[0]))
        if i is None:
            continue
        key = (0, i, e[1])
        root_keys.append(key)
        root_pos.append(r)
        state[key] = g if key not in state else state[key] + g
    taken = {}
    # (an unpack hook of saved tensors is Python too: torch runs it as the engine reaches the node)
    runs_python = lambda n: _has_pre_python(n) or _is_eager(n, False) or bool(n._packed)  # noqa: E731

    def strides_of_roots():  # (only asked for where versions is given)
        return [versions["root_strides"][r] for r in root_pos]

    early = early_leaves(plan, root_edges, runs_python) if on_leaf is not None else {}

    def accumulate_ready(j, ready=None):
        ready = early.get(j, ()) if ready is None else ready
        ready = [k for k in ready if k not in plan.dropped]  # (dropped: waited on a node that failed)
        if not ready:
            return
        if create_graph:  # (its .grad is a new tensor with history: no buffer versions to replay)
            for k in ready:
                on_leaf(k, plan.target_edges[k], state.get((1, k, 0)), None, None, None)
            return
        vs, owners, chains = plan.target_versions(root_keys, strides_of_roots(), True, False)
        chains = _at_roots(chains, root_pos)
        for k in ready:
            on_leaf(k, plan.target_edges[k], state.get((1, k, 0)), vs[k], owners[k], chains[k])

    accumulate_ready(0)
    plan.eager_ids = set()
    if versions is not None and not create_graph and any(getattr(n, "_eager_vjp", None) for n in plan.nodes):
        for n in plan.nodes:  # (a custom Function's key is its ctx as it is now: the versions' key reads it)
            if hasattr(n, "_snapshot") and not n._freed and n.saved is not None:
                n._snapshot()
        plan.target_versions(root_keys, strides_of_roots(), versions["accumulate"], False)  # (hook_layouts)
        permuted = {k[0] for k, layout in plan.hook_layouts.items() if layout[0] == "order"}
        plan.eager_ids = {
            id(n)
            for i, n in enumerate(plan.nodes)
            if getattr(n, "_eager_vjp", None) and (i in permuted or _saves_permuted(n))
        }
    at = None  # the node whose hooks or backward run now: where torch's engine stops if Python raises
    try:
        for lo, hi in _segments(plan, create_graph, early):
            if lo >= hi:
                continue
            at = lo
            raw = _captured_before_hooks(plan, lo, state)
            eager = _is_eager(plan.nodes[lo], create_graph, plan)
            # (what tensor hooks see, and a custom Function's backward run eagerly)
            sees = plan.nodes[lo]._tensor_hooks or eager and getattr(plan.nodes[lo], "_eager_vjp", None) is not None
            if sees and versions is not None and not create_graph:
                plan.target_versions(root_keys, strides_of_roots(), versions["accumulate"], False)  # (hook_layouts)
            state = _before_node_hooks(plan, lo, state, create_graph)
            for o, tkey in list(raw):
                if (lo, o) in plan.written_in:
                    raw[(o, tkey)] = plan.written_in[(lo, o)][1]
            for n in plan.nodes[lo:hi]:  # saved_tensors_hooks: unpacked as torch's engine reaches each node
                if n._packed and n.saved is not None and id(n) in plan.needed and n._eager_vjp is None:
                    _unpack_saved(n)  # (a custom Function unpacks in ctx.saved_tensors)
            if create_graph:
                _take_targets(plan, lo, {**state, **{(0, lo, o): v for (o, _), v in raw.items()}}, taken)
            if eager:
                state = _anomaly._run_node(_run_hooked_node, plan, lo, state, create_graph)
            else:
                state = _run_segment(plan, lo, hi, state, create_graph)
            if raw and not create_graph:
                state.update({tkey: v for (_, tkey), v in raw.items()})
            at = None
            accumulate_ready(hi)
    except BaseException:
        if at is not None and on_leaf is not None:
            accumulate_ready(None, leaves_before(plan, root_edges, at, early))
        raise
    # after the run: a custom Function's key is final only then (backward(create_graph=True) keeps its .grad
    # versions of its own)
    if versions is not None and not (create_graph and versions["accumulate"]):
        vs, owners, chains = plan.target_versions(root_keys, strides_of_roots(), versions["accumulate"], create_graph)
        if not versions["accumulate"] and not _replacements_followed(plan, _REPLACEMENTS[0] - replacements):
            chains = [None] * len(chains)  # a hook replaced a gradient (maybe one two inputs shared)
            owners = [None] * len(owners)
            for ks in plan.tindex.values():  # (an input listed twice still gets one tensor)
                for k in ks[1:]:
                    owners[k] = owners[ks[0]] = ("input", ks[0])
        versions["of"] = (vs, owners, _at_roots(chains, root_pos))
        versions["hook_tensors"] = {("hook", *k): t for k, t in plan.hook_tensors.items()}
    if not retain_graph:
        for n in plan.nodes:
            if n._saves_tensors and id(n) in plan.needed:
                n.structure()  # keep the key derivable once the saved values are gone
                n._freed = True
                n.saved = n._result = None
                n._packed = None if n._packed is None else ()  # (still "packed": _saved_attribute's freed error)
    if versions is not None:
        versions["leaf_rank"] = getattr(plan, "leaf_rank", None)
    state.update(taken)
    out = [None if k in plan.dropped else state.get((1, k, 0)) for k in range(len(plan.target_edges))]
    for ks in plan.tindex.values():  # an input listed twice gets its gradient twice
        for k in ks[1:]:
            out[k] = out[ks[0]]
    return plan.target_edges, out, plan.error


def _at_roots(chains, root_pos):
    """Chains numbered by root key, renumbered by the caller's roots (a hook's tensor keeps its key)."""
    return [c if c is None or is_fresh_base(c) or is_hook_chain(c) else (root_pos[c[0]],) + c[1:] for c in chains]


def _replacements_followed(plan, replaced) -> bool:
    """Whether the buffers followed every gradient hooks replaced: each was a plain tensor of the hook's own
    (plan.hook_tensors) or the value it was given, and no hook wrote into what it was given."""
    return replaced == plan.followed and not plan.written_in


def _sees_layouts(n) -> bool:
    """Whether Python sees the gradients coming into n as torch lays them out: its tensor hooks, or its backward
    (a custom Function's)."""
    return bool(n._tensor_hooks) or getattr(n, "_eager_vjp", None) is not None


def _saves_permuted(n) -> bool:
    """Whether a custom Function saved a tensor laid out other than row-major (its backward's elementwise results
    would follow it)."""
    from ..ops.views import _contiguous_strides, _strided

    Tensor = _Tensor()
    for e in getattr(n, "_entries", None) or ():
        t = None if e is None else e[0]
        if isinstance(t, Tensor) and _strided(t) and tuple(t.stride()) != _contiguous_strides(tuple(t.shape)):
            return True
    return False


def _permuted_strides(g):
    """g's strides where they are dense but not row-major (a tensor laid out as a permuted gradient), else None."""
    from ..ops.views import _contiguous_strides, _dense_layout

    strides = tuple(g.stride())
    dense = _dense_layout(tuple(g.shape), strides) and strides != _contiguous_strides(tuple(g.shape))
    return strides if dense else None


def _note_returned_layouts(plan, i, grads, given) -> None:
    """The new tensors a custom Function's backward returned, where dense but not row-major: the buffers they
    go into are laid out as they are."""
    for p, g in enumerate(grads):
        new = isinstance(g, _Tensor()) and not any(g is t for t in given)
        strides = _permuted_strides(g) if new else None
        if strides is not None:
            plan.fresh_out.add((i, p))
            plan.fresh_out_strides[(i, p)] = strides
        else:
            plan.fresh_out_strides.pop((i, p), None)


def _note_hook_tensor(plan, key, g, meta, create_graph) -> None:
    """A hook's own tensor that torch's formulas then pass on or view: kept where it is a plain dense tensor; its
    layout, where it is dense but permuted (an elementwise op on the permuted gradient the hook saw)."""
    plain = g._base is None and g._alias is None and g._perm is None and not g._views
    strides = None if plain else _permuted_strides(g)
    if strides is not None:
        plan.fresh_strides[key] = strides
    else:
        plan.fresh_strides.pop(key, None)
    if not create_graph and plain and (tuple(g.shape), g._value.dtype) == (tuple(meta[0]), meta[1]):
        plan.hook_tensors[key] = g
    else:
        plan.hook_tensors.pop(key, None)


def _run_hooks(hooks, g):
    """A tensor's hooks in order, each given what the last returned: (gradient, whether one replaced it).
    Each hook is a _TensorHook, which makes torch's checks of what it returned."""
    Tensor = _Tensor()
    g = g if isinstance(g, Tensor) else Tensor._make(g)
    replaced = False
    for fn in list((hooks or {}).values()):
        r = fn(g)
        if r is not None:
            g, replaced = r, True
            _REPLACEMENTS[0] += 1
    return g, replaced


def _unneeded_root_hooks(acc, g) -> None:
    """A root leaf that is not an input still gets its gradient task in torch's engine, which calls the
    leaf's tensor hooks before skipping the AccumulateGrad nobody needs."""
    var = acc.variable
    if var is not None and var._hooks:
        _run_hooks(var._hooks, g)


def _values(state):
    Tensor = _Tensor()
    return {k: (v._value if isinstance(v, Tensor) else v) for k, v in state.items()}


def _run_segment(plan, lo, hi, state, create_graph, per_input=False):
    """per_input (one node, create_graph): each input's gradient under its own key ("input", j), not summed
    into its destination, for a post-hook that sees them one by one."""
    vals = _values(state)
    state_meta = tuple(sorted((k, (v.shape, v.dtype)) for k, v in vals.items()))
    if not create_graph:
        saved = tuple(L.saved_args(n, L.result_formula(n)) for n in plan.nodes[lo:hi])
        key = (plan.key(lo, hi, state_meta), False)
        _, jitted = L.cached(key, lambda: L.segment_function(plan.steps(lo, hi)))
        return jitted(saved, vals)
    steps = plan.steps(lo, hi, True)
    # (the formulas of this backward: a value-dependent case is decided once, in steps)
    saved = tuple(L.saved_args(plan.nodes[st[0]], st[9]) for st in steps)
    if per_input:
        steps = tuple(st[:3] + (tuple(("input", j) for j in st[2]),) + st[4:6] + ((),) + st[7:] for st in steps)
    # the ties and the formulas' cases can depend on values (prod's input with or without a zero), so they are
    # part of the key
    cases = tuple(getattr(st[9], "case", None) for st in steps)
    key = (plan.key(lo, hi, state_meta), True, tuple(st[8] for st in steps), cases, per_input)
    pure, jitted = L.cached(key, lambda: L.segment_function(steps))
    return recorded_segment(plan, lo, hi, pure, jitted, saved, state, key)


def _identity(x):
    return x


def _is_new(g, old) -> bool:
    """Whether a hook's gradient is a tensor of its own rather than the one it was given."""
    if old is None:
        return True
    return g._value is not (old._value if isinstance(old, _Tensor()) else old)


def _run_prehooks(prehooks, grads):
    """A node's pre-hooks in order, each given the gradients the last left: (gradients, whether one replaced)."""
    replaced = False
    for fn in list(prehooks.values()):
        r = fn(grads)
        if r is not None:
            grads, replaced = _checked_hook_tuple(fn, r, grads), True
            _REPLACEMENTS[0] += 1
    return grads, replaced


def _before_node_hooks(plan, i, state, create_graph):
    """Tensor hooks and retain_grad of node i's outputs, then node i's pre-hooks."""
    n = plan.nodes[i]
    thooks = n._tensor_hooks
    retain = n._retained
    if not (thooks or retain or n._prehooks):
        return state
    state = dict(state)
    # torch's call_tensor_pre_hooks: the outputs' hook dicts in the order they were first registered on the
    # node, then the retain_grad hooks
    for o, hooks in list((thooks or {}).items()):
        k = (0, i, o)
        if k not in state:
            # torch calls the hooks of an output that got no gradient (a sibling of a used one) with None
            for fn in list(hooks.values()):
                fn(None)
            continue
        seen = None if create_graph else plan.hook_layouts.get((i, o))
        given = _wrap_or_none(state[k]) if seen is None else _laid_out(state[k], seen)
        version, replacements = given._version, _REPLACEMENTS[0]
        g, _ = _run_hooks(hooks, given)
        if given._version != version:  # a hook wrote into torch's buffer: what it captured sees the write too
            plan.written_in[(i, o)] = (given._version - version, given._value)
        fresh = g is not given and _is_new(g, state[k])
        if fresh:
            plan.fresh_in.add((i, o))
            _note_hook_tensor(plan, (i, o), g, n.out_meta[o], create_graph)
        if not fresh or (i, o) in plan.hook_tensors:
            plan.followed += _REPLACEMENTS[0] - replacements
        state[k] = g if create_graph else g._value
    for o, ref in list((retain or {}).items()):
        t = ref()
        k = (0, i, o)
        if k in state and t is not None and t._retained_on is n:
            g = _wrap_or_none(state[k])
            _retained_accumulate(t, g, create_graph)
            state[k] = g if create_graph else g._value
    # (a node torch's engine only captures from does not run; the one that fails still runs its pre-hooks)
    if n._prehooks and (id(n) in plan.needed or n is plan.failing):
        outs = range(len(n.out_meta))
        if getattr(n.kernel, "op", None) is not None:  # torch's node of an op has no slot for its indices
            outs = [o for o in outs if jnp.issubdtype(n.out_meta[o][1], jnp.inexact)]
        replacements = _REPLACEMENTS[0]
        grads, _ = _run_prehooks(n._prehooks, tuple(_wrap_or_none(state.get((0, i, o))) for o in outs))
        followed = True
        for o, g in zip(outs, grads):
            if g is not None:
                if _is_new(g, state.get((0, i, o))):
                    plan.fresh_in.add((i, o))
                    _note_hook_tensor(plan, (i, o), g, n.out_meta[o], create_graph)
                    followed = followed and (i, o) in plan.hook_tensors
                state[(0, i, o)] = g if create_graph else g._value
            else:
                state.pop((0, i, o), None)
        if followed:
            plan.followed += _REPLACEMENTS[0] - replacements
    return state


def _laid_out(v, layout):
    """The gradient value v as the tensor torch's hooks see: sum's expand of one slice, or permuted in memory."""
    Tensor = _Tensor()
    v = v._value if isinstance(v, Tensor) else v
    how, dims = layout
    if how == "order":
        t = Tensor._make(v)
        t._perm = dims
        return t
    one = v[tuple(slice(0, 1) if d in dims else slice(None) for d in range(v.ndim))]
    return Tensor._make(one).expand(v.shape)


def _captured_before_hooks(plan, i, state) -> dict:
    """torch's engine captures the inputs of a node it runs (an input of the call whose node also feeds another
    input) before that node's tensor hooks and pre-hooks: those change only what the node itself consumes.
    {(output, target key): gradient before the hooks}"""
    n = plan.nodes[i]
    if not (n._tensor_hooks or n._prehooks) or id(n) not in plan.needed:
        return {}
    return {(o, tkey): state[(0, i, o)] for o, tkey in plan._reads(i, n) if (0, i, o) in state}


def _take_targets(plan, i, state, taken) -> None:
    """create_graph: the gradients of node i's outputs that are inputs of the call, as the Tensors that
    node's segment then consumes."""
    for o, tkey in plan._reads(i, plan.nodes[i]):
        c = state.get((0, i, o))
        if c is not None:
            taken[tkey] = c if tkey not in taken else taken[tkey] + c


def _wrap_or_none(v):
    if v is None:
        return None
    Tensor = _Tensor()
    return v if isinstance(v, Tensor) else Tensor._make(v)


def _run_hooked_node(plan, i, state, create_graph):
    """A node run on its own, eagerly: hooks see (and may replace) its grad_inputs, anomaly mode checks them."""
    Tensor = _Tensor()
    n = plan.nodes[i]
    (step,) = plan.steps(i, i + 1)
    _, pure, diff, dests, n_out, metas, reads, skip, _, _, _ = step
    state = dict(state)
    for o, tkey in reads:
        c = state.get((0, i, o))
        if c is not None:
            state[tkey] = c if tkey not in state else state[tkey] + c
    cts = [state.pop((0, i, o), None) for o in range(n_out)]
    eager_vjp = getattr(n, "_eager_vjp", None)
    # (a custom Function's backward is given the buffers as torch's engine holds them: a root's ones_like, an
    # expand of sum's gradient, a permuted one)
    seen = {} if create_graph or eager_vjp is None else plan.hook_layouts
    grad_outputs = tuple(
        _laid_out(c, seen[(i, o)]) if c is not None and (i, o) in seen else _wrap_or_none(c) for o, c in enumerate(cts)
    )
    grad_inputs = [None] * len(n.next_edges)
    # a custom Function's backward runs whole whenever its node runs, as torch's PyNode: its hooks see every
    # gradient it returned, needed or not (an op's backward computes only the needed ones)
    # (torch computes what goes to a node it never reaches, the backward failing first: hooks see it)
    wide = tuple(j for j, e in enumerate(n.next_edges) if j in diff or e is not None and id(e[0]) in plan.cut)
    if wide and not create_graph and getattr(getattr(n.kernel, "op", None), "name", None) in ("cat", "stack"):
        # (torch's cat/stack formula slices the gradient for every input once one is needed: its hooks see all)
        saved = L.saved_args(n, L.result_formula(n))
        wide = tuple(j for j, a in enumerate(saved) if j in wide or jnp.issubdtype(a.dtype, jnp.inexact))
    if not skip and (wide or eager_vjp is not None) and any(c is not None for c in cts):
        if eager_vjp is not None:
            grad_inputs = list(eager_vjp(grad_outputs, create_graph))
            if not create_graph:
                _note_returned_layouts(plan, i, grad_inputs, grad_outputs)
        elif create_graph:
            cotangents = {(0, i, o): c for o, c in enumerate(cts) if c is not None}
            sub = _run_segment(plan, i, i + 1, cotangents, True, per_input=True)
            for j in diff:
                grad_inputs[j] = sub.get(("input", j))
        else:
            vals = [c._value if isinstance(c, Tensor) else c for c in cts]
            res = L.node_vjp(n, wide, vals, metas)
            for j, r in zip(wide, res):
                grad_inputs[j] = None if r is None else Tensor._make(r)
    positions = n._edge_positions()  # (the hooks see the inputs torch's node has edges for)
    for fn in list((n._hooks or {}).values()) if not skip else ():
        seen = tuple(grad_inputs[p] for p in positions)
        r = fn(seen, grad_outputs)
        if r is not None:
            _REPLACEMENTS[0] += 1
            for p, g in zip(positions, _checked_hook_tuple(fn, r, seen)):
                if g is not None and _is_new(g, grad_inputs[p]):
                    plan.fresh_out.add((i, p))
                grad_inputs[p] = g
    _anomaly._check_nan(n, grad_inputs)
    for j, d in zip(diff, dests):
        g = grad_inputs[j]
        if g is None:
            continue
        g = g if create_graph else g._value
        state[d] = g if d not in state else state[d] + g
    return state


def _accumulate_grad(t, g, create_graph, version=None, steal=False, stolen=False) -> None:
    """torch's AccumulateGrad: store the first gradient, add later ones (in place unless create_graph).
    version: the first gradient's `_version` as torch's engine leaves it (stolen buffer or copy); steal: .grad
    is an alias of g (a tensor hooks saw), sharing its storage."""
    Tensor = _Tensor()
    if not isinstance(g, Tensor):
        g = Tensor._make(g)
    if t._grad is None and steal:
        g._version_counter[0] = version or 0
        t._grad = g.detach()
    elif t._grad is None:
        if create_graph and g.requires_grad:
            # torch copies into a fresh buffer (new_empty_strided().copy_()): CopyBackwards, version 1
            fresh = Tensor._make(g._value)
            fresh.copy_(g)
            t._grad = fresh
        elif create_graph:  # (a copy too: hooks may hold g)
            t._grad = Tensor._make(g._value)
            t._grad._version_counter[0] = g._version + 1
        else:  # (a gradient of another shape that obeys the layout contract dim by dim is stolen as it is)
            kept = stolen and tuple(g.shape) != tuple(t.shape) and _contiguous_obeys(tuple(g.shape), t)
            t._grad = Tensor._make(g._value if kept else _fitted_to(g._value, t))
            t._grad._version_counter[0] = version or 0
        same_shape = tuple(t._grad.shape) == tuple(t.shape)  # (one of the recorded shape, kept, is as it came)
        if same_shape and (t._perm is not None or t._base is not None or t._alias is not None):
            from ..ops.views import _is_non_overlapping_and_dense, _iterator_perm

            if _is_non_overlapping_and_dense(t):  # (the gradient is laid out as its dense leaf)
                t._grad._perm = _iterator_perm([t], t._value.shape)
    elif create_graph or _gm._state.grad_enabled and t._grad.requires_grad:
        t._grad = t._grad + g
    elif tuple(t._grad.shape) != tuple(g.shape) and _grown(t._grad.shape, g.shape):
        # (the leaf took a new shape since its .grad was set: torch's in-place sum refuses to grow it)
        shape = _grown(t._grad.shape, g.shape)
        raise RuntimeError(f"output with shape {list(t._grad.shape)} doesn't match the broadcast shape {shape}")
    elif t._grad._base is not None or t._grad._views or t._grad._alias is not None:
        t._grad.add_(g)  # (its storage is shared: every alias sees the sum)
    else:
        t._grad._value = _add_into(t._grad._value, g._value)
        t._grad._version_counter[0] += 1
        _check_layout(t)


def _grown(shape, other):
    """The broadcast of shape and other where it is not shape (torch's broadcast error where there is none)."""
    from ..ops.pointwise import _broadcast_shapes

    out = _broadcast_shapes([shape, other])
    return None if out == tuple(shape) else list(out)


def _contiguous_obeys(grad_shape, t) -> bool:
    """Whether a new contiguous gradient of grad_shape obeys the leaf's layout contract (buffers._obeys_layout)."""
    from ..ops.views import _contiguous_strides

    return _obeys_layout(_contiguous_strides(grad_shape), grad_shape, tuple(t.stride()))


def _check_layout(t) -> None:
    """torch's in-place accumulation then checks .grad against the leaf's layout (which differs where the leaf took
    a new shape in no_grad mode since), once per process."""
    if tuple(t._grad.shape) != tuple(t.shape) and not _WARNED_LAYOUT:
        _WARNED_LAYOUT.append(True)  # (a TORCH_WARN_ONCE)
        import warnings

        warnings.warn(
            "grad and param do not obey the gradient layout contract. This is not an error, but may impair "
            f"performance.\ngrad.sizes() = {list(t._grad.shape)}, strides() = {list(t._grad.stride())}\nparam.sizes() "
            f"= {list(t.shape)}, strides() = {list(t.stride())} (Triggered internally at "
            "/__w/pytorch/pytorch/torch/csrc/autograd/functions/accumulate_grad.h:252.)",
            UserWarning,
            stacklevel=3,
        )


_WARNED_LAYOUT: list = []


def summed_to_recorded(g, shape):
    """torch's validate_outputs for a gradient (array, or Tensor with create_graph) that does not have the shape
    its destination recorded (a tensor that took a new shape in no_grad mode since): summed to that shape where
    it expands to the gradient's; None where it does not."""
    from ..ops._formulas import sum_to
    from .function import _expandable

    if not _expandable(shape, tuple(g.shape)):
        return None
    return g.sum_to_size(shape) if isinstance(g, _Tensor()) else sum_to(g, shape)


def _root_fitted(g, shape, r):
    """A root's gradient, checked against the shape its node recorded: torch's error where it cannot be summed."""
    if tuple(g.shape) == shape:
        return g
    fitted = summed_to_recorded(g, shape)
    if fitted is None:
        raise RuntimeError(
            f"invalid gradient at index {r} - got {list(g.shape)} but expected shape compatible with {list(shape)}"
        )
    return fitted


def _torch_positions(node, diff):
    """The inputs' positions among torch's edges of the node (its errors count those)."""
    kept = list(node._edge_positions())
    return tuple(kept.index(j) if j in kept else j for j in diff)


def _fitted_to(g, t):
    """A first gradient of another shape than its leaf t's (the leaf took a new one in no_grad mode): torch's
    clone_obey_contract copies it into a buffer of a dense leaf's sizes (copy_'s broadcast, and its errors), else
    clones it as it is."""
    shape = tuple(t._value.shape)
    if g.shape == shape:
        return g
    from ..ops.pointwise import _broadcast_shapes
    from ..ops.views import _is_non_overlapping_and_dense

    if not _is_non_overlapping_and_dense(t):
        return g
    broadcast = _broadcast_shapes([shape, g.shape])  # (TensorIterator's: the leaf's buffer is tensor a)
    if broadcast != shape:
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast)}")
    return jnp.broadcast_to(g, shape)


def _retained_accumulate(t, g, create_graph) -> None:
    """torch's retain_grad hook: a contiguous clone first, then `grad + new`, never in place."""
    if t._grad is None:
        t._grad = g.clone() if create_graph else _Tensor()._make(g._value)
    else:
        t._grad = t._grad + g


@jax.jit
def _add_into(acc, g):
    return acc + g.astype(acc.dtype)


def _call_node(node, grads):
    """grad_fn(*grads): run one node's vjp eagerly, as torch lets you call a Node."""
    from .lowering import node_vjp

    Tensor = _Tensor()
    if node.saved is None:
        raise RuntimeError(_FREED_MSG)
    if _gm._state.grad_enabled:  # (as torch's Node call in grad mode: the results have the formula's history)
        plan = _Plan([(node, o) for o in range(len(node.out_meta))], None)
        i = plan.index[id(node)]
        cts = {(0, i, o): g for o, g in enumerate(grads) if isinstance(g, Tensor)}
        got = _run_segment(plan, i, i + 1, cts, True, per_input=True) if cts else {}
        out = [got.get(("input", j)) for j in range(len(node.next_edges))]
        return tuple(out) if len(out) != 1 else out[0]
    diff = tuple(j for j, e in enumerate(node.next_edges) if e is not None)
    cts = [g._value if isinstance(g, Tensor) else None for g in grads]
    res = node_vjp(node, diff, cts, node.out_meta)
    out = [None] * len(node.next_edges)
    for j, r in zip(diff, res):
        out[j] = None if r is None else Tensor._make(r)
    return tuple(out) if len(out) != 1 else out[0]


def _ones_like(t):
    return jnp.ones(t._value.shape, t._value.dtype)
