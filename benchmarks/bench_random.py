"""1M-element random draws: torch (1 thread) vs torchish (torch's exact stream) vs torchish's JAX keys.

    python benchmarks/bench_random.py [n]

Times are the best of several runs, in milliseconds, each including what a user waits for: the
torchish numbers include wrapping the result as a Tensor (a jax.Array, ready to use).
"""

from __future__ import annotations

import sys
import time

import torch

import torchish
from torchish import _random as R
from torchish import random as trandom


def best_ms(fn, repeat: int = 15) -> float:
    fn()
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        value = getattr(out, "_value", None)
        if value is not None:
            value.block_until_ready()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1 << 20
    torch.set_num_threads(1)
    for name in R.__all__:  # before the lead's re-export lands
        if not hasattr(torchish, name):
            setattr(torchish, name, getattr(R, name))
    lib = torchish
    cases = [
        ("randn", lambda L: L.randn(n)),
        ("randn float64", lambda L: L.randn(n, dtype=L.float64)),
        ("rand", lambda L: L.rand(n)),
        ("randint(0, 10)", lambda L: L.randint(0, 10, (n,))),
        ("normal_(2, 3)", lambda L: L.empty(n).normal_(2.0, 3.0)),
        ("uniform_(-1, 1)", lambda L: L.empty(n).uniform_(-1.0, 1.0)),
        ("randperm", lambda L: L.randperm(n)),
    ]
    if not hasattr(torchish.Tensor, "normal_"):
        for name, fn in R.TENSOR_METHODS.items():
            setattr(torchish.Tensor, name, fn)
    print(f"n = {n}; torch threads = {torch.get_num_threads()}; times in ms (best of 15)")
    print(f"{'':18s}{'torch':>9s}{'exact':>9s}{'ratio':>8s}{'jax keys':>10s}{'ratio':>8s}")
    for name, fn in cases:
        t_torch = best_ms(lambda: fn(torch))
        lib.manual_seed(0)
        t_exact = best_ms(lambda: fn(lib))
        with trandom.use_jax_keys(0):
            t_jax = best_ms(lambda: fn(lib))
        ratios = f"{t_exact / t_torch:8.2f}{t_jax:10.2f}{t_jax / t_torch:8.2f}"
        print(f"{name:18s}{t_torch:9.2f}{t_exact:9.2f}{ratios}")


if __name__ == "__main__":
    main()
