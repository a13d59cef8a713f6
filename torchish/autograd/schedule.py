"""The order torch's engine runs a backward's nodes in: its ready queue, replayed.

torch's engine runs a node once every edge into it has delivered, taking from a ready queue the node created
last (highest sequence_nr), AccumulateGrad before any other. The lowering runs op nodes in that order already;
this replays the queue with AccumulateGrads included, for when leaves accumulate relative to each other and to
nodes that run Python (their hooks are observable).
"""

from __future__ import annotations

from .graph import AccumulateGrad


def leaves_in_torch_order(root_edges, executes):
    return [n for n in torch_schedule(root_edges, executes) if isinstance(n, AccumulateGrad)]


def torch_schedule(root_edges, executes):
    """The nodes of a backward, AccumulateGrads included, in the order torch's engine runs them: its ready queue
    is a libstdc++ binary heap ordered by sequence_nr, AccumulateGrad first (ties as that heap breaks them); a
    node runs once every edge into it has delivered. executes: ids of the nodes that run (None: all)."""
    root = _GraphRoot(root_edges) if len(root_edges) > 1 else root_edges[0][0]
    deps, stack, seen = {}, [root], set()
    while stack:  # (iterative: graphs can be 100k nodes deep)
        n = stack.pop()
        for e in getattr(n, "next_edges", ()):
            if e is not None:
                deps[id(e[0])] = deps.get(id(e[0]), 0) + 1
                if id(e[0]) not in seen:
                    seen.add(id(e[0]))
                    stack.append(e[0])
    heap, order = [root], []
    while heap:
        n = _heap_pop(heap)
        if not isinstance(n, _GraphRoot):
            order.append(n)
        for e in getattr(n, "next_edges", ()):
            if e is not None:
                deps[id(e[0])] -= 1
                if deps[id(e[0])] == 0 and (executes is None or id(e[0]) in executes):
                    _heap_push(heap, e[0])
    return order


class _GraphRoot:
    _seq = -1

    def __init__(self, root_edges):
        self.next_edges = tuple(root_edges)


def _runs_before(a, b) -> bool:
    """torch's CompareNodeTaskTime(b, a): whether a leaves the ready queue first."""
    pa = float("inf") if isinstance(a, AccumulateGrad) else a._seq
    pb = float("inf") if isinstance(b, AccumulateGrad) else b._seq
    return pb < pa


def _sift_up(heap, hole, item) -> None:
    # libstdc++'s __push_heap: move the hole up while its parent leaves later, then put item there
    while hole > 0 and _runs_before(item, heap[(hole - 1) // 2]):
        heap[hole] = heap[(hole - 1) // 2]
        hole = (hole - 1) // 2
    heap[hole] = item


def _heap_push(heap, item) -> None:
    heap.append(item)
    _sift_up(heap, len(heap) - 1, item)


def _heap_pop(heap):
    # libstdc++'s pop_heap: the hole at the top goes down by the earlier child to the bottom, then the last
    # element is pushed up from there
    top, last = heap[0], heap.pop()
    n = len(heap)
    if not n:
        return top
    hole = child = 0
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if _runs_before(heap[child - 1], heap[child]):
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        heap[hole] = heap[child - 1]
        hole = child - 1
    _sift_up(heap, hole, last)
    return top


def leaf_runs_python(acc) -> bool:
    var = acc.variable
    return bool(acc._prehooks or acc._hooks or var is not None and (var._hooks or var._post_acc_hooks))


def hooked_leaves(nodes) -> int:
    """How many of nodes are AccumulateGrads whose order shows: those that run Python, and any that will raise
    (a leaf moved into the graph interior: the leaves torch's engine reached before it keep their .grad)."""
    nodes = [a for a in nodes if isinstance(a, AccumulateGrad)]
    if any(a.variable._grad_fn is not None for a in nodes):
        return len(nodes)
    return sum(1 for a in nodes if leaf_runs_python(a))


def leaves_before(plan, root_edges, j, early) -> list:
    """The target leaves torch's engine accumulates before it runs plan.nodes[j] (which raised in Python: a hook
    or a custom backward), less those early_leaves accumulated already: a leaf's AccumulateGrad runs as soon as
    its gradient is complete, so the error leaves its .grad written."""
    leaves = {id(e[0]): e[0] for e in plan.target_edges if e is not None and isinstance(e[0], AccumulateGrad)}
    done = {k for i, ks in early.items() if i <= j for k in ks}
    out, ran = [], 0
    for n in torch_schedule(root_edges, set(plan.index) | set(leaves)):
        if not isinstance(n, AccumulateGrad):
            if ran == j:
                break
            ran += 1
        else:
            out.extend(k for k in plan.tindex.get((id(n), 0), ()) if k not in done)
    return out


def early_leaves(plan, root_edges, runs_python) -> dict:
    """{j: [target k, ...]}: the leaves with Python hooks whose AccumulateGrad torch runs once plan.nodes[:j]
    have run, while a node with Python hooks is still to come (else their hooks wait for the end unseen)."""
    leaves = {id(e[0]): e[0] for e in plan.target_edges if e is not None and isinstance(e[0], AccumulateGrad)}
    hooked = {k for k, a in leaves.items() if leaf_runs_python(a)}
    if not hooked:
        return {}
    last = max((i for i, n in enumerate(plan.nodes) if runs_python(n)), default=-1)
    if last < 0:
        return {}
    early, ran = {}, 0
    for n in torch_schedule(root_edges, set(plan.index) | set(leaves)):
        if not isinstance(n, AccumulateGrad):
            ran += 1
        elif id(n) in hooked and ran <= last:
            early.setdefault(ran, []).extend(plan.tindex.get((id(n), 0), ()))
    return early
