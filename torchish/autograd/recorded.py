"""create_graph=True: a segment's lowered backward is recorded too, so its results can be differentiated again.

Each equation of the segment's jaxpr that a result depends on becomes a Node (lowering.EquationGraph): its pure
function is the equation, its saved values the equation's inputs, its edges the equations or segment inputs
that made them. A saved input's edge is the forward node that made it, so a second backward runs through the
forward graph as torch's formula nodes make it do. A result the graph cannot describe (a trace that fails, a
result that is an input as it is) gets one node for the whole segment.
"""

from __future__ import annotations

from . import grad_mode as _gm
from . import lowering as L
from .graph import Node, _Tensor
from .saved import _SAVELESS_FORMULAS, _saves_result


def _meta_of(v):
    return (v.shape, v.dtype)


def recorded_segment(plan, lo, hi, pure, jitted, saved, state, key):
    """The results of segment lo..hi as Tensors with histories: its inputs are the saved inputs of its nodes
    (wired to the graph that produced them) and the incoming cotangents (wired to theirs)."""
    from ..ops._registry import _edge
    from ..ops.views import _ChainKernel

    Tensor = _Tensor()
    saved = tuple(() if args is None else args for args in saved)  # a freed node here only marks a target
    flat, edges, shape_of = [], [], []
    for i, args in zip(range(lo, hi), saved):
        n = plan.nodes[i]
        # (a saved result, the last of args, is wired to its own node: torch's double backward runs through it)
        for a, e in zip(args, n.next_edges + ((n, 0),) if n._result is not None else n.next_edges):
            flat.append(a)
            edges.append(e)
            shape_of.append(("s", i))
    keys = sorted(state)
    for k in keys:
        v = state[k]
        if isinstance(v, Tensor):
            flat.append(v._value)
            edges.append(_edge(v))
        else:
            flat.append(v)
            edges.append(None)
    n_saved = len(flat) - len(keys)
    counts = [len(a) for a in saved]

    def unflat(xs):
        it, groups = iter(xs[:n_saved]), []
        for c in counts:
            groups.append(tuple(next(it) for _ in range(c)))
        return tuple(groups), dict(zip(keys, xs[n_saved:]))

    # (the jitted call, cached by structure: run eagerly, each primitive would compile on its own)
    computed = jitted(saved, dict(zip(keys, flat[n_saved:])))
    out_keys = sorted(computed)
    out_vals = tuple(computed[k] for k in out_keys)

    def seg_pure(*xs):
        sv, st = unflat(xs)
        new = pure(sv, st)
        return tuple(new[k] for k in out_keys)

    if not _gm._state.grad_enabled or not any(e is not None for e in edges):
        return dict(zip(out_keys, (Tensor._make(v) for v in out_vals)))
    graph = L.equation_graph(seg_pure, flat, [p for p, e in enumerate(edges) if e is not None], n_saved, key)
    made = {} if graph is None else _equation_nodes(graph, flat, edges)
    info = None
    result = {}
    for o, (k, v) in enumerate(zip(out_keys, out_vals)):
        t = Tensor._make(v)
        ref = graph.outputs[o] if graph is not None else None
        if ref is not None and ref[0] == "v" and ref[1] in made:
            t._grad_fn, t._output_nr = made[ref[1]]
            result[k] = t
            continue
        # else one node for this output, wired only to the inputs it depends on: torch's results of a backward
        # are connected to exactly the saved values their formula used
        info = info or L.output_info(seg_pure, flat, len(out_vals), key)
        name, deps = info[o]
        out_edges = tuple(e if p in deps else None for p, e in enumerate(edges))
        if any(e is not None for e in out_edges) and (v.dtype.kind in "fc" or str(v.dtype) == "bfloat16"):
            kern = _ChainKernel(_pick(seg_pure, o), ("backward", key, o))
            node = Node(kern, tuple(flat), out_edges, (), (_meta_of(v),), name)
            node._saves_tensors = True  # torch's double-backward nodes save what their formula reads
            node._of_backward = True
            # torch's formulas read the saved result of these nodes: its double backward runs through them
            node._through = tuple(
                {
                    id(m): m for m in (plan.nodes[shape_of[p][1]] for p in deps if p < n_saved) if _saves_result(m)
                }.values()
            )
            node.fragment = (
                kern.key,
                tuple(getattr(x, "shape", None) for x in flat),
                tuple(e is not None for e in out_edges),
            )
            t._grad_fn = node
        result[k] = t
    return result


def _equation_nodes(graph, flat, edges):
    """One Node per live equation of a create_graph backward (L.EquationGraph): value id -> (node, output).
    A saved result it reads is an edge to that result's node, so a second backward runs through that node (and
    fails there if it was freed, after the hooks before it ran), as torch's formula nodes do."""
    from ..ops.views import _ChainKernel

    values = graph.values(*flat)
    made = {}
    for idx, (bind, ins, ids, metas, name, edge_positions, undefined) in enumerate(graph.eqns):
        saved, node_edges = [], []
        for r in ins:
            if r[0] == "in":
                saved.append(flat[r[1]])
                node_edges.append(edges[r[1]])
            elif r[0] == "v":
                saved.append(values[graph.needed[r[1]]])
                node_edges.append(made.get(r[1]) if r[2] else None)
            elif r[0] == "num":  # (a tensor torch's formula filled with a number)
                saved.append(r[1])
                node_edges.append(None)
        kern = _ChainKernel(
            bind, ("equation", graph.key, idx), None if len(edge_positions) == len(saved) else edge_positions
        )
        kern.undefined = undefined
        node = Node(kern, tuple(saved), tuple(node_edges), (), metas, name)
        node._saves_tensors = name not in _SAVELESS_FORMULAS  # (torch's formula nodes save what they read)
        node._of_backward = True
        shapes = tuple(getattr(a, "shape", None) for a in saved)
        node.fragment = (kern.key, shapes, tuple(e is not None for e in node_edges))
        for k, i in enumerate(ids):
            made[i] = (node, k)
    return made


def _pick(fn, o):
    def pure(*xs):
        return fn(*xs)[o]

    return pure
