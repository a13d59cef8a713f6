"""torch.save / torch.load in torch's own checkpoint formats: real torch and torchish read each other's files.

The default format is torch's zip archive. `<name>/data.pkl` is a protocol-2 pickle in which a tensor reduces to
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)` and a storage is the
persistent id `('storage', torch.<Type>Storage, key, location, numel)`, its bytes the record `<name>/data/<key>`.
torchish must not import torch, so the pickler writes torch's globals by name, and the unpickler maps them back to
torchish's counterparts in `find_class`. The legacy (pre-1.6, non-zip) stream format is read and written too.
"""

from __future__ import annotations

import _compat_pickle
import codecs
import collections
import importlib
import io
import math
import os
import pickle
import pickletools
import secrets
import struct
import sys
import tarfile
import warnings
import zipfile
from collections import OrderedDict
from typing import IO, Any

import jax.numpy as jnp
import numpy as np

from . import _dtype as D
from ._device import device
from ._tensor import Size, Tensor

__all__ = ["save", "load"]

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C  # the legacy format's header, as torch writes it
_PROTOCOL_VERSION = 1001
_ALIGN = 64  # torch aligns each record's data in the zip (what its mmap loading relies on)
_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
    "but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
    "weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)
_STORAGE_DTYPES = {  # torch's typed storages (UntypedStorage: a storage saved on its own, as bytes)
    f"{kind}Storage": D._by_name[name]
    for kind, name in (
        pair.split(":")
        for pair in "Float:float32 Double:float64 Half:float16 BFloat16:bfloat16 Long:int64 Int:int32 Short:int16 "
        "Char:int8 Byte:uint8 Bool:bool ComplexFloat:complex64 ComplexDouble:complex128 Untyped:uint8".split()
    )
}
_STORAGE_NAME = {d: n for n, d in _STORAGE_DTYPES.items() if n != "UntypedStorage"}
_WEIGHTS_ONLY_OPCODES = {  # the instructions torch's weights_only unpickler implements
    getattr(pickle, op)[0]
    for op in "GLOBAL NEWOBJ REDUCE BUILD APPEND APPENDS SETITEM SETITEMS MARK TUPLE TUPLE1 TUPLE2 TUPLE3 NONE "
    "NEWFALSE NEWTRUE EMPTY_TUPLE EMPTY_LIST EMPTY_DICT EMPTY_SET BININT BININT1 BININT2 BINFLOAT BINUNICODE "
    "SHORT_BINSTRING BINPERSID BINGET LONG_BINGET BINPUT LONG_BINPUT LONG1 PROTO STOP".split()
}


