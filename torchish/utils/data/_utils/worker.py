"""DataLoader workers, run inside the main process.

torch forks ``num_workers`` processes, each seeding its own RNGs (``random``, torch's default generator, numpy's
global one) from ``base_seed + worker_id`` and fetching the tasks it is sent. torchish runs each worker's tasks in
the main process instead, swapping that worker's RNG states and ``get_worker_info()`` in around every call, so a
dataset that draws random numbers (or shards itself by worker id) sees what it would in torch's worker, and the
main process's own random streams are left as torch leaves them.
"""

from __future__ import annotations

import contextlib
import copy
import random
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...._generator import default_generator
from . import fetch

_worker_info: WorkerInfo | None = None


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its id, the worker count, its seed, its dataset copy."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


def get_worker_info() -> WorkerInfo | None:
    """The current worker's WorkerInfo; None in the main process (outside a worker's fetch)."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    worker_id: int


class KeyErrorMessage(str):
    """A KeyError repr()s its argument; this keeps the multi-line message readable."""

    __slots__ = ()

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception raised in a worker, re-raised (as its type, with the worker's traceback) when its batch is due."""

    def __init__(self, exc_info: Any = None, where: str = "in background") -> None:
        exc_info = sys.exc_info() if exc_info is None else exc_info
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self) -> None:
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """numpy's SeedSequence mixing of (worker_id, base_seed) into 4 words, as torch seeds each worker's numpy."""
    mask = 0xFFFFFFFF
    hash_a = 0x43B0D7E5

    def _hash(value: int) -> int:
        nonlocal hash_a
        value = (value ^ hash_a) & mask
        hash_a = (hash_a * 0x931E8875) & mask
        value = (value * hash_a) & mask
        return (value ^ (value >> 16)) & mask

    def _mix(x: int, y: int) -> int:
        r = ((0xCA01F9DD * x) - (0x4973F715 * y)) & mask
        return (r ^ (r >> 16)) & mask

    pool = [_hash(e) for e in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for src in range(4):
        for dst in range(4):
            if src != dst:
                pool[dst] = _mix(pool[dst], _hash(pool[src]))
    hash_b, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ hash_b) & mask
        hash_b = (hash_b * 0x58F38DED) & mask
        value = (value * hash_b) & mask
        state.append((value ^ (value >> 16)) & mask)
    return state


_NO_RESULT = object()  # a task a worker drops (sent after its stream ended): torch's worker sends nothing back


def _copy_dataset(dataset: Any) -> Any:
    # A forked worker has its own copy: worker_init_fn's `info.dataset.start = ...` must not reach the main
    # process or the other workers. A shallow copy gives that for attribute assignments at no data cost.
    try:
        return copy.copy(dataset)
    except Exception:
        return dataset


class _InProcessWorker:
    """One worker of torch's ``_worker_loop``: seeded at start, then fetching one task at a time, in send order."""

    def __init__(
        self,
        dataset_kind: int,
        dataset: Any,
        auto_collation: bool,
        collate_fn: Callable,
        drop_last: bool,
        base_seed: int,
        init_fn: Callable[[int], None] | None,
        worker_id: int,
        num_workers: int,
    ) -> None:
        self.id = worker_id
        self._kind = dataset_kind
        self._fetcher_args = (auto_collation, collate_fn, drop_last)
        self._base_seed = base_seed
        self.dataset = _copy_dataset(dataset)
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=base_seed + worker_id, dataset=self.dataset)
        self._rng: tuple | None = None  # this worker's (torch, random, numpy) states between its calls
        self.iteration_end = False
        self.init_exception: ExceptionWrapper | None = None
        self.fetcher: fetch._BaseDatasetFetcher | None = None
        with self._running():
            try:
                if init_fn is not None:
                    init_fn(worker_id)
                self.fetcher = self._create_fetcher()
            except Exception:
                # torch hands this to the first task sent to the worker, so it surfaces at that batch
                self.init_exception = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

    def _create_fetcher(self) -> fetch._BaseDatasetFetcher:
        return fetch._DatasetKind.create_fetcher(self._kind, self.dataset, *self._fetcher_args)

    @contextlib.contextmanager
    def _running(self) -> Iterator[None]:
        global _worker_info
        main = (default_generator.get_state(), random.getstate(), np.random.get_state())
        outer_info = _worker_info
        if self._rng is None:
            seed = self.info.seed
            random.seed(seed)
            default_generator.manual_seed(seed)
            np.random.seed(_generate_state(self._base_seed, self.id))
        else:
            default_generator.set_state(self._rng[0])
            random.setstate(self._rng[1])
            np.random.set_state(self._rng[2])
        _worker_info = self.info
        try:
            yield
        finally:
            self._rng = (default_generator.get_state(), random.getstate(), np.random.get_state())
            default_generator.set_state(main[0])
            random.setstate(main[1])
            np.random.set_state(main[2])
            _worker_info = outer_info

    def run(self, index: Any) -> Any:
        """The worker's reply to one task: the batch, an ExceptionWrapper, a stop signal, or _NO_RESULT."""
        if self.iteration_end:
            return _NO_RESULT
        if self.init_exception is not None:
            data, self.init_exception = self.init_exception, None
            return data
        with self._running():
            try:
                if self.fetcher is None:  # its init failed: torch's loop reads the never-assigned local
                    raise UnboundLocalError(
                        "cannot access local variable 'fetcher' where it is not associated with a value"
                    )
                return self.fetcher.fetch(index)
            except Exception as e:
                if isinstance(e, StopIteration) and self._kind == fetch._DatasetKind.Iterable:
                    self.iteration_end = True
                    return _IterableDatasetStopIteration(self.id)
                return ExceptionWrapper(where=f"in DataLoader worker process {self.id}")

    def resume(self) -> None:
        """A persistent worker's new epoch: a fresh fetcher (a new stream), RNGs carried on."""
        self.iteration_end = False
        with self._running():
            self.fetcher = self._create_fetcher()
