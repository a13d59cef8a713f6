"""torch.autograd.functional.hessian of a 50-dim function: torch vs torchish vs hand-written jax.hessian.

The same torch-style function runs under real torch (1 thread) and under torchish, and the same math is
written directly in JAX; one process, warm caches, best-of-N wall time per call. Also torch.func.hessian
(torchish and torch) for reference. Run: python benchmarks/bench_functional.py [--n 50] [--reps 30]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import torch

import torchish
import torchish.autograd.functional  # noqa: F401  (torchish.autograd does not import it yet)
import torchish.func


def best(fn, reps: int) -> float:
    fn()  # warm: compile / caches
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--reps", type=int, default=30)
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((args.n, args.n)).astype(np.float32) / args.n
    x_np = rng.standard_normal(args.n).astype(np.float32)

    def make(lib):
        A = lib.tensor(a_np)
        return lambda x: (x.sin() * x).sum() + (x @ A @ x)

    f_torch, f_ours = make(torch), make(torchish)
    x_torch, x_ours = torch.tensor(x_np), torchish.tensor(x_np)
    A_j = jnp.asarray(a_np)
    hess_jax = jax.jit(jax.hessian(lambda x: (jnp.sin(x) * x).sum() + x @ A_j @ x))
    x_j = jnp.asarray(x_np)

    h_t = torch.autograd.functional.hessian(f_torch, x_torch)
    h_o = torchish.autograd.functional.hessian(f_ours, x_ours)
    np.testing.assert_allclose(np.asarray(h_o._value), h_t.numpy(), rtol=1e-4, atol=1e-4)

    rows = [
        ("torch autograd.functional.hessian", lambda: torch.autograd.functional.hessian(f_torch, x_torch)),
        (
            "torch autograd.functional.hessian vectorize",
            lambda: torch.autograd.functional.hessian(f_torch, x_torch, vectorize=True),
        ),
        ("torchish autograd.functional.hessian", lambda: torchish.autograd.functional.hessian(f_ours, x_ours)),
        ("torch func.hessian", lambda: torch.func.hessian(f_torch)(x_torch)),
        ("torchish func.hessian", lambda: torchish.func.hessian(f_ours)(x_ours)),
        ("jax.jit(jax.hessian) hand-written", lambda: hess_jax(x_j).block_until_ready()),
    ]
    times = {name: best(fn, args.reps) for name, fn in rows}
    base = times["torch autograd.functional.hessian"]
    jx = times["jax.jit(jax.hessian) hand-written"]
    print(f"hessian of a {args.n}-dim function, best of {args.reps} (torch threads=1)")
    print(f"{'':45s} {'time':>10s} {'vs torch':>9s} {'vs jax':>9s}")
    for name, t in times.items():
        print(f"{name:45s} {t * 1e3:8.3f}ms {t / base:8.2f}x {t / jx:8.2f}x")


if __name__ == "__main__":
    main()