# ---------------------------------------------------------------------------------------------------------- save
class _Global:
    """A torch global the pickle names (GLOBAL module name) without torch being importable here."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module: str, name: str):
        # one object per name, so the pickler's memo writes each global once, as torch's pickler does
        key = (module, name)
        if key not in cls._cache:
            g = cls._cache[key] = object.__new__(cls)
            g.module, g.name = module, name
        return cls._cache[key]

    def __call__(self, *args):  # (the pickler asks a reduce function to be callable; it never calls it)
        raise TypeError(f"{self.module}.{self.name} is torch's, not torchish's")


_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_PARAM = _Global("torch._utils", "_rebuild_parameter")
_PARAM_STATE = _Global("torch._utils", "_rebuild_parameter_with_state")
_FROM_TYPE = _Global("torch._tensor", "_rebuild_from_type_v2")


class _Data(tuple):
    """(parameter,): its `.data` while pickling, as torch reduces a Parameter to `_rebuild_parameter(data, ...)`."""


class _Ref:
    """One storage being saved: what its persistent id names, and its elements in memory order."""

    __slots__ = ("key", "dtype", "array")

    def __init__(self, key: str, dtype: D.dtype, array: np.ndarray) -> None:
        self.key, self.dtype, self.array = key, dtype, array


def _save_global(pickler, obj) -> None:
    module, name = (obj.module, obj.name) if type(obj) is _Global else ("torch", obj._name)
    pickler.write(pickle.GLOBAL + f"{module}\n{name}\n".encode())
    pickler.memoize(obj)


class _Pickler(pickle._Pickler):
    """The pure-Python pickler: only it lets a subclass write a GLOBAL for an object that is not importable."""

    dispatch = {**pickle._Pickler.dispatch, _Global: _save_global, D.dtype: _save_global}

    def __init__(self, file, protocol: int, legacy: bool) -> None:
        super().__init__(file, protocol)
        self._legacy = legacy
        self._owners: dict[int, tuple] = {}  # id(storage owner) -> (its _Ref or None, memory-order array, owner)
        self.storages: list[_Ref] = []

    def persistent_id(self, obj):
        if type(obj) is not _Ref:
            return None
        pid = ("storage", _Global("torch", _STORAGE_NAME[obj.dtype]), obj.key, "cpu", obj.array.size)
        return pid + (None,) if self._legacy else pid  # (the legacy id's view metadata: none)

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            return self._reduce_tensor(obj)
        if type(obj) is _Data:
            return (_V2, self._tensor_args(obj[0], False))
        if isinstance(obj, Size):
            return (_Global("torch", "Size"), (tuple(obj),))
        if isinstance(obj, device):
            return (_Global("torch", "device"), (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, t: Tensor):
        from .nn.parameter import Parameter

        state = _tensor_state(t)
        if isinstance(t, Parameter):
            args = (_Data((t,)), t.requires_grad, OrderedDict())
            return (_PARAM_STATE, (*args, state)) if state else (_PARAM, args)
        args = self._tensor_args(t, t.requires_grad)
        if type(t) is Tensor and not state:
            return (_V2, args)
        return (_FROM_TYPE, (_V2, _Global("torch", "Tensor") if type(t) is Tensor else type(t), args, state))

    def _tensor_args(self, t: Tensor, requires_grad: bool) -> tuple:
        if t.dtype not in _STORAGE_NAME:
            raise RuntimeError(f"torchish.save: tensors of dtype {t.dtype} cannot be saved")
        ref, offset, stride = self._storage(t)
        return (ref, offset, tuple(int(n) for n in t.shape), stride, requires_grad, OrderedDict())

    def _storage(self, t: Tensor) -> tuple:
        """(storage, offset, stride): t's place in the storage it shares with other tensors, as torch saves it
        (one storage for a tensor and its views), else a storage of its own."""
        try:
            from .ops.views import _storage

            owner = _storage(t)[0]
            stride, offset = tuple(int(s) for s in t.stride()), int(t.storage_offset())
            entry = self._owners.get(id(owner))
            if entry is None:  # (the owner is kept in the entry, so that its id is not reused during the save)
                entry = self._owners[id(owner)] = (None, _memory_order(owner), owner)
            if owner.dtype is t.dtype and (owner is t or _holds(entry[1], t, stride, offset)):
                if entry[0] is None:
                    entry = self._owners[id(owner)] = (self._add(t.dtype, entry[1]), *entry[1:])
                return entry[0], offset, stride
        except Exception:  # a layout torchish does not model: the tensor's own contiguous copy is still right
            pass
        return self._add(t.dtype, np.asarray(t._value).reshape(-1)), 0, _contiguous_strides(t.shape)

    def _add(self, dtype: D.dtype, array: np.ndarray) -> _Ref:
        ref = _Ref(str(len(self.storages)), dtype, array)  # torch's keys: the order storages are first met
        self.storages.append(ref)
        return ref


def _tensor_state(t: Tensor) -> dict:
    # torchish keeps view/alias bookkeeping in the instance dict under "_" names: the user's attributes (and
    # nn.Buffer's tag) are what torch's _get_obj_state would find
    return {k: v for k, v in vars(t).items() if not k.startswith("_") or k == "_is_buffer"}


def _contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for n in reversed(tuple(shape)):
        strides.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(strides))


def _positions(shape, stride, offset: int) -> np.ndarray:
    """Each element's place in the storage, elements in row-major order."""
    pos = np.full(tuple(shape), offset, np.int64)
    for d, (n, st) in enumerate(zip(shape, stride)):
        pos += (np.arange(n, dtype=np.int64) * st).reshape((n,) + (1,) * (len(shape) - d - 1))
    return pos.reshape(-1)


