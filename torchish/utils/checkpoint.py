"""torch.utils.checkpoint: activation checkpointing.

Checkpointing trades memory for a second forward in backward. The reentrant variant is torch's custom Function,
which recomputes the forward in its backward. The non-reentrant one is torch's saved-tensor hooks: the forward
saves placeholders, and the first unpack in a backward call reruns the function (with the forward's RNG state)
until it has saved as many tensors again, handing the backward those. The function's side effects happen when
torch's do.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
import weakref
from collections.abc import Callable
from typing import Any

from .. import autograd, random
from .._tensor import Tensor

__all__ = [
    "CheckpointError",
    "checkpoint",
    "checkpoint_sequential",
    "noop_context_fn",
    "detach_variable",
    "check_backward_validity",
    "set_checkpoint_early_stop",
]


class CheckpointError(RuntimeError):
    pass


_DEBUG_TIP = """
Tip: To see a more detailed error message, either pass `debug=True` to
`torch.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint‑debug mode globally.

If this error occurs under torch.compile with automatic_dynamic_shapes enabled,
it may be because the recomputation selected a different compiled graph than the
forward pass (e.g., a dynamic graph instead of the original static graph).
To fix this, either:
  - Use torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as
    dynamic upfront, avoiding the static-to-dynamic transition.
  - Call torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache
    reordering, which can change which graph is checked first between forward
    and recompute.
See https://github.com/pytorch/pytorch/issues/166926 for more details and
workaround examples.
"""
_EARLY_STOP: list = [None]  # set_checkpoint_early_stop's setting (None: each checkpoint's early_stop)


@contextlib.contextmanager
def set_checkpoint_early_stop(enable: bool):
    prev, _EARLY_STOP[0] = _EARLY_STOP[0], enable
    try:
        yield
    finally:
        _EARLY_STOP[0] = prev


def noop_context_fn() -> tuple:
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(inp.requires_grad for inp in inputs if isinstance(inp, Tensor)):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)


_NO_USE_REENTRANT = (
    "the use_reentrant parameter should be passed explicitly. {} use_reentrant=False is recommended, but if you "
    "need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more details "
    "on the differences between the two variants."
)


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    **kwargs: Any,
):
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: "
            + _NO_USE_REENTRANT.format(
                "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception."
            ),
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    return _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, early_stop, args, kwargs)


def _metadata(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


class _Holder:
    def __init__(self):
        self.handles: dict = {}  # graph task id -> the key of its recomputed tensor (None once unpacked)


class _StopRecomputation(Exception):
    pass


class _Frame:
    """One checkpointed call: the placeholders its forward saved, their metadata, and per backward call (graph
    task) what the recomputation saved in their place."""

    def __init__(self, recompute, early_stop, check):
        self.recompute, self.early_stop, self.check = recompute, early_stop, check
        self.weak_holders: list = []
        self.metadata: list = []
        self.recomputed: dict = {}  # graph task id -> {handle: tensor}
        self.counter: dict = {}  # graph task id -> how many tensors its recomputation saved
        self.forward_completed = False
        self.ignore_saved_mismatch = False

    def pack(self, x):
        holder = _Holder()
        self.weak_holders.append(weakref.ref(holder))
        if self.check:
            self.metadata.append(_metadata(x))
        return holder

    def unpack(self, holder):
        from ..autograd.engine import current_graph_task_id

        gid = current_graph_task_id()
        if gid == -1:  # (unpacked outside a backward: grad_fn._saved_*)
            gid = uuid.uuid4().int
        if gid not in self.recomputed:
            self.recomputed[gid], self.counter[gid] = {}, 0
            try:
                with _RecomputationHooks(self, gid), autograd.enable_grad():
                    self.recompute()
            except _StopRecomputation:
                pass
            self.check_recomputed(gid)
        if holder.handles.get(gid) is None:
            raise CheckpointError(
                "torch.utils.checkpoint: Unpack is being triggered for a tensor that was already unpacked once. If "
                "you are calling ctx.saved_tensors in backward, make sure to do so only once. Otherwise please open "
                "an issue with details on your use case."
            )
        t = self.recomputed[gid].pop(holder.handles[gid])
        holder.handles[gid] = None
        return t

    def check_recomputed(self, gid) -> None:
        if self.ignore_saved_mismatch:
            return
        if len(self.weak_holders) != self.counter[gid]:
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                f"recomputation.\nNumber of tensors saved during forward: {len(self.weak_holders)}\nNumber of "
                f"tensors saved during recomputation: {self.counter[gid]}.\n{_DEBUG_TIP}"
            )
        if not self.check:
            return
        different = ""
        for idx, ref in enumerate(self.weak_holders):
            holder = ref()
            if holder is None:
                continue
            recomputed = _metadata(self.recomputed[gid][holder.handles[gid]])
            if recomputed != self.metadata[idx]:
                different += (
                    f"tensor at position {idx}:\nsaved metadata: {self.metadata[idx]}\n"
                    f"recomputed metadata: {recomputed}\n"
                )
        if different:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have different metadata than "
                f"during the forward pass.\n{different}.\n{_DEBUG_TIP}"
            )


class _RecomputationHooks(autograd.graph.saved_tensors_hooks):
    """What the recomputation saves, in order, takes the forward's placeholders' places; it stops once it has
    saved as many (early stop)."""

    def __init__(self, frame, gid):
        def pack(x):
            x = x.detach() if x.requires_grad else x
            k = frame.counter[gid]
            frame.counter[gid] += 1
            if k >= len(frame.weak_holders):
                if not frame.forward_completed:  # (a backward inside the checkpointed function, without early stop)
                    frame.ignore_saved_mismatch = True
                    return x
                raise CheckpointError(
                    "torch.utils.checkpoint: trying to save more tensors during recomputation than during the "
                    f"original forward pass.\n{_DEBUG_TIP}"
                )
            holder = frame.weak_holders[k]()
            if holder is not None:
                handle = object()
                holder.handles[gid] = handle
                frame.recomputed[gid][handle] = x
            if frame.early_stop and frame.counter[gid] == len(frame.weak_holders):
                raise _StopRecomputation
            return x

        super().__init__(pack, lambda x: x)


def _checkpoint_without_reentrant(function, preserve, context_fn, determinism_check, early_stop, args, kwargs):
    forward_context, recompute_context = context_fn()
    if preserve:
        fwd_state = random.get_rng_state()

    def recompute():
        with random.fork_rng(enabled=preserve):
            if preserve:
                random.set_rng_state(fwd_state)
            with recompute_context:
                function(*args, **kwargs)

    if not autograd.grad_mode.is_grad_enabled():
        with forward_context:
            return function(*args, **kwargs)
    stop = _EARLY_STOP[0] if _EARLY_STOP[0] is not None else early_stop
    frame = _Frame(recompute, stop, determinism_check == "default")
    with autograd.graph.saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        out = function(*args, **kwargs)
    frame.forward_completed = True
    return out


class CheckpointFunction(autograd.Function):
    """The reentrant checkpoint: forward under no_grad, backward re-runs it (with the forward's RNG state) and
    backpropagates through the recomputation."""

    @staticmethod
    def forward(ctx, run_function, preserve_rng_state, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.preserve_rng_state = preserve_rng_state
        if preserve_rng_state:
            ctx.fwd_cpu_state = random.get_rng_state()
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        with autograd.no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        if not autograd._is_checkpoint_valid():
            raise RuntimeError(
                "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
                "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call "
                ".backward() without passing the `inputs` argument."
            )
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors):
            inputs[i] = t
        with random.fork_rng(enabled=ctx.preserve_rng_state):
            if ctx.preserve_rng_state:
                random.set_rng_state(ctx.fwd_cpu_state)
            detached = detach_variable(tuple(inputs))
            with autograd.enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *(t.grad if isinstance(t, Tensor) else None for t in detached))


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs: Any):
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint.checkpoint_sequential: "
            + _NO_USE_REENTRANT.format("In version 2.9 we will raise an exception if use_reentrant is not passed."),
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))

    def run_function(start, end, functions):
        def forward(input):
            for j in range(start, end + 1):
                input = functions[j](input)
            return input

        return forward

    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(
            run_function(start, end, functions), input, use_reentrant=use_reentrant, preserve_rng_state=preserve
        )
    return run_function(end + 1, len(functions) - 1, functions)(input)
