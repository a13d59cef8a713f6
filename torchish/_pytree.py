"""The part of torch.utils._pytree that torch.func relies on: flatten, unflatten, prefix broadcast.

Containers are tuple, list, dict, OrderedDict and namedtuple; everything else (None included) is a
leaf. TreeSpec's repr is torch's, because torch.func puts it into error messages.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any


class TreeSpec:
    __slots__ = ("type", "_context", "_children", "num_leaves")

    def __init__(self, typ: type, context: Any, children: list) -> None:
        self.type = typ
        self._context = context
        self._children = children
        self.num_leaves = sum(c.num_leaves for c in children)

    @property
    def num_children(self) -> int:
        return len(self._children)

    def __repr__(self, indent: int = 0) -> str:
        name = "namedtuple" if _is_namedtuple(self.type) else self.type.__name__
        s = ""
        if self._children:
            indent += 2
            s += self._children[0].__repr__(indent)
            s += "," if len(self._children) > 1 else ""
            s += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self._children[1:])
        return f"TreeSpec({name}, {self._context}, [{s}])"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TreeSpec)
            and self.type is other.type
            and self._context == other._context
            and self._children == other._children
        )

    def __hash__(self) -> int:
        return hash((self.type, len(self._children)))

    def is_leaf(self) -> bool:
        return False


class LeafSpec(TreeSpec):
    def __init__(self) -> None:
        self.type = None
        self._context = None
        self._children = []
        self.num_leaves = 1

    def __repr__(self, indent: int = 0) -> str:
        return "*"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LeafSpec)

    def __hash__(self) -> int:
        return 0

    def is_leaf(self) -> bool:
        return True


LEAF = LeafSpec()


def _is_namedtuple(t) -> bool:
    return isinstance(t, type) and issubclass(t, tuple) and hasattr(t, "_fields")


def _children(x):
    """(children, context) of a container, or None for a leaf."""
    t = type(x)
    if t is tuple or t is list:
        return list(x), None
    if t is dict or t is OrderedDict:
        return list(x.values()), list(x.keys())
    if _is_namedtuple(t):
        return list(x), t
    return None


def tree_flatten(tree: Any) -> tuple[list, TreeSpec]:
    leaves: list = []

    def go(x):
        ch = _children(x)
        if ch is None:
            leaves.append(x)
            return LEAF
        kids, ctx = ch
        return TreeSpec(type(x), ctx, [go(c) for c in kids])

    return leaves, go(tree)


def tree_unflatten(leaves, spec: TreeSpec) -> Any:
    it = iter(leaves)

    def go(s):
        if s.is_leaf():
            return next(it)
        kids = [go(c) for c in s._children]
        if s.type is tuple:
            return tuple(kids)
        if s.type is list:
            return kids
        if s.type is dict or s.type is OrderedDict:
            return s.type(zip(s._context, kids))
        return s.type(*kids)

    return go(spec)


def tree_map(fn, tree: Any) -> Any:
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix: Any, spec: TreeSpec) -> list | None:
    """Leaves of `prefix` repeated over the subtrees of `spec` they stand for; None if not a prefix."""
    out: list = []

    def go(p, s):
        ch = _children(p)
        if ch is None:
            out.extend([p] * s.num_leaves)
            return True
        if s.is_leaf() or type(p) is not s.type:
            return False
        kids, ctx = ch
        if len(kids) != len(s._children) or ctx != s._context:
            return False
        return all(go(k, c) for k, c in zip(kids, s._children))

    return out if go(prefix, spec) else None


def treespec_pprint(spec: TreeSpec) -> str:
    class _Star:
        def __repr__(self) -> str:
            return "*"

    return repr(tree_unflatten([_Star()] * spec.num_leaves, spec))