def _memory_order(owner: Tensor) -> np.ndarray:
    value = np.asarray(owner._value)
    stride = tuple(owner.stride())
    if value.size <= 1 or stride == _contiguous_strides(value.shape):
        return value.reshape(-1)
    out = np.empty(value.size, value.dtype)  # (an owner laid out in another dims order: dense all the same)
    out[_positions(value.shape, stride, 0)] = value.reshape(-1)
    return out


def _holds(storage: np.ndarray, t: Tensor, stride: tuple, offset: int) -> bool:
    """Whether t's layout in the storage reads back t's own elements, bit for bit."""
    value = np.asarray(t._value).reshape(-1)
    if value.size == 0:
        return offset <= storage.size
    pos = _positions(t.shape, stride, offset)
    if pos.min() < 0 or pos.max() >= storage.size:
        return False
    return np.array_equal(storage[pos].view(np.uint8), value.view(np.uint8))


def _bytes(a: np.ndarray) -> memoryview:
    return memoryview(np.ascontiguousarray(a).reshape(-1).view(np.uint8))


class _Shifted:
    """A write stream seen from where the archive starts: zip offsets count from there, as torch's writer's do."""

    def __init__(self, f) -> None:
        self._f, self._start, self.write, self.flush = f, f.tell(), f.write, f.flush

    def tell(self) -> int:
        return self._f.tell() - self._start

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos + self._start if whence == 0 else pos, whence) - self._start


def _write_record(zf: zipfile.ZipFile, name: str, data) -> None:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    # torch pads each local header's extra field ("FB" + length + "Z"s) so that the data starts aligned
    header = 30 + len(name.encode()) + 4 + (20 if len(data) * 1.05 > zipfile.ZIP64_LIMIT else 0)
    pad = -(zf.fp.tell() + header) % _ALIGN
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, data)


def _write_zip(out, name: str, data_pkl: bytes, storages: list, byteorder: bool) -> None:
    try:
        out = _Shifted(out)
    except (AttributeError, OSError):
        pass  # (an unseekable stream: zipfile counts its own offsets)
    records = [("data.pkl", data_pkl), (".format_version", b"1"), (".storage_alignment", str(_ALIGN).encode())]
    if byteorder:
        records.append(("byteorder", sys.byteorder.encode()))
    records += [(f"data/{r.key}", _bytes(r.array)) for r in storages]
    serialization_id = "".join(f"{secrets.randbits(64):020d}" for _ in range(2))  # torch's: 40 random digits
    records += [("version", b"3\n"), (".data/serialization_id", serialization_id.encode())]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for record, data in records:
            _write_record(zf, f"{name}/{record}", data)


def _write_legacy(obj, out, protocol: int) -> None:
    sizes = {"short": 2, "int": 4, "long": struct.calcsize("=l")}
    sys_info = {"protocol_version": _PROTOCOL_VERSION, "little_endian": sys.byteorder == "little", "type_sizes": sizes}
    for header in (_MAGIC_NUMBER, _PROTOCOL_VERSION, sys_info):
        pickle.dump(header, out, protocol=protocol)
    pickler = _Pickler(out, protocol, legacy=True)
    pickler.dump(obj)
    refs = sorted(pickler.storages, key=lambda r: r.key)  # torch writes the data in sorted-key order
    pickle.dump([r.key for r in refs], out, protocol=protocol)
    for r in refs:  # each storage: its element count (int64), then its bytes
        out.write(struct.pack("<q", r.array.size))
        out.write(_bytes(r.array))


