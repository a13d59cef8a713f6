"""torchish.utils.data against torch.utils.data: DataLoader orders and the random streams it leaves behind (main and
worker: torch, `random`, numpy), random_split, the samplers, default_collate/default_convert, the datasets, and
every error and warning. Each case runs the same code with m = torch and m = torchish and compares results (values,
dtypes, container types), warnings and exceptions (type and text); nothing expected is hard-coded.

torch's DataLoader workers are real forked processes here, so the worker cases are few and small.
"""

from __future__ import annotations

import collections
import os
import random
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data
import torch.utils.data._utils.worker
from hypothesis import given, settings
from hypothesis import strategies as st

import torchish
import torchish.utils.data._utils.worker

FEW = settings(max_examples=max(5, settings().max_examples // 10), deadline=None)
FEWER = settings(max_examples=max(3, settings().max_examples // 25), deadline=None)

Point = collections.namedtuple("Point", ["x", "y"])


def _plain(x):
    """A torch- or torchish-free form of a result: tensors as (dtype, shape, values), containers by type name."""
    if isinstance(x, (torch.Tensor, torchish.Tensor)):
        return ("tensor", str(x.dtype), tuple(x.shape), x.tolist())
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.tolist())
    if isinstance(x, collections.abc.Mapping):
        return (type(x).__name__, [(k, _plain(v)) for k, v in x.items()])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [_plain(v) for v in x])
    if x is None or isinstance(x, (bool, int, float, str, bytes)):
        return x
    return ("object", type(x).__name__)


def _text(msg: str) -> str:
    # object addresses and the package's own name (in reprs of its classes) are the only expected differences
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", str(msg)).replace("torchish", "torch")


def _outcome(fn, m):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = ("ok", _plain(fn(m)))
        except Exception as e:
            result = ("raise", type(e).__name__, _text(e))
    return result, [(w.category.__name__, _text(w.message)) for w in caught if "fork" not in str(w.message)]


def _same(fn):
    """fn(m) under torch and torchish: the same result or error, and the same warnings."""
    want, got = _outcome(fn, torch), _outcome(fn, torchish)
    assert got == want
    return want


def _streams(m):
    """The main process's random streams, after a run: torch's default generator, `random`, numpy's global one."""
    return m.randn(3).tolist(), random.random(), float(np.random.rand())


def _seed_all(m, seed):
    m.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)


def _tensor_ds(m, n):
    return m.utils.data.TensorDataset(m.arange(n), m.arange(n, dtype=m.float64) * 0.5)


# ------------------------------------------------------------------------------------------ loader orders and RNG


@FEW
@given(
    n=st.integers(0, 20),
    batch_size=st.one_of(st.none(), st.integers(1, 7)),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32),
    own_generator=st.booleans(),
)
def test_loader_order_and_streams(n, batch_size, drop_last, shuffle, seed, own_generator):
    def run(m):
        _seed_all(m, seed)
        gen = m.Generator().manual_seed(seed + 1) if own_generator else None
        dl = m.utils.data.DataLoader(
            _tensor_ds(m, n), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, generator=gen
        )
        epochs = [list(dl) for _ in range(2)]
        return len(dl), epochs, _streams(m), gen.initial_seed() if gen else None, m.rand(2, generator=gen).tolist()

    _same(run)


@pytest.mark.parametrize("seed", [0, 1, 1234])
def test_shuffled_epoch_then_randn(seed):
    # the brief's example: the loader's base-seed draw and the RandomSampler's draw both advance the default stream
    _same(lambda m: (m.manual_seed(seed), list(m.utils.data.DataLoader(_tensor_ds(m, 5), shuffle=True)), m.randn(3)))


def test_draw_order_between_iter_and_next():
    # iter() draws the base seed; a RandomSampler draws its own seed only at the first next()
    def run(m):
        m.manual_seed(7)
        it = iter(m.utils.data.DataLoader(_tensor_ds(m, 6), batch_size=2, shuffle=True))
        between = m.rand(2)
        return between, list(it), m.rand(2)

    _same(run)


# --------------------------------------------------------------------------------------------------- workers


