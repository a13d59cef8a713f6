"""torch.random: seeding, the CPU RNG state, fork_rng, and torchish's opt-in JAX key stream.

By default every sampler reproduces torch's CPU Mersenne Twister stream bit for bit.  For large
GPU/TPU work where torch's exact numbers do not matter, ``use_jax_keys`` switches a generator to a
JAX PRNG key stream: samples are drawn by ``jax.random`` directly on the default JAX device.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from ._generator import (
    Generator,
    _JaxStream,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)

__all__ = [
    "Generator",
    "default_generator",
    "fork_rng",
    "get_rng_state",
    "initial_seed",
    "jax_keys_enabled",
    "manual_seed",
    "seed",
    "set_rng_state",
    "use_jax_keys",
    "use_torch_stream",
]


@contextlib.contextmanager
def fork_rng(
    devices: Iterable | None = None,
    enabled: bool = True,
    _caller: str = "fork_rng",
    _devices_kw: str = "devices",
    device_type: str = "cuda",
) -> Iterator[None]:
    """Restore the CPU RNG state (and the default generator's stream mode) on exit.

    torchish has no separate accelerator generators, so only the CPU state is forked, as torch
    does when no CUDA device exists."""
    if device_type == "meta" or not enabled:
        yield
        return
    state = get_rng_state()
    jax_stream = default_generator._jax
    jax_key = None if jax_stream is None else jax_stream.key
    try:
        yield
    finally:
        set_rng_state(state)
        if jax_stream is not None:
            jax_stream.key = jax_key
        default_generator._jax = jax_stream


class use_jax_keys:
    """Draw from a JAX PRNG key stream instead of torch's Mersenne Twister.

    ``use_jax_keys(seed)`` switches at once (the default generator unless ``generator=`` is given)
    and, used as a context manager, switches back on exit.  ``manual_seed`` re-keys the stream.
    Samples are JAX's, not torch's: use it for speed on accelerators, not for reproducing torch.
    """

    def __init__(self, seed: int | None = None, *, generator: Generator | None = None) -> None:
        self._gen = default_generator if generator is None else generator
        self._prev = self._gen._jax
        self._gen._jax = _JaxStream(self._gen.initial_seed() if seed is None else int(seed))

    def __enter__(self) -> Generator:
        return self._gen

    def __exit__(self, *exc: object) -> None:
        self._gen._jax = self._prev


def use_torch_stream(generator: Generator | None = None) -> None:
    """Switch a generator back to torch's exact CPU stream."""
    (default_generator if generator is None else generator)._jax = None


def jax_keys_enabled(generator: Generator | None = None) -> bool:
    return (default_generator if generator is None else generator)._jax is not None
