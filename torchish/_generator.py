"""torch.Generator on torch's CPU Mersenne Twister, the default generator, seeding and RNG state."""

from __future__ import annotations

import os
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from . import _distributions as K
from . import _dtype as D


def _is_tensor(x) -> bool:
    from ._tensor import Tensor

    return isinstance(x, Tensor)


class _JaxStream:
    """The opt-in fast stream: a JAX PRNG key split once per sampling call."""

    __slots__ = ("key",)

    def __init__(self, seed: int) -> None:
        self.key = jax.random.key(seed & 0xFFFFFFFFFFFFFFFF)

    def next(self):
        self.key, sub = jax.random.split(self.key)
        return sub


class Generator:
    """torch.Generator: torch's CPU Mersenne Twister (state, seeding and state tensor layout)."""

    __slots__ = ("_eng", "_device", "_jax", "__weakref__")

    def __init__(self, device: Any = "cpu") -> None:
        from ._device import device as _device_cls

        dev = _device_cls(device) if not isinstance(device, _device_cls) else device
        if dev.type == "meta":
            raise RuntimeError("META device type not an accelerator.")
        self._device = dev
        self._eng = K.Engine()
        self._jax: _JaxStream | None = None

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed: Any) -> Generator:
        s = _unpack_seed(seed)
        self._eng.manual_seed(s)
        if self._jax is not None:
            self._jax = _JaxStream(s)
        return self

    def seed(self) -> int:
        s = int.from_bytes(os.urandom(8), "little")
        self._eng.manual_seed(s)
        if self._jax is not None:
            self._jax = _JaxStream(s)
        return s

    def initial_seed(self) -> int:
        return self._eng.seed

    def get_state(self):
        from ._tensor import _wrap

        return _wrap(jnp.asarray(self._eng.get_state()))

    def set_state(self, new_state) -> Generator:
        if not _is_tensor(new_state):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not D.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        data = np.asarray(new_state._value).reshape(-1)
        if data.size != K.STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {K.STATE_BYTES} but found the input RNG state "
                f"size to be {data.size}"
            )
        try:
            self._eng.set_state(data)
        except ValueError as e:
            raise RuntimeError(str(e)) from None
        return self

    def clone_state(self) -> Generator:
        g = Generator(self._device)
        g._eng = self._eng.clone()
        return g

    def __reduce__(self):
        return (_rebuild_generator, (str(self._device), self._eng.get_state()))

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {hex(id(self))}>"


def _rebuild_generator(device: str, state: np.ndarray) -> Generator:
    g = Generator(device)
    g._eng.set_state(state)
    return g


def _unpack_seed(seed: Any) -> int:
    if _is_tensor(seed):
        if seed.dtype.is_floating_point or seed.dtype.is_complex or seed.numel() != 1:
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        seed = int(seed.item())
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        if not isinstance(seed, (bool, np.bool_)):
            raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFFFFFFFFFFFFFF


default_generator = Generator()


def manual_seed(seed: Any) -> Generator:
    """Seed the default generator (torch.manual_seed: ``int(seed)`` first, so '3' and 3.7 work)."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def _gen(generator, fname: str) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(f"{fname}(): argument 'generator' must be torch.Generator, not {type(generator).__name__}")
    return generator
