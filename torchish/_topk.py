"""torch's CPU ``topk(largest=True, sorted=True)`` order, ties included.

ATen's topk_impl_loop runs libstdc++'s ``std::partial_sort`` (when ``k * 64 <= n``) or
``std::nth_element`` followed by ``std::sort`` of the first ``k - 1`` elements.  Neither is stable,
so equal values come out in an order only those algorithms define.  Without ties any correct
selection gives torch's answer, and numpy does it; with ties we replay the libstdc++ algorithms
(GCC 13) on the (value, index) pairs.
"""

from __future__ import annotations

import math

import numpy as np

_THRESHOLD = 16  # libstdc++'s _S_threshold


def topk_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values of a 1-D array, in the order torch's CPU topk returns them."""
    n = len(values)
    finite = values[~np.isnan(values)]
    if len(np.unique(finite)) == len(finite) and np.isnan(values).sum() <= 1:
        # no ties: NaN first (the comparator puts it on top), then descending
        order = np.argsort(-np.where(np.isnan(values), np.inf, values), kind="stable")
        return order[:k].astype(np.int64)
    q = list(zip(values.astype(np.float64).tolist(), range(n)))
    if k * 64 <= n:
        _partial_sort(q, 0, k, n)
    else:
        _nth_element(q, 0, k - 1, n)
        _sort(q, 0, k - 1)
    return np.array([i for _, i in q[:k]], np.int64)


def _less(x, y) -> bool:
    # topk(largest=True): "x goes before y"
    return (math.isnan(x[0]) and not math.isnan(y[0])) or x[0] > y[0]


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _sort(q, first, last) -> None:
    if first != last:
        _introsort_loop(q, first, last, _lg(last - first) * 2)
        _final_insertion_sort(q, first, last)


def _introsort_loop(q, first, last, depth) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _partial_sort(q, first, last, last)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(q, first, last)
        _introsort_loop(q, cut, last, depth)
        last = cut


def _move_median_to_first(q, result, a, b, c) -> None:
    if _less(q[a], q[b]):
        if _less(q[b], q[c]):
            m = b
        elif _less(q[a], q[c]):
            m = c
        else:
            m = a
    elif _less(q[a], q[c]):
        m = a
    elif _less(q[b], q[c]):
        m = c
    else:
        m = b
    q[result], q[m] = q[m], q[result]


def _unguarded_partition(q, first, last, pivot) -> int:
    while True:
        while _less(q[first], q[pivot]):
            first += 1
        last -= 1
        while _less(q[pivot], q[last]):
            last -= 1
        if not first < last:
            return first
        q[first], q[last] = q[last], q[first]
        first += 1


def _unguarded_partition_pivot(q, first, last) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(q, first, first + 1, mid, last - 1)
    return _unguarded_partition(q, first + 1, last, first)


def _unguarded_linear_insert(q, last) -> None:
    val = q[last]
    nxt = last - 1
    while _less(val, q[nxt]):
        q[last] = q[nxt]
        last = nxt
        nxt -= 1
    q[last] = val


def _insertion_sort(q, first, last) -> None:
    if first == last:
        return
    for i in range(first + 1, last):
        if _less(q[i], q[first]):
            val = q[i]
            q[first + 1 : i + 1] = q[first:i]
            q[first] = val
        else:
            _unguarded_linear_insert(q, i)


def _final_insertion_sort(q, first, last) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(q, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(q, i)
    else:
        _insertion_sort(q, first, last)


def _nth_element(q, first, nth, last) -> None:
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(q, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(q, first, last)


def _partial_sort(q, first, middle, last) -> None:
    _heap_select(q, first, middle, last)
    while middle - first > 1:  # __sort_heap
        middle -= 1
        _pop_heap(q, first, middle, middle)


def _heap_select(q, first, middle, last) -> None:
    _make_heap(q, first, middle)
    for i in range(middle, last):
        if _less(q[i], q[first]):
            _pop_heap(q, first, middle, i)


def _make_heap(q, first, last) -> None:
    n = last - first
    if n < 2:
        return
    parent = (n - 2) // 2
    while True:
        _adjust_heap(q, first, parent, n, q[first + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(q, first, last, result) -> None:
    val = q[result]
    q[result] = q[first]
    _adjust_heap(q, first, 0, last - first, val)


def _adjust_heap(q, first, hole, n, val) -> None:
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if _less(q[first + child], q[first + child - 1]):
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and _less(q[first + parent], val):
        q[first + hole] = q[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[first + hole] = val
