"""Which index torch's CPU kernels pick among equal values, replayed on the host.

Without ties any correct selection gives torch's answer; with ties the index is whatever the kernel's
algorithm leaves, so the algorithms are replayed (libstdc++ of GCC 13, and TH's quickselect):

- ``topk(largest=True, sorted=True)``: ATen's topk_impl_loop runs ``std::partial_sort`` (when ``k * 64 <= n``)
  or ``std::nth_element`` followed by ``std::sort`` of the first ``k - 1`` elements, on (value, index) pairs.
- ``kthvalue``: TH's quickselect (Sedgewick's partition, median-of-three pivot) on values, indices alongside.
- ``mode``: ``std::sort`` of (value, index) pairs by value; the index is the last of the most frequent run.
- ``sort(stable=False)``: ``std::sort`` of (value, index) pairs by value (NaN last, or first descending).
- ``nanmedian`` of a row of NaNs only: ``std::nth_element`` with a comparator that never holds.
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
        _partial_sort(_topk_less, q, 0, k, n)
    else:
        _nth_element(_topk_less, q, 0, k - 1, n)
        _sort(_topk_less, q, 0, k - 1)
    return np.array([i for _, i in q[:k]], np.int64)


def _topk_less(x, y) -> bool:
    # topk(largest=True): "x goes before y"
    return (math.isnan(x[0]) and not math.isnan(y[0])) or x[0] > y[0]


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _sort(less, q, first, last) -> None:
    if first != last:
        _introsort_loop(less, q, first, last, _lg(last - first) * 2)
        _final_insertion_sort(less, q, first, last)


def _introsort_loop(less, q, first, last, depth) -> None:
    while last - first > _THRESHOLD:
        if depth == 0:
            _partial_sort(less, q, first, last, last)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(less, q, first, last)
        _introsort_loop(less, q, cut, last, depth)
        last = cut


def _move_median_to_first(less, q, result, a, b, c) -> None:
    if less(q[a], q[b]):
        if less(q[b], q[c]):
            m = b
        elif less(q[a], q[c]):
            m = c
        else:
            m = a
    elif less(q[a], q[c]):
        m = a
    elif less(q[b], q[c]):
        m = c
    else:
        m = b
    q[result], q[m] = q[m], q[result]


def _unguarded_partition(less, q, first, last, pivot) -> int:
    while True:
        while less(q[first], q[pivot]):
            first += 1
        last -= 1
        while less(q[pivot], q[last]):
            last -= 1
        if not first < last:
            return first
        q[first], q[last] = q[last], q[first]
        first += 1


def _unguarded_partition_pivot(less, q, first, last) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(less, q, first, first + 1, mid, last - 1)
    return _unguarded_partition(less, q, first + 1, last, first)


def _unguarded_linear_insert(less, q, last) -> None:
    val = q[last]
    nxt = last - 1
    while less(val, q[nxt]):
        q[last] = q[nxt]
        last = nxt
        nxt -= 1
    q[last] = val


def _insertion_sort(less, q, first, last) -> None:
    if first == last:
        return
    for i in range(first + 1, last):
        if less(q[i], q[first]):
            val = q[i]
            q[first + 1 : i + 1] = q[first:i]
            q[first] = val
        else:
            _unguarded_linear_insert(less, q, i)


def _final_insertion_sort(less, q, first, last) -> None:
    if last - first > _THRESHOLD:
        _insertion_sort(less, q, first, first + _THRESHOLD)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(less, q, i)
    else:
        _insertion_sort(less, q, first, last)


def _nth_element(less, q, first, nth, last) -> None:
    if first == last or nth == last:
        return
    depth = _lg(last - first) * 2
    while last - first > 3:
        if depth == 0:
            _heap_select(less, q, first, nth + 1, last)
            q[first], q[nth] = q[nth], q[first]
            return
        depth -= 1
        cut = _unguarded_partition_pivot(less, q, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(less, q, first, last)


def _partial_sort(less, q, first, middle, last) -> None:
    _heap_select(less, q, first, middle, last)
    while middle - first > 1:  # __sort_heap
        middle -= 1
        _pop_heap(less, q, first, middle, middle)


def _heap_select(less, q, first, middle, last) -> None:
    _make_heap(less, q, first, middle)
    for i in range(middle, last):
        if less(q[i], q[first]):
            _pop_heap(less, q, first, middle, i)


def _make_heap(less, q, first, last) -> None:
    n = last - first
    if n < 2:
        return
    parent = (n - 2) // 2
    while True:
        _adjust_heap(less, q, first, parent, n, q[first + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(less, q, first, last, result) -> None:
    val = q[result]
    q[result] = q[first]
    _adjust_heap(less, q, first, 0, last - first, val)


def _adjust_heap(less, q, first, hole, n, val) -> None:
    top = hole
    child = hole
    while child < (n - 1) // 2:
        child = 2 * (child + 1)
        if less(q[first + child], q[first + child - 1]):
            child -= 1
        q[first + hole] = q[first + child]
        hole = child
    if n % 2 == 0 and child == (n - 2) // 2:
        child = 2 * (child + 1)
        q[first + hole] = q[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(q[first + parent], val):
        q[first + hole] = q[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    q[first + hole] = val


def _gt_or_nan(x, y) -> bool:
    return (math.isnan(x) and not math.isnan(y)) or x > y


def kthvalue_index(values: np.ndarray, k: int) -> int:
    """The index torch's CPU kthvalue returns: the k-th smallest (1-based), NaN largest."""
    n = len(values)
    if not np.isnan(values).any() and len(np.unique(values)) == n:
        return int(np.argsort(values, kind="stable")[k - 1])
    arr, idx = values.tolist(), list(range(n))

    def swap(i, j):
        arr[i], arr[j] = arr[j], arr[i]
        idx[i], idx[j] = idx[j], idx[i]

    k, lo, hi = k - 1, 0, n - 1
    while hi > lo:
        if hi == lo + 1:
            if _gt_or_nan(arr[lo], arr[hi]):
                swap(lo, hi)
            break
        swap((lo + hi) >> 1, lo + 1)  # median of three: arr[lo] <= pivot arr[lo] <= arr[hi] as sentinels
        if _gt_or_nan(arr[lo + 1], arr[hi]):
            swap(lo + 1, hi)
        if _gt_or_nan(arr[lo], arr[hi]):
            swap(lo, hi)
        if _gt_or_nan(arr[lo + 1], arr[lo]):
            swap(lo + 1, lo)
        i, j, pivot = lo + 1, hi, arr[lo]
        while True:
            i += 1
            while _gt_or_nan(pivot, arr[i]):
                i += 1
            j -= 1
            while _gt_or_nan(arr[j], pivot):
                j -= 1
            if j < i:
                break
            swap(i, j)
        swap(lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1
    return idx[k]


def _value_less(x, y) -> bool:
    return x[0] < y[0]


def mode_of(values: np.ndarray) -> tuple:
    """(value, index) as torch's CPU mode returns them: the most frequent value (the smallest among equally
    frequent ones; each NaN a value of its own), and the index std::sort left last in its run."""
    n = len(values)
    q = list(zip(values.tolist(), range(n)))
    _sort(_value_less, q, 0, n)
    best, best_freq, run = q[0], 0, 0
    for i in range(n):
        run += 1
        if i == n - 1 or q[i][0] != q[i + 1][0]:
            if run > best_freq:
                best, best_freq = q[i], run
            run = 0
    return best


def all_nan_median_index(n: int) -> int:
    """nanmedian's index for a row of NaNs only: what std::nth_element leaves first when no comparison holds."""
    q = list(range(n))
    _nth_element(lambda a, b: False, q, 0, 0, n)
    return q[0]


def _nan_last_less(x, y) -> bool:
    return (not math.isnan(x[0]) and math.isnan(y[0])) or x[0] < y[0]


def _nan_first_greater(x, y) -> bool:
    return (math.isnan(x[0]) and not math.isnan(y[0])) or x[0] > y[0]


def sort_indices(values: np.ndarray, descending: bool) -> list:
    """The order torch's CPU sort(stable=False) gives a row: libstdc++'s std::sort by value."""
    n = len(values)
    q = list(zip(values.tolist(), range(n)))
    _sort(_nan_first_greater if descending else _nan_last_less, q, 0, n)
    return [i for _, i in q]