def save(
    obj: object,
    f: str | os.PathLike | IO[bytes],
    pickle_module: Any = pickle,
    pickle_protocol: int = 2,
    _use_new_zipfile_serialization: bool = True,
    _disable_byteorder_record: bool = False,
) -> None:
    """torch.save: obj to a path or a binary file-like object, in torch's zip format (or the legacy one).

    The pickle is always written by the standard library's pure-Python pickler (`pickle_module` is accepted for
    torch's signature): torch's globals have to be written by name, which only that pickler lets us do.
    """
    is_path = isinstance(f, (str, os.PathLike))
    if not is_path and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    out = open(os.fspath(f), "wb") if is_path else f  # noqa: SIM115 - closed below
    try:
        if not _use_new_zipfile_serialization:
            _write_legacy(obj, out, pickle_protocol)
        else:
            buf = io.BytesIO()
            pickler = _Pickler(buf, pickle_protocol, legacy=False)
            pickler.dump(obj)
            # the archive's top folder: the file's name without its extension, as torch names it
            name = os.path.splitext(os.path.basename(os.fspath(f)))[0] if is_path else "archive"
            _write_zip(out, name, buf.getvalue(), pickler.storages, not _disable_byteorder_record)
        out.flush()
    finally:
        if is_path:
            out.close()


# ---------------------------------------------------------------------------------------------------------- load
class _StorageType:
    """torch.FloatStorage and friends, as the unpickler finds them: only their dtype is used."""

    def __init__(self, name: str) -> None:
        self.name, self.dtype = name, _STORAGE_DTYPES[name]


class _LoadedStorage:
    """A storage read from a checkpoint. Its first tensor owns its elements; the others share them as aliases,
    as torch's tensors share one storage."""

    device = device("cpu")

    def __init__(self, array: np.ndarray, dtype: D.dtype) -> None:
        self._array, self.dtype, self._owner = array, dtype, None

    # a map_location callable gets the storage and may move it: everything lives on JAX's default device
    cpu = cuda = to = lambda self, *args, **kwargs: self

    def _tensor(self, offset: int, size: tuple, stride: tuple) -> Tensor:
        from .autograd.grad_mode import no_grad

        n, numel = math.prod(size), self._array.size
        dense = all(k == 1 or s == e for k, s, e in zip(size, stride, _contiguous_strides(size)))
        if self._owner is None and dense and offset == 0 and n == numel:
            self._owner = Tensor._make(jnp.asarray(self._array.reshape(size)))
            return self._owner
        needed = 0 if n == 0 else offset + 1 + sum((k - 1) * s for k, s in zip(size, stride))
        if offset < 0 or needed > numel or any(s < 0 for s in stride):
            item = self.dtype.itemsize
            raise RuntimeError(
                f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {offset}, and itemsize "
                f"{item} requiring a storage size of {needed * item} are out of bounds for storage of size "
                f"{numel * item}"
            )
        if self._owner is None:
            self._owner = Tensor._make(jnp.asarray(self._array))
        with no_grad():  # a view of the owner, detached: an alias sharing its storage, as detach() makes
            flat = self._owner.view(-1)
            view = flat[offset : offset + n].view(size) if dense else flat.as_strided(size, stride, offset)
        return view.detach()


def _rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    return storage._tensor(int(storage_offset), tuple(int(n) for n in size), tuple(int(s) for s in stride))


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    t = _rebuild_tensor(storage, storage_offset, size, stride)
    return t.requires_grad_(True) if requires_grad else t  # (hooks are never saved; metadata: no such bits here)


def _rebuild_parameter(data, requires_grad, backward_hooks):
    from .nn.parameter import Parameter

    return Parameter(data, requires_grad)


def _set_obj_state(obj, state):
    dict_state, slots_state = state if isinstance(state, tuple) else (state, None)
    for k, v in {**(dict_state or {}), **(slots_state or {})}.items():
        setattr(obj, k, v)
    return obj


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_obj_state(_rebuild_parameter(data, requires_grad, backward_hooks), state)


def _rebuild_from_type_v2(func, new_type, args, state):
    ret = func(*args)
    if type(ret) is not new_type:  # (torch's as_subclass)
        ret = Tensor._make.__func__(new_type, ret._value, ret.requires_grad)
    return _set_obj_state(ret, state)


