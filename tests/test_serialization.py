"""torchish.save / torchish.load against torch.save / torch.load: files go both ways between real torch and torchish
(zip and legacy formats, paths and file objects), storages shared by views stay shared, state_dicts load into the
other library's modules, and weights_only refuses what torch refuses, with torch's error."""

from __future__ import annotations

import collections
import inspect
import io
import pickle
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import torchish

FEW = settings(max_examples=max(5, settings().max_examples // 5), deadline=None)

# dtype name -> the numpy dtype its values are drawn in (bfloat16 is drawn as float32 and converted)
DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "float16": np.float16,
    "bfloat16": np.float32,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "bool": np.bool_,
    "complex64": np.complex64,
}


class Foo:
    """An arbitrary class: weights_only refuses it."""


def _make(m, array: np.ndarray, dtype: str, requires_grad: bool = False):
    t = m.from_numpy(array.copy()).to(getattr(m, dtype))
    return t.requires_grad_(requires_grad) if requires_grad else t


def _values(t) -> np.ndarray:
    return (t.detach().float() if "bfloat16" in str(t.dtype) else t.detach()).numpy()


def _assert_same(a, b) -> None:
    """a (torch's or torchish's) and b (the other's) hold the same values, dtypes, shapes, types, containers."""
    if isinstance(a, (torch.Tensor, torchish.Tensor)):
        assert isinstance(b, (torch.Tensor, torchish.Tensor))
        assert (type(a).__name__, str(a.dtype), tuple(a.shape), a.requires_grad) == (
            type(b).__name__,
            str(b.dtype),
            tuple(b.shape),
            b.requires_grad,
        )
        np.testing.assert_array_equal(_values(a), _values(b))
    elif isinstance(a, dict):
        assert type(a) is type(b) and list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert type(a) is type(b) and a == b


@st.composite
def tensors_case(draw):
    dtype = draw(st.sampled_from(sorted(DTYPES)))
    shape = draw(st.lists(st.integers(0, 3), max_size=3).map(tuple))
    array = draw(hnp.arrays(DTYPES[dtype], shape))
    floating = dtype.startswith(("float", "bfloat", "complex"))
    return dtype, array, floating and draw(st.booleans())


def _nested(m, dtype, array, requires_grad):
    t = _make(m, array, dtype, requires_grad)
    return {"t": t, "l": [t, 1, "s", None], "tup": (_make(m, array, dtype), 2.5), "od": collections.OrderedDict(k=t)}


def _dump(m, obj, **kwargs) -> io.BytesIO:
    buf = io.BytesIO()
    m.save(obj, buf, **kwargs)
    buf.seek(0)
    return buf


@FEW
@given(tensors_case())
def test_torch_saves_torchish_loads(case):
    obj = _nested(torch, *case)
    _assert_same(obj, torchish.load(_dump(torch, obj)))


@FEW
@given(tensors_case())
def test_torchish_saves_torch_loads(case):
    _assert_same(_nested(torch, *case), torch.load(_dump(torchish, _nested(torchish, *case))))


@FEW
@given(tensors_case())
def test_torchish_round_trip(case):
    obj = _nested(torchish, *case)
    loaded = torchish.load(_dump(torchish, obj))
    _assert_same(_nested(torch, *case), loaded)
    assert loaded["l"][0] is loaded["t"]  # (one object in, one object out)


def _views(m):
    x = m.arange(12.0).reshape(3, 4)
    return {"x": x, "tail": x[1:], "t": x.t(), "col": x[:, 1], "step": x.reshape(-1)[2::3], "e": x[0].expand(2, 4)}


def _layout(t) -> tuple:
    return tuple(t.shape), tuple(t.stride()), t.storage_offset()


def test_views_share_one_storage_torchish_to_torch():
    expected, loaded = _views(torch), torch.load(_dump(torchish, _views(torchish)))
    for k in expected:
        assert _layout(loaded[k]) == _layout(expected[k]), k
        np.testing.assert_array_equal(loaded[k].numpy(), expected[k].numpy())
    assert len({t.untyped_storage().data_ptr() for t in loaded.values()}) == 1
    with zipfile.ZipFile(_dump(torchish, _views(torchish))) as zf:
        assert [n for n in zf.namelist() if "/data/" in n] == ["archive/data/0"]


def test_views_share_one_storage_torch_to_torchish():
    expected, loaded = _views(torchish), torchish.load(_dump(torch, _views(torch)))
    for k in expected:
        assert _layout(loaded[k]) == _layout(expected[k]), k
    # a write through one shows in the others, as in torch
    reference = torch.load(_dump(torch, _views(torch)))
    for d in (reference, loaded):
        d["x"][1, 1] = 100.0
        d["tail"].mul_(2)
    for k in reference:
        np.testing.assert_array_equal(loaded[k].numpy(), reference[k].numpy())


def test_parameters_and_grad():
    for src, dst in ((torch, torchish), (torchish, torch)):
        obj = {"p": src.nn.Parameter(src.ones(2, 3)), "q": src.nn.Parameter(src.zeros(2), requires_grad=False)}
        obj["g"] = src.ones(3, requires_grad=True) * 2  # (a non-leaf: loaded as a leaf that requires grad)
        loaded = dst.load(_dump(src, obj))
        assert isinstance(loaded["p"], dst.nn.Parameter) and isinstance(loaded["q"], dst.nn.Parameter)
        assert (loaded["p"].requires_grad, loaded["q"].requires_grad, loaded["g"].requires_grad) == (True, False, True)
        assert loaded["g"].is_leaf
        _assert_same(obj, loaded)


def _torch_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.ReLU(), torch.nn.Linear(3, 2))


