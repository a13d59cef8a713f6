"""Autograd extras: the core MLP step with a register_hook on the hidden layer, and with a gradient penalty
(autograd.grad with create_graph=True, then backward through that gradient), against torch (1 thread).

A hook splits the lowered backward into two segments (Python runs the hook between them); it must never
cause a recompile per step, and neither may a create_graph backward. Run: python benchmarks/bench_autograd.py
"""

from __future__ import annotations

import numpy as np
import torch
from bench_core import compare

import torchish

torch.set_num_threads(1)


CASES = {
    "plain": "MLP step",
    "hooked": "MLP step + hidden register_hook",
    "penalty": "MLP step + gradient penalty",
}


def make(m, kind):
    rng = np.random.default_rng(0)
    x = m.tensor(rng.standard_normal((128, 784), dtype=np.float32))
    w1 = m.tensor(rng.standard_normal((784, 256), dtype=np.float32) * 0.05, requires_grad=True)
    w2 = m.tensor(rng.standard_normal((256, 10), dtype=np.float32) * 0.05, requires_grad=True)

    def step():
        w1.grad = None
        w2.grad = None
        h = m.tanh(x @ w1)
        if kind == "hooked":
            h.register_hook(lambda g: g * 0.5)
        loss = (h @ w2).sum()
        if kind == "penalty":  # (create_graph: the gradient is itself differentiated)
            (g,) = m.autograd.grad(loss, w2, create_graph=True)
            loss = loss + (g * g).sum()
        loss.backward()
        return w1.grad

    return step


def main():
    print(f"{'case':34} {'torch':>10} {'torchish':>10} {'ish/torch':>10} {'compiles/step':>14}")
    for kind, name in CASES.items():
        ts, ti = make(torch, kind), make(torchish, kind)
        ti()
        before, steps = torchish.autograd.stats()["compiles"], [0]

        def counted():
            steps[0] += 1
            return ti()._value.block_until_ready()

        t, i = compare(ts, counted)
        per_step = (torchish.autograd.stats()["compiles"] - before) / steps[0]
        print(f"{name:34} {t * 1e6:9.1f}us {i * 1e6:9.1f}us {i / t:9.2f}x {per_step:14.2f}")


if __name__ == "__main__":
    main()