def _rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    return data.to(dtype).requires_grad_(requires_grad)


def _rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad):
    return Tensor._make(jnp.asarray(data)).to(dtype).requires_grad_(requires_grad)


def _get_layout(name: str):
    if name != "torch.strided":
        raise RuntimeError(f"torchish.load: layout {name} is not supported")
    return Tensor.layout


def _unsupported(name: str):
    def rebuild(*args, **kwargs):
        raise RuntimeError(f"torchish.load: {name} (quantized, sparse, nested, meta, subclass tensors) is unsupported")

    return rebuild


_SAFE: dict = {}


def _safe_globals() -> dict:
    """torch's weights_only allowlist, each name mapped to torchish's counterpart."""
    if not _SAFE:
        from .nn.parameter import Parameter

        u = "torch._utils."
        _SAFE.update(
            {
                "collections.OrderedDict": OrderedDict,
                "collections.Counter": collections.Counter,
                "torch.nn.parameter.Parameter": Parameter,
                "torch.serialization._get_layout": _get_layout,
                "torch.Size": Size,
                "torch.Tensor": Tensor,
                "torch.device": device,
                "_codecs.encode": codecs.encode,
                "builtins.bytearray": bytearray,
                "builtins.set": set,
                "builtins.complex": complex,
                "torch._tensor._rebuild_from_type_v2": _rebuild_from_type_v2,
            }
        )
        _SAFE.update({f"torch.{d._name}": d for d in D._ALL})
        _SAFE.update({f"torch.{n}": _StorageType(n) for n in _STORAGE_DTYPES})
        _SAFE["torch.storage.UntypedStorage"] = _SAFE["torch.UntypedStorage"]
        ours = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_parameter, _rebuild_parameter_with_state)
        ours += (_rebuild_device_tensor_from_cpu_tensor, _rebuild_device_tensor_from_numpy)
        _SAFE.update({u + fn.__name__: fn for fn in ours})
        for kind in "qtensor tensor_v3 sparse_tensor meta_tensor_no_storage nested_tensor wrapper_subclass".split():
            _SAFE[f"{u}_rebuild_{kind}"] = _unsupported(f"_rebuild_{kind}")
    return _SAFE


def _unsafe_global_message(module: str, name: str) -> str:
    full = f"{module}.{name}"
    if module in ("sys", "os", "posix", "nt"):
        return f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked."
    if full.startswith("builtins"):  # torch names a builtin by its bare name
        full = full[9:] if full[8:9] == "." else full
    return (
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. "
        f"Please use `torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this global "
        "if you trust this class/function."
    )


def _weights_only_message(message: str) -> str:
    """torch.load's wrapping of a weights_only unpickling error."""
    if "was not an allowed global by default." in message:
        return (
            "Weights only load failed. This file can still be loaded, to do so you have two options, "
            "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
            f"\n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please check "
            "the recommended steps in the following error message.\n\tWeightsUnpickler error: "
            + message
            + _DOCS_MESSAGE
        )
    out = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        out += (
            "Please file an issue with the following so that we can make `weights_only=True` compatible with your "
            "use case: WeightsUnpickler error: "
        )
    return out + "\n\n" + message + _DOCS_MESSAGE


def _find_class(module: str, name: str, weights_only: bool, fallback):
    if (module, name) in _compat_pickle.NAME_MAPPING:  # Python 2's names, as protocol 2 writes some builtins
        module, name = _compat_pickle.NAME_MAPPING[(module, name)]
    module = {"torch.tensor": "torch._tensor", **_compat_pickle.IMPORT_MAPPING}.get(module, module)
    found = _safe_globals().get(f"{module}.{name}")
    if found is not None:
        return found
    is_torch = module == "torch" or module.startswith("torch.")
    if is_torch and name in _STORAGE_DTYPES:  # (torch.cuda.FloatStorage and the like: CPU here)
        return _StorageType(name)
    if weights_only:
        raise pickle.UnpicklingError(_unsafe_global_message(module, name))
    if is_torch:  # a torch class (a whole nn.Module, say): torchish's class of the same path
        try:
            return getattr(importlib.import_module("torchish" + module[5:]), name)
        except (ImportError, AttributeError):
            raise pickle.UnpicklingError(f"torchish.load: torchish has no counterpart of {module}.{name}") from None
    return fallback(module, name)