def _torchish_model():
    m = torchish.nn
    return m.Sequential(m.Linear(4, 3), m.BatchNorm1d(3), m.ReLU(), m.Linear(3, 2))


def _train_step(model, m, x):
    model.train()
    model(m.from_numpy(x))  # updates running_mean / running_var / num_batches_tracked
    model.eval()


@pytest.mark.parametrize("use_path", [False, True])
def test_state_dict_torch_to_torchish(tmp_path, use_path):
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    src = _torch_model()
    _train_step(src, torch, x)
    f = tmp_path / "model.pt" if use_path else io.BytesIO()
    torch.save(src.state_dict(), f)
    if not use_path:
        f.seek(0)
    dst = _torchish_model()
    sd = torchish.load(f)
    assert list(sd) == list(src.state_dict()) and sd["1.num_batches_tracked"].dtype is torchish.int64
    _assert_same(src.state_dict(), sd)  # (bit for bit; the forward passes below agree to rounding)
    dst.load_state_dict(sd)
    dst.eval()
    out = dst(torchish.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, src(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_path", [False, True])
def test_state_dict_torchish_to_torch(tmp_path, use_path):
    x = np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32)
    src = _torchish_model()
    _train_step(src, torchish, x)
    f = str(tmp_path / "model.pt") if use_path else io.BytesIO()
    torchish.save(src.state_dict(), f)
    if not use_path:
        f.seek(0)
    dst = _torch_model()
    sd = torch.load(f)  # (torch's default: weights_only=True)
    _assert_same(sd, src.state_dict())
    dst.load_state_dict(sd)
    dst.eval()
    out = dst(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(out, src(torchish.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # a single Linear, through torch's own module state too
    lin = torchish.nn.Linear(3, 2)
    buf = _dump(torchish, lin.state_dict())
    tlin = torch.nn.Linear(3, 2)
    tlin.load_state_dict(torch.load(buf))
    np.testing.assert_array_equal(tlin.weight.detach().numpy(), lin.weight.detach().numpy())


def test_whole_torch_module_with_weights_only_false():
    src = torch.nn.Linear(3, 2)
    loaded = torchish.load(_dump(torch, src), weights_only=False)
    assert isinstance(loaded, torchish.nn.Linear)
    x = np.ones((1, 3), np.float32)
    np.testing.assert_allclose(loaded(torchish.from_numpy(x)).detach().numpy(), src(torch.from_numpy(x)).detach())


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("obj", [{"f": Foo()}, [print], {"s": __import__("os").system}], ids=["class", "builtin", "os"])
def test_weights_only_refuses_like_torch(obj):
    buf = _dump(torch, obj)
    theirs = _error(lambda: torch.load(io.BytesIO(buf.getvalue())))
    ours = _error(lambda: torchish.load(io.BytesIO(buf.getvalue())))
    assert theirs[0] is ours[0] is pickle.UnpicklingError
    assert ours[1] == theirs[1]
    # without weights_only the object loads
    loaded = torchish.load(io.BytesIO(buf.getvalue()), weights_only=False)
    assert type(loaded) is type(obj)


def test_weights_only_refuses_other_pickle_protocols_like_torch():
    buf = _dump(torch, {"a": torch.ones(1)}, pickle_protocol=4)
    with pytest.warns(UserWarning) as theirs:
        expected = _error(lambda: torch.load(io.BytesIO(buf.getvalue())))
    with pytest.warns(UserWarning) as ours:
        assert _error(lambda: torchish.load(io.BytesIO(buf.getvalue()))) == expected
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    _assert_same({"a": torch.ones(1)}, torchish.load(io.BytesIO(buf.getvalue()), weights_only=False))


def test_load_argument_errors_like_torch(tmp_path):
    buf = _dump(torch, torch.ones(2))
    for kwargs in ({"mmap": True}, {"pickle_module": pickle, "weights_only": True}):
        theirs = _error(lambda kw=kwargs: torch.load(io.BytesIO(buf.getvalue()), **kw))
        assert _error(lambda kw=kwargs: torchish.load(io.BytesIO(buf.getvalue()), **kw)) == theirs
    assert _error(lambda: torchish.save(1, 42)) == _error(lambda: torch.save(1, 42))
    # mmap=True with a path is accepted
    torchish.save(torchish.ones(2), tmp_path / "m.pt")
    np.testing.assert_array_equal(torchish.load(tmp_path / "m.pt", mmap=True).numpy(), np.ones(2, np.float32))


def test_signatures_match_torch():
    for ours, theirs in ((torchish.save, torch.save), (torchish.load, torch.load)):
        a, b = inspect.signature(ours).parameters, inspect.signature(theirs).parameters
        assert [(p.name, p.kind, p.default) for p in a.values()] == [(p.name, p.kind, p.default) for p in b.values()]


def test_archive_layout_matches_torch(tmp_path):
    obj = {"a": torch.ones(2), "b": torch.zeros(3, dtype=torch.int64)}
    torch.save(obj, tmp_path / "theirs.v1.pt")
    torchish.save({"a": torchish.ones(2), "b": torchish.zeros(3, dtype=torchish.int64)}, tmp_path / "ours.v1.pt")
    with zipfile.ZipFile(tmp_path / "theirs.v1.pt") as a, zipfile.ZipFile(tmp_path / "ours.v1.pt") as b:
        names = [n.replace("theirs", "ours") for n in a.namelist()]
        assert names == b.namelist()
        for n in names:
            if "serialization_id" not in n:
                assert a.read(n.replace("ours", "theirs")) == b.read(n), n
        assert b.getinfo("ours.v1/data.pkl").compress_type == zipfile.ZIP_STORED
    raw = (tmp_path / "ours.v1.pt").read_bytes()
    with zipfile.ZipFile(tmp_path / "ours.v1.pt") as b:
        for info in b.infolist():  # each record's data starts 64-byte aligned, as torch's writer aligns it
            name_len, extra_len = np.frombuffer(raw[info.header_offset + 26 : info.header_offset + 30], "<u2")
            assert (info.header_offset + 30 + int(name_len) + int(extra_len)) % 64 == 0
    assert torch.load(tmp_path / "ours.v1.pt", mmap=True)["b"].tolist() == [0, 0, 0]


def test_legacy_format_both_ways():
    obj = {"x": torch.arange(6.0).reshape(2, 3), "i": torch.tensor([1, 2], dtype=torch.int16)}
    obj["v"] = obj["x"][1:]
    loaded = torchish.load(_dump(torch, obj, _use_new_zipfile_serialization=False))
    _assert_same(obj, loaded)
    assert _layout(loaded["v"]) == _layout(obj["v"])
    mine = {"x": torchish.arange(6.0).reshape(2, 3), "i": torchish.tensor([1, 2], dtype=torchish.int16)}
    mine["v"] = mine["x"][1:]
    back = torch.load(_dump(torchish, mine, _use_new_zipfile_serialization=False))
    _assert_same(obj, back)
    assert back["v"].untyped_storage().data_ptr() == back["x"].untyped_storage().data_ptr()


@pytest.mark.parametrize(
    "map_location",
    ["cpu", torchish.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage, lambda storage, loc: None],
    ids=["str", "device", "dict", "callable", "callable-none"],
)
def test_map_location(map_location):
    obj = {"w": torch.arange(4.0)}
    _assert_same(obj, torchish.load(_dump(torch, obj), map_location=map_location))


def test_shared_objects_and_scalars():
    t = torchish.ones(2)
    loaded = torch.load(_dump(torchish, {"a": t, "b": t, "dt": torchish.bfloat16, "size": torchish.Size([2, 3])}))
    assert loaded["a"] is loaded["b"] and loaded["dt"] is torch.bfloat16 and loaded["size"] == torch.Size([2, 3])
    back = torchish.load(_dump(torch, {"dt": torch.float16, "size": torch.Size([1]), "dev": torch.device("cpu")}))
    assert back["dt"] is torchish.float16 and type(back["size"]) is torchish.Size
    assert back["dev"] == torchish.device("cpu")