def _random_dataset(m):
    D = m.utils.data

    class Draws(D.Dataset):
        def __init__(self, n):
            self.n = n
            self.tag = "main"

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            info = D.get_worker_info()
            wid, seed = (-1, 0) if info is None else (info.id, info.seed)
            return {"i": i, "t": m.randn(2), "py": random.random(), "np": np.random.rand(), "w": wid, "s": seed,
                    "tag": self.tag, "init": m.initial_seed()}  # fmt: skip

    return Draws


@FEWER
@given(
    n=st.integers(0, 9),
    batch_size=st.integers(1, 3),
    num_workers=st.integers(1, 3),
    prefetch_factor=st.integers(1, 3),
    persistent=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_workers_order_and_streams(n, batch_size, num_workers, prefetch_factor, persistent, shuffle, seed):
    def run(m):
        _seed_all(m, seed)
        ds = _random_dataset(m)(n)

        def init(worker_id):  # a worker's dataset is its own copy: retagging it must not reach the main one
            m.utils.data.get_worker_info().dataset.tag = f"w{worker_id}:{m.rand(1).item()}"

        dl = m.utils.data.DataLoader(
            ds,
            batch_size=batch_size,
            shuffle=shuffle,
            num_workers=num_workers,
            prefetch_factor=prefetch_factor,
            persistent_workers=persistent,
            worker_init_fn=init,
        )
        it1 = iter(dl)
        first = list(it1)
        it2 = iter(dl)
        return first, list(it2), it1 is it2, ds.tag, m.utils.data.get_worker_info(), _streams(m)

    _same(run)


def _stream_dataset(m, n, mode):
    D = m.utils.data

    class Stream(D.IterableDataset):
        def __iter__(self):
            info = D.get_worker_info()
            if info is None or mode == 0:
                items = range(n)  # every worker repeats the whole stream
            elif mode == 1:
                items = range(info.id, n, info.num_workers)  # sharded
            else:
                items = range(info.id * 3, min(n, info.id * 4 + 2))  # uneven lengths: workers end at different times
            for i in items:
                yield {"i": i, "w": -1 if info is None else info.id, "r": m.rand(1)}

        def __len__(self):
            return n

    return Stream()


@FEW
@given(
    n=st.integers(0, 9),
    batch_size=st.one_of(st.none(), st.integers(1, 3)),
    drop_last=st.booleans(),
    num_workers=st.integers(0, 2),
    mode=st.integers(0, 2),
    call_len=st.booleans(),
)
def test_iterable_dataset(n, batch_size, drop_last, num_workers, mode, call_len):
    def run(m):
        m.manual_seed(n)
        dl = m.utils.data.DataLoader(
            _stream_dataset(m, n, mode), batch_size=batch_size, drop_last=drop_last, num_workers=num_workers
        )
        length = len(dl) if call_len else None  # then iteration warns if the stream yields more than that
        return length, list(dl), list(dl), m.randn(2)

    _same(run)


def _drain(it):
    """Every next(it) to the end: the item, or a worker's exception as its type and the first and last lines of
    its text (the worker's traceback in between has paths and line numbers of its own)."""
    out = []
    while True:
        try:
            out.append(next(it))
        except StopIteration:
            return out
        except Exception as e:
            lines = str(e).splitlines()
            out.append((type(e).__name__, lines[0], lines[-1]))


def test_worker_exception():
    def run(m):
        D = m.utils.data

        class Bad(D.Dataset):
            def __len__(self):
                return 5

            def __getitem__(self, i):
                if i == 2:
                    raise KeyError("boom")
                return i

        return _drain(iter(D.DataLoader(Bad(), batch_size=1, num_workers=2)))

    _same(run)


def test_worker_init_fn_exception():
    def run(m):
        def init(worker_id):
            if worker_id == 1:
                raise ValueError(f"bad worker {worker_id}")

        return _drain(iter(m.utils.data.DataLoader(list(range(5)), num_workers=2, worker_init_fn=init)))

    _same(run)


@given(base_seed=st.integers(0, 2**63 - 1), worker_id=st.integers(0, 64))
def test_numpy_worker_seed(base_seed, worker_id):
    want = torch.utils.data._utils.worker._generate_state(base_seed, worker_id)
    assert torchish.utils.data._utils.worker._generate_state(base_seed, worker_id) == want


# ---------------------------------------------------------------------------------------------- random_split


@FEW
@given(
    parts=st.lists(st.integers(0, 6), min_size=1, max_size=4),
    off_by=st.sampled_from([0, 0, 0, 1, -1]),
    fractions=st.booleans(),
    own_generator=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_random_split(parts, off_by, fractions, own_generator, seed):
    n = max(0, sum(parts) + off_by)
    if fractions:
        total = sum(parts) or 1
        lengths = [p / total for p in parts] if sum(parts) else [1.0] + [0.0] * (len(parts) - 1)
    else:
        lengths = parts

    def run(m):
        m.manual_seed(seed)
        kw = {"generator": m.Generator().manual_seed(seed)} if own_generator else {}
        splits = m.utils.data.random_split(range(n), lengths, **kw)
        return [list(s) for s in splits], [len(s) for s in splits], m.randn(2)

    _same(run)


# ------------------------------------------------------------------------------------------------- samplers


@FEW
@given(
    n=st.integers(1, 40),
    replacement=st.booleans(),
    num_samples=st.one_of(st.none(), st.integers(1, 80)),
    own_generator=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_random_sampler(n, replacement, num_samples, own_generator, seed):
    def run(m):
        m.manual_seed(seed)
        gen = m.Generator().manual_seed(seed) if own_generator else None
        s = m.utils.data.RandomSampler(range(n), replacement=replacement, num_samples=num_samples, generator=gen)
        return len(s), s.num_samples, list(s), list(s), m.randn(2)

    _same(run)


@FEW
@given(
    indices=st.lists(st.integers(0, 50), max_size=12),
    own_generator=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_subset_random_sampler(indices, own_generator, seed):
    def run(m):
        m.manual_seed(seed)
        gen = m.Generator().manual_seed(seed) if own_generator else None
        s = m.utils.data.SubsetRandomSampler(indices, generator=gen)
        return len(s), list(s), list(s), m.randn(2)

    _same(run)


@FEW
@given(
    weights=st.lists(st.sampled_from([0.0, 0.1, 0.5, 1.0, 2.5, 7.0]), min_size=1, max_size=8),
    num_samples=st.integers(1, 12),
    replacement=st.booleans(),
    seed=st.integers(0, 2**32),
)
def test_weighted_random_sampler(weights, num_samples, replacement, seed):
    def run(m):
        m.manual_seed(seed)
        s = m.utils.data.WeightedRandomSampler(weights, num_samples, replacement=replacement)
        return len(s), s.weights, list(s), list(s), m.randn(2)

    _same(run)


@FEW
@given(n=st.integers(0, 20), batch_size=st.integers(1, 7), drop_last=st.booleans())
def test_batch_sampler(n, batch_size, drop_last):
    def run(m):
        D = m.utils.data
        s = D.BatchSampler(D.SequentialSampler(range(n)), batch_size, drop_last)
        return len(s), list(s), list(D.BatchSampler(iter(range(n)), batch_size, drop_last))

    _same(run)


# ------------------------------------------------------------------------------------------------- collation

# C is default_collate, V default_convert; t/u are [1, 2] and [3, 4] int64, f a float tensor
_COLLATE_CALLS = [
    "C([1, 2, 3])", "C([1.5, 2])", "C([1, 2.5])", "C([True, False])", "C([t, u])", "C([f, f * 2])", "C([f[0], f[1]])",
    "C([np.int32(1), np.int32(2)])", "C([np.float32(1.5), np.float32(2)])", "C([np.bool_(True), np.bool_(False)])",
    "C([np.float64(0.5), np.float16(2)])", "C([np.array([1, 2]), np.array([3, 4])])", "C([np.array(1.5)] * 2)",
    "C([np.zeros((2, 2), np.float16), np.ones((2, 2), np.float16)])", "C(['a', 'b'])", "C([b'x', b'y'])",
    "C([{'a': 1, 'b': t}, {'a': 2, 'b': u}])", "C([(1, 'x'), (2, 'y')])", "C([[1, 2], [3, 4]])",
    "C([Point(1, 2.5), Point(3, 4.5)])", "C([collections.OrderedDict(z=1, a=2.0)] * 2)",
    "C([{'p': Point(t, np.array([0.5])), 'q': [('s', 1)]}] * 3)", "C([{'a': {'b': (f, 1)}}, {'a': {'b': (f, 2)}}])",
    "C([(1,), (2, 3)])", "C([[1, 2], [3]])", "C([object()])", "C([None, None])",
    "C([np.array(['a']), np.array(['b'])])", "C([np.array([object()])])", "C([t, m.tensor([1, 2, 3])])", "C([])",
    "C([np.str_('a'), np.str_('b')])", "C([range(2), range(2)])", "C([t.double(), u.float()])",
    "V(np.array([1, 2]))", "V(np.float32(2.5))", "V(np.int64(3))", "V(np.array(['a']))", "V(np.str_('s'))", "V(3)",
    "V((np.array(1), 'a'))", "V(Point(np.array(0), 1))", "V({'a': np.array([1.5]), 'b': [np.bool_(True)]})",
    "V(range(3))", "V('abc')", "V(t)", "V([np.zeros(2, np.int8)])", "V(collections.OrderedDict(k=np.uint8(7)))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _COLLATE_CALLS)
def test_collate(expr):
    def run(m):
        f = m.tensor([[0.5, 1.5], [2.5, 3.5]])
        scope = {"m": m, "np": np, "collections": collections, "Point": Point, "f": f}
        scope.update(C=m.utils.data.default_collate, V=m.utils.data.default_convert)
        scope.update(t=m.tensor([1, 2]), u=m.tensor([3, 4]))
        return eval(expr, scope)

    _same(run)


def test_collate_aliases():
    assert torchish.utils.data._utils.collate.default_collate is torchish.utils.data.default_collate
    assert torchish.utils.data.dataloader.default_convert is torchish.utils.data.default_convert
    for name in ("collate", "default_collate_fn_map", "collate_tensor_fn", "default_collate_err_msg_format"):
        assert hasattr(torch.utils.data._utils.collate, name) and hasattr(torchish.utils.data._utils.collate, name)


# ---------------------------------------------------------------------------- datasets, options, errors, warnings


def _scope(m):
    D = m.utils.data

    class Stream(D.IterableDataset):
        def __iter__(self):
            return iter(range(3))

    class Sized(Stream):
        def __len__(self):
            return 2  # shorter than the stream: iterating after len() warns

    ds = _tensor_ds(m, 5)
    rich = [{"x": m.full((2,), float(i)), "y": (i, "s"), "p": Point(np.float32(i), [i])} for i in range(5)]
    return {"m": m, "D": D, "ds": ds, "ids": Stream(), "sized": Sized(), "rich": rich, "np": np,
            "cat": D.ConcatDataset([range(3), [10, 11], range(20, 22)])}  # fmt: skip


_DATASET_CALLS = [
    # DataLoader options
    "D.DataLoader(ds, num_workers=-1)", "D.DataLoader(ds, timeout=-1)", "D.DataLoader(ds, prefetch_factor=2)",
    "D.DataLoader(ds, num_workers=1, prefetch_factor=-1)", "D.DataLoader(ds, persistent_workers=True)",
    "D.DataLoader(ds, sampler=[0, 1], shuffle=True)", "D.DataLoader(ds, batch_sampler=[[0]], batch_size=2)",
    "D.DataLoader(ds, batch_sampler=[[0]], drop_last=True)", "D.DataLoader(ds, batch_sampler=[[0]], shuffle=True)",
    "D.DataLoader(ds, batch_sampler=[[0]], sampler=[0])", "D.DataLoader(ds, batch_size=None, drop_last=True)",
    "D.DataLoader(ids, shuffle=True)", "D.DataLoader(ids, sampler=[0])", "D.DataLoader(ids, batch_sampler=[[0]])",
    "list(D.DataLoader(ids, shuffle=False))", "D.DataLoader(ds, multiprocessing_context='fork')",
    "D.DataLoader(ds, num_workers=1, multiprocessing_context='bogus')",
    "D.DataLoader(ds, num_workers=1, multiprocessing_context=3)",
    "list(D.DataLoader(ds, num_workers=1, multiprocessing_context='fork', batch_size=2))",
    "list(D.DataLoader(ds, timeout=1))", "list(D.DataLoader(ds, num_workers=1, prefetch_factor=0))",
    "list(D.DataLoader(ds, num_workers=1, timeout=3, batch_size=3))",
    "setattr(D.DataLoader(ds), 'batch_size', 3)", "setattr(D.DataLoader(ds), 'sampler', None)",
    "setattr(D.DataLoader(ds), 'timeout', 3)", "len(D.DataLoader(ids))", "len(D.DataLoader(sized, batch_size=3))",
    "len(D.DataLoader(sized, batch_size=3, drop_last=True))", "len(D.DataLoader(sized, batch_size=None))",
    "(lambda dl: (len(dl), list(dl)))(D.DataLoader(sized))", "list(D.DataLoader(ds, pin_memory=True))",
    "list(D.DataLoader(ds, pin_memory=True, pin_memory_device='cuda'))", "list(D.DataLoader(range(4), batch_size=3))",
    "list(D.DataLoader(ds, batch_sampler=[[4, 0], [1]]))", "list(D.DataLoader(ds, sampler=[3, 3, 1], batch_size=2))",
    "list(D.DataLoader(ds, batch_size=2, collate_fn=lambda b: len(b)))", "list(D.DataLoader(rich, batch_size=2))",
    "list(D.DataLoader(rich, batch_size=None))", "list(D.DataLoader([object()]))",
    "list(D.DataLoader(D.Subset(ds, [4, 2, 0]), batch_size=2))", "list(D.DataLoader(D.StackDataset(ds, a=ds)))",
    "list(D.DataLoader(D.StackDataset(a=ds, b=range(5)), batch_size=3))", "len(D.DataLoader(ds, batch_size=2))",
    "(lambda it: (len(it), next(it)))(iter(D.DataLoader(ds, batch_size=3)))", "D.DataLoader(ds).batch_size",
    "D.DataLoader(ds, batch_sampler=[[0]]).batch_size", "D.DataLoader(ds, num_workers=2).prefetch_factor",
    "D.DataLoader(ds).collate_fn is D.default_collate",
    "D.DataLoader(ds, batch_size=None).collate_fn is D.default_convert",
    "type(D.DataLoader(ds).sampler).__name__", "type(D.DataLoader(ds, shuffle=True).sampler).__name__",
    "type(D.DataLoader(ids).sampler).__name__", "D.DataLoader(ds, num_workers=64)",
    # datasets
    "D.TensorDataset(m.zeros(2), m.zeros(3))", "D.TensorDataset()", "D.TensorDataset(m.zeros(3, 2), m.arange(3))[1]",
    "len(D.TensorDataset(m.zeros(3, 2)))", "D.TensorDataset(m.arange(4))[1:3]",
    "D.ConcatDataset([])", "D.ConcatDataset([ids])", "D.ConcatDataset(iter([range(2)]))[1]", "len(cat)",
    "[cat[i] for i in range(-7, 7)]", "cat[-8]", "cat[7]", "cat.cumulative_sizes", "cat.cummulative_sizes",
    "D.ConcatDataset.cumsum([range(2), [1]])", "(ds + ds)[7]", "len(ds + ds)", "type(ds + ds).__name__",
    "list(ids + ids)", "type(ids + ids).__name__", "len(D.ChainDataset([sized, sized]))",
    "list(D.ChainDataset([ids, ds]))", "len(D.ChainDataset([ids, ds]))", "len(D.ChainDataset([ids]))",
    "D.StackDataset()", "D.StackDataset(ds, a=ds)", "D.StackDataset(ds, range(2))",
    "D.StackDataset(a=range(3), b=range(2))", "D.StackDataset(range(3), range(3))[1]",
    "D.StackDataset(a=range(3), b=ds)[2]", "D.StackDataset(a=range(3), b=D.Subset(ds, [1, 2, 3])).__getitems__([2, 0])",
    "D.StackDataset(ds, ds).__getitems__([1])", "len(D.StackDataset(x=range(4)))",
    "D.Subset(ds, [2, 0])[1]", "len(D.Subset(ds, [2, 0]))", "D.Subset(ds, [2, 0]).__getitems__([1, 0])",
    "D.Subset(D.Subset(ds, [4, 3, 2]), [2, 0]).__getitems__([1])", "D.Subset(range(5), [4, 1])[[0, 1]]",
    "D.Dataset()[0]", "len(D.Dataset())", "iter(D.Sampler())", "len(D.Sampler())", "D.get_worker_info()",
    "iter(D.IterableDataset())", "D.Dataset[int].__args__", "D.Sampler[int].__origin__.__name__",
    "D.DataLoader[int].__origin__.__name__", "D.IterableDataset[str].__args__",
    # random_split errors and warnings
    "D.random_split(range(5), [2, 2])", "D.random_split(range(5), [1.5, -0.5])",
    "[list(s) for s in D.random_split(range(3), [0.0, 1.0])]", "D.random_split(range(3), [0.5, 0.6])",
    "[len(s) for s in D.random_split(range(10), [0.34, 0.33, 0.33])]", "D.random_split(ds, [])",
    "[len(s) for s in D.random_split(range(2), [0.2, 0.2, 0.2, 0.2, 0.2])]",
    # sampler errors
    "D.RandomSampler(ds, replacement=1)", "D.RandomSampler(ds, num_samples=0)", "D.RandomSampler(ds, num_samples=2.0)",
    "D.RandomSampler([])", "list(D.RandomSampler([], num_samples=3))", "list(D.RandomSampler([], True, 3))",
    "len(D.RandomSampler(ds, num_samples=9))", "len(D.SequentialSampler(ds))",
    "list(D.SequentialSampler(range(3)))", "D.BatchSampler(range(3), 0, False)",
    "D.BatchSampler(range(3), True, False)", "D.BatchSampler(range(3), 2, 1)",
    "len(D.BatchSampler(iter(range(3)), 2, False))", "D.WeightedRandomSampler([1.0], 0)",
    "D.WeightedRandomSampler([1.0], True)", "D.WeightedRandomSampler([1.0], 2, replacement=None)",
    "D.WeightedRandomSampler([[1.0]], 2)", "D.WeightedRandomSampler(3.0, 2)",
    "list(D.WeightedRandomSampler([1, 0], 2, False))",
    "list(D.WeightedRandomSampler([-1.0, 2.0], 2))", "D.WeightedRandomSampler(np.array([1, 2]), 3).weights",
    "list(D.WeightedRandomSampler(m.tensor([0.0, 1.0]), 3))",
]  # fmt: skip


@pytest.mark.parametrize("expr", _DATASET_CALLS)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # torch's own, for prefetch_factor=0
def test_datasets_options_errors(expr):
    _same(lambda m: (m.manual_seed(0), eval(expr, _scope(m)), m.rand(2)))


# ------------------------------------------------------------------------------------------ python -m torchish run


def test_run_script_with_torch_imports(tmp_path, capsys):
    # a torch script, unchanged, under `python -m torchish run`: its torch.utils.data imports reach torchish
    script = tmp_path / "train.py"
    script.write_text(
        "import torch\n"
        "import torch.utils.data as tud\n"
        "from torch.utils.data import DataLoader, TensorDataset, random_split\n"
        "from torch.utils.data._utils.collate import default_collate\n"
        "torch.manual_seed(0)\n"
        "ds = TensorDataset(torch.arange(6.0), torch.arange(6))\n"
        "for x, y in DataLoader(ds, batch_size=4, shuffle=True):\n"
        "    print(x, y)\n"
        "print([list(s) for s in random_split(range(5), [0.4, 0.6])], tud.get_worker_info())\n"
        "print(default_collate([{'a': 1.5}, {'a': 2.5}]), type(ds).__module__.split('.')[0])\n"
        "print(torch.randn(3))\n"
    )
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ran = subprocess.run(
        [sys.executable, "-m", "torchish", "run", str(script)], capture_output=True, text=True, env=env, cwd=root
    )
    assert ran.returncode == 0, ran.stderr
    exec(compile(script.read_text(), str(script), "exec"), {"__name__": "__main__"})  # real torch, in-process
    want = capsys.readouterr().out
    assert ran.stdout.replace("torchish", "torch") == want
    assert "torchish" in ran.stdout  # (the dataset's module: the script really ran on torchish)