def _unpickler(base, weights_only: bool, persistent_load):
    class Unpickler(base):
        def find_class(self, module, name):
            return _find_class(module, name, weights_only, super().find_class)

        def persistent_load(self, pid):
            return persistent_load(pid)

    return Unpickler


class _Anything:
    """Every object of the legacy format's first pass, which only wants each storage's type: builds nothing."""

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    __init__ = __setstate__ = __setitem__ = append = extend = lambda self, *args, **kwargs: None
    __call__ = lambda self, *args, **kwargs: _Anything()  # noqa: E731


def _restorer(map_location):
    if callable(map_location):  # torch: the callable's storage, or the default placement when it gives None

        def restore(storage, location):
            out = map_location(storage, location)
            return out if isinstance(out, _LoadedStorage) else storage

        return restore
    return lambda storage, location: storage  # a device, string or dict: everything lands on JAX's device


def _decode(s):
    return s.decode("ascii") if isinstance(s, bytes) else s


def _load_zip(fh, unpickler_base, weights_only: bool, restore, load_args: dict):
    with zipfile.ZipFile(fh) as zf:
        names = zf.namelist()
        prefix = names[0].split("/", 1)[0] if names else ""
        if f"{prefix}/constants.pkl" in names:
            raise RuntimeError("torchish.load: TorchScript archives (torch.jit.save) are not supported")
        if f"{prefix}/data.pkl" not in names:
            raise RuntimeError("PytorchStreamReader failed locating file data.pkl: file not found")
        order = zf.read(f"{prefix}/byteorder").decode() if f"{prefix}/byteorder" in names else "little"
        if order not in ("little", "big"):
            raise ValueError("Unknown endianness type: " + order)
        storages: dict = {}

        def persistent_load(pid):
            if not isinstance(pid, tuple) or _decode(pid[0]) != "storage":
                raise pickle.UnpicklingError(f"Unknown typename for persistent_load, expected 'storage': {pid!r}")
            storage_type, key, location, numel = pid[1:5]
            if key not in storages:
                dtype = storage_type.dtype
                array = np.frombuffer(zf.read(f"{prefix}/data/{key}"), dtype._np, count=numel)
                if order != sys.byteorder:
                    array = array.byteswap()
                storages[key] = restore(_LoadedStorage(array, dtype), _decode(location))
            return storages[key]

        data = zf.read(f"{prefix}/data.pkl")
        if weights_only and data[:1] == pickle.PROTO and data[1:2] != b"\x02":
            warnings.warn(
                f"Detected pickle protocol {data[1]} in the checkpoint, which was not the default pickle protocol "
                "used by `torch.load` (2). The weights_only Unpickler might not support all instructions "
                "implemented by this protocol, please file an issue for adding support if you encounter this.",
                stacklevel=4,
            )
        if weights_only:  # (the standard unpickler does the work: torch's refuses any other instruction)
            for op, _, _ in pickletools.genops(data):
                if ord(op.code) not in _WEIGHTS_ONLY_OPCODES:
                    raise pickle.UnpicklingError(f"Unsupported operand {ord(op.code)}")
        cls = _unpickler(unpickler_base, weights_only, persistent_load)
        return cls(io.BytesIO(data), **load_args).load()


def _load_legacy(fh, unpickler_base, weights_only: bool, restore, load_args: dict):
    if tarfile.is_tarfile(fh):
        raise RuntimeError("torchish.load: the tar checkpoint format of PyTorch < 0.4 is not supported")

    def plain():
        return _unpickler(unpickler_base, weights_only, None)(fh, **load_args).load()

    if plain() != _MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    protocol = plain()
    if protocol != _PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {protocol}")
    little = plain().get("little_endian", True)
    # the storages' bytes follow the pickle that uses them, and their element sizes are known only from it: a
    # first pass that builds nothing reads the storage types, then the real pass runs over the stored bytes
    start, dtypes = fh.tell(), {}

    def record(pid):
        if _decode(pid[0]) == "storage":
            dtypes[pid[2]] = pid[1].dtype
        return _Anything()

    class Dry(_unpickler(unpickler_base, False, record)):
        def find_class(self, module, name):
            return _StorageType(name) if name in _STORAGE_DTYPES else _Anything

    Dry(fh, **load_args).load()
    storages: dict = {}
    for key in plain():
        (numel,) = struct.unpack("<q", fh.read(8))
        dtype = dtypes[key]
        array = np.frombuffer(fh.read(numel * dtype.itemsize), dtype._np)
        storages[key] = _LoadedStorage(array if little == (sys.byteorder == "little") else array.byteswap(), dtype)
    end = fh.tell()

    def persistent_load(pid):
        if _decode(pid[0]) == "module":  # (an nn.Module class with its source, for torch's source-change check)
            return pid[1]
        _, _, root, location, _, view = pid
        storage = storages[root]
        if view is not None:  # an old storage view: its own copy of the root's elements
            view_key, offset, size = view
            if view_key not in storages:
                storages[view_key] = _LoadedStorage(storage._array[offset : offset + size], storage.dtype)
            storage = storages[view_key]
        return restore(storage, _decode(location))

    fh.seek(start)
    result = _unpickler(unpickler_base, weights_only, persistent_load)(fh, **load_args).load()
    fh.seek(end)
    return result


def load(
    f: str | os.PathLike | IO[bytes],
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool | None = None,
    mmap: bool | None = None,
    **pickle_load_args: Any,
) -> Any:
    """torch.load: an object saved by torch.save (or torchish.save), its tensors on JAX's default device.

    weights_only=True (the default) allows only torch's allowlist of globals; `mmap` is accepted and checked as
    torch checks it, but the data is read into memory (JAX arrays are copies anyway)."""
    truthy = ("1", "y", "yes", "true")
    forced = [os.getenv(f"TORCH_FORCE_{no}WEIGHTS_ONLY_LOAD", "0").lower() in truthy for no in ("", "NO_")]
    if all(forced):
        raise RuntimeError(
            "Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or `TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` "
            "should be set, but both were set."
        )
    if forced[0]:
        weights_only = True
    elif forced[1] and weights_only is None:
        warnings.warn(
            "Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the"
            "`weights_only` argument was not explicitly passed to `torch.load`, forcing weights_only=False.",
            stacklevel=2,
        )
        weights_only = False
    elif weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    pickle_load_args.setdefault("encoding", "utf-8")
    base = pickle.Unpickler if weights_only else (pickle_module or pickle).Unpickler
    restore = _restorer(map_location)
    is_path = isinstance(f, (str, os.PathLike))
    fh = open(f, "rb") if is_path else f  # noqa: SIM115 - closed below
    try:
        start = fh.tell()
        is_zip = fh.read(4) == b"PK\x03\x04"  # (torch's check: the archive starts at the current position)
        fh.seek(start)
        if mmap and is_zip and not is_path:
            raise ValueError("f must be a file path in order to use the mmap argument")
        if mmap and not is_zip:
            name = f"{f}, " if isinstance(f, str) else ""
            raise RuntimeError(
                "mmap can only be used with files saved with "
                f"`torch.save({name}_use_new_zipfile_serialization=True), "
                "please torch.save your checkpoint with this option in order to use mmap."
            )
        loader = _load_zip if is_zip else _load_legacy
        if not weights_only:
            return loader(fh, base, False, restore, pickle_load_args)
        try:
            return loader(fh, base, True, restore, pickle_load_args)
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    finally:
        if is_path:
            fh.close()
