"""torch.autograd.functional: vjp, jvp, jacobian, hessian, vhp, hvp.

Two paths with one semantics. Without create_graph or strict (the common case) the user function is
traced once into a pure JAX function and the answer comes from jax.vjp / jvp / jacrev / jacfwd, compiled
and cached by `_jaxfn`. With create_graph=True or strict=True the answer must be differentiable by the
tape, or depends on what requires grad: that path is torch's own algorithm on our autograd.grad. The tape
path also takes functions that cannot be traced abstractly (`.item()`, Python `if` on tensor values).
Argument checks and their texts are torch's, in torch's order, on both paths.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .. import _jaxfn as J
from . import grad_mode as _gm
from .graph import _Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _inexact(dtype) -> bool:
    return jnp.issubdtype(dtype, jnp.inexact)


# ------------------------------------------------------------------------------------------ torch's helpers


def _as_tuple_nocheck(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _as_tuple(inp, arg_name=None, fn_name=None):
    if arg_name is None and fn_name is None:
        return _as_tuple_nocheck(inp)
    Tensor = _Tensor()
    is_inp_tuple = True
    if not isinstance(inp, tuple):
        inp = (inp,)
        is_inp_tuple = False
    for i, el in enumerate(inp):
        if not isinstance(el, Tensor):
            if is_inp_tuple:
                raise TypeError(
                    f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                    f" value at index {i} has type {type(el)}."
                )
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but the"
                f" given {arg_name} has type {type(el)}."
            )
    return is_inp_tuple, inp


def _tuple_postprocess(res, to_unpack):
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs, create_graph, need_graph):
    # a new Tensor object even for inputs the function also closes over (pytorch issue 32576)
    _not_in_transform(inputs)
    res = []
    for inp in inputs:
        if create_graph and inp.requires_grad:
            res.append(inp.view_as(inp))
        else:
            res.append(inp.detach().requires_grad_(need_graph))
    return tuple(res)


def _grad_postprocess(inputs, create_graph):
    Tensor = _Tensor()
    if isinstance(inputs[0], Tensor):
        if not create_graph:
            return tuple(inp.detach() for inp in inputs)
        return inputs
    return tuple(_grad_postprocess(inp, create_graph) for inp in inputs)


def _validate_v(v, other, is_other_tuple):
    """`other` holds Tensors or (shape, dtype) pairs from a trace."""
    from .._tensor import Size

    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        shape = Size(el_other[0]) if isinstance(el_other, tuple) else el_other.size()
        if el_v.size() != shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {shape} but got {el_v.size()}.")


def _check_requires_grad(inputs, input_type, strict):
    if not strict:
        return
    for i, inp in enumerate(inputs):
        if inp is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode."
            )
        if not inp.requires_grad:
            if input_type == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is independent of the "
                    "input. This is not allowed in strict mode. You should ensure that your function is thrice "
                    "differentiable and that the hessian depends on the inputs."
                )
            if input_type == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided function with "
                    f"respect to input {i} is independent of the input. This is not allowed in strict mode. You "
                    "should ensure that your function is twice differentiable and that the jacobian depends on the "
                    "inputs (this would be violated by a linear function for example)."
                )
            if input_type == "grad_inputs":
                raise RuntimeError(
                    f"The gradient with respect to input {i} is independent of the inputs of the user-provided "
                    "function. This is not allowed in strict mode."
                )
            raise RuntimeError(
                f"Output {i} of the user-provided function does not require gradients. The outputs must be "
                "computed in a differentiable manner from the input when running in strict mode."
            )


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    from . import grad as autograd_grad

    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    new_outputs, new_grad_outputs = (), ()
    for out, grad_out in zip(outputs, grad_outputs):
        if out is not None and out.requires_grad:
            new_outputs += (out,)
            new_grad_outputs += (grad_out,)
    if len(new_outputs) == 0:
        return (None,) * len(inputs)
    return autograd_grad(
        new_outputs,
        inputs,
        new_grad_outputs,
        allow_unused=True,
        create_graph=create_graph,
        retain_graph=retain_graph,
    )


_STRICT_MSGS = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
    "using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in "
    "strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
    "This is not allowed in strict mode as it prevents from using the double backward trick to replace forward mode "
    "AD.",
}


def _fill_in_zeros(grads, refs, strict, create_graph, stage):
    from .. import zeros_like

    res = ()
    for i, grads_i in enumerate(grads):
        if grads_i is None:
            if strict:
                raise RuntimeError(_STRICT_MSGS[stage].format(i=i))
            grads_i = zeros_like(refs[i])
        elif strict and create_graph and not grads_i.requires_grad:
            what = "jacobian" if "double" not in stage else "hessian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This is not allowed in "
                "strict mode when create_graph=True."
            )
        res += (grads_i,)
    return res


# ------------------------------------------------------------------------------------------ the traced path


class _Trace:
    """func traced on the inputs' arrays, as torch would call it: inputs are fresh leaves requiring grad,
    grad mode on. `check(is_tuple, outputs)` runs torch's output checks inside the trace."""

    def __init__(
        self,
        api: str | None,
        func: Callable,
        inputs: tuple,
        check: Callable | None = None,
        what: str = "outputs of the user-provided function",
    ) -> None:
        Tensor = _Tensor()
        d: dict = {}

        def fn(*arrays):
            with _gm.enable_grad():
                ins = tuple(Tensor._make(a, True) for a in arrays)
                is_tuple, outs = _as_tuple(func(*ins), what, api)
                if check is not None:
                    check(is_tuple, outs)
                d["is_tuple"] = is_tuple
                d["meta"] = tuple((tuple(o.shape), o._value.dtype) for o in outs)
                # an output that does not require grad is independent of the inputs to torch
                return tuple(o._value if o.requires_grad else jax.lax.stop_gradient(o._value) for o in outs)

        self.fn = fn
        self.arrays = [t._value for t in inputs]
        try:
            self.closed = J.trace(fn, self.arrays)
        except RuntimeError as e:
            if not J.is_captured_write(e):
                raise
            # it updates state it closed over (a BatchNorm's running stats, say): torch allows that here,
            # and the tape path does it for real
            self.closed = None
        self.d = d

    @property
    def ok(self) -> bool:
        return self.closed is not None

    def run(self, tag: Any, extra: list, build: Callable, sources=None, names=None) -> list:
        return J.apply(tag, self.closed, self.fn, self.arrays + list(extra), build, sources=sources, names=names)


_IN_TRANSFORM = (
    "You are attempting to call Tensor.requires_grad_() (or perhaps using torch.autograd.functional.* APIs) inside "
    "of a function being transformed by a functorch transform. This is unsupported, please attempt to use the "
    "functorch transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() outside of a function "
    "being transformed instead."
)


def _not_in_transform(inputs) -> None:
    # tracer-valued inputs mean a torch.func transform is tracing us: torch refuses this nesting
    if any(J.is_tracer(i._value) for i in inputs):
        raise RuntimeError(_IN_TRANSFORM)


def _check_grad_dtypes(inputs) -> None:
    """The errors torch's preprocessing (requires_grad_ on each input) raises."""
    _not_in_transform(inputs)
    for inp in inputs:
        inp.detach().requires_grad_(True)


def _ones_for(meta):
    return jnp.ones(meta[0], meta[1])


# ------------------------------------------------------------------------------------------ vjp / jvp


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    if not (create_graph or strict):
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
        _check_grad_dtypes(ins)
        tr = _Trace("vjp", func, ins)
        if tr.ok:
            meta, is_outputs_tuple = tr.d["meta"], tr.d["is_tuple"]
            if v is not None:
                _, vt = _as_tuple(v, "v", "vjp")
                _validate_v(vt, meta, is_outputs_tuple)
                vs = [x._value.astype(m[1]) for x, m in zip(vt, meta)]
            else:
                if len(meta) != 1 or _numel(meta[0][0]) != 1:
                    raise RuntimeError(
                        "The vector v can only be None if the user-provided function returns a single Tensor with a "
                        "single element."
                    )
                vs = [_ones_for(meta[0])]
            n = len(ins)
            diff = tuple(i for i, m in enumerate(meta) if _inexact(m[1]))

            def build(g):
                def t(*xs):
                    outs, pull = jax.vjp(lambda *p: tuple(g(*p)[i] for i in diff), *xs[:n])
                    full = g(*xs[:n])
                    return (*full, *pull(tuple(xs[n + i] for i in diff)))

                return t

            r = tr.run(("af.vjp", n, diff), vs, build)
            return (
                _tuple_postprocess(tuple(r[: len(meta)]), is_outputs_tuple),
                _tuple_postprocess(tuple(r[len(meta) :]), is_inputs_tuple),
            )
    return _vjp_tape(func, inputs, v, create_graph, strict)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _vjp_tape(func, inputs, v, create_graph, strict):
    with _gm.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            _, v = _as_tuple(v, "v", "vjp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with a single "
                "element."
            )
    enable_grad = True if create_graph else _gm.is_grad_enabled()
    with _gm.set_grad_enabled(enable_grad):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)


def _prepare_v_for_inputs(v, inputs, is_inputs_tuple, api):
    if v is not None:
        _, v = _as_tuple(v, "v", api)
        v = _grad_preprocess(v, create_graph=False, need_graph=False)
        _validate_v(v, inputs, is_inputs_tuple)
        return v
    if len(inputs) != 1 or inputs[0].nelement() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
            "single element."
        )
    return None


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    if not (create_graph or strict):
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
        _check_grad_dtypes(ins)
        vt = _prepare_v_for_inputs(v, ins, is_inputs_tuple, "jvp")
        tr = _Trace("jvp", func, ins)
        if tr.ok:
            meta, is_outputs_tuple = tr.d["meta"], tr.d["is_tuple"]
            if any(not _inexact(m[1]) for m in meta):  # torch's zeros_like(out, requires_grad=True)
                raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
            vs = (
                [x._value.astype(i._value.dtype) for x, i in zip(vt, ins)]
                if vt is not None
                else [jnp.ones_like(ins[0]._value)]
            )
            n = len(ins)

            def build(g):
                def t(*xs):
                    outs, tans = jax.jvp(g, tuple(xs[:n]), tuple(xs[n:]))
                    tans = [tn if _inexact(o.dtype) else jnp.zeros_like(o) for o, tn in zip(outs, tans)]
                    return (*outs, *tans)

                return t

            r = tr.run(("af.jvp", n), vs, build)
            k = len(meta)
            return _tuple_postprocess(tuple(r[:k]), is_outputs_tuple), _tuple_postprocess(
                tuple(r[k:]), is_outputs_tuple
            )
    return _jvp_tape(func, inputs, v, create_graph, strict)


def _jvp_tape(func, inputs, v, create_graph, strict):
    from .. import zeros_like

    with _gm.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", "jvp")
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
                "single element."
            )
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # the backward is linear in grad_outputs: their value never matters, only that they are finite
        grad_outputs = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, grad_outputs, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with _gm.set_grad_enabled(True if create_graph else _gm.is_grad_enabled()):
        grad_res = _autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_outputs_tuple)


# ------------------------------------------------------------------------------------------ jacobian / hessian

_STRATEGY_MSG = (
    'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more outputs than '
    'inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use "reverse-mode".'
)


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(_STRATEGY_MSG)
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                'torch.autograd.functional.jacobian: `create_graph=True` and `strategy="forward-mode"` are not '
                'supported together (yet). Please either set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        if strict:
            raise RuntimeError(
                'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
                'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.'
            )
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        if not vectorize:
            raise NotImplementedError(
                "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
                "`vectorize=True`."
            )
        _not_in_transform(inputs)
        for inp in inputs:
            if not (inp.is_floating_point() or inp.is_complex()):
                raise ValueError(f"Expected primal to be floating point or complex, but got: {inp.dtype}")
        return _jacobian_traced(func, inputs, is_inputs_tuple, forward=True, vectorize=True)
    if not (create_graph or strict):
        is_inputs_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
        _check_grad_dtypes(ins)
        res = _jacobian_traced(func, ins, is_inputs_tuple, forward=False, vectorize=vectorize)
        if res is not _UNTRACEABLE:
            return res
    return _jacobian_tape(func, inputs, create_graph, strict, vectorize)


_UNTRACEABLE = object()


def _jacobian_traced(func, inputs, is_inputs_tuple, *, forward, vectorize):
    # torch's forward mode checks the outputs with an unnamed _as_tuple(out, "outputs")
    tr = _Trace(None, func, inputs, what="outputs") if forward else _Trace("jacobian", func, inputs)
    if not tr.ok and not forward:
        return _UNTRACEABLE
    meta = tr.d.get("meta")
    n = len(inputs)

    def build(g):
        def t(*xs):
            avals = jax.eval_shape(g, *xs)
            diff = [i for i, a in enumerate(avals) if _inexact(a.dtype)]

            def h(*p):
                o = g(*p)
                return tuple(o[i] for i in diff)

            jac = (jax.jacfwd if forward else jax.jacrev)(h, argnums=tuple(range(n)))(*xs) if diff else ()
            by_out = dict(zip(diff, jac))
            flat = []
            for i, a in enumerate(avals):
                for j in range(n):
                    if i in by_out:
                        flat.append(by_out[i][j])
                    else:  # integer outputs: zeros, of the output's dtype in forward mode, the input's in reverse
                        flat.append(jnp.zeros(a.shape + xs[j].shape, a.dtype if forward else xs[j].dtype))
            return tuple(flat)

        return t

    if tr.ok and not vectorize and any(_numel(m[0]) == 0 for m in meta):
        raise RuntimeError("stack expects a non-empty TensorList")
    # forward mode's results are not detached in torch: they stay differentiable w.r.t. inputs requiring grad
    sources = list(inputs) if forward else None
    flat = tr.run(("af.jac", forward, n), [], build, sources, "ReshapeAliasBackward0")
    meta, is_outputs_tuple = tr.d["meta"], tr.d["is_tuple"]
    # torch's forward mode builds lists where its reverse mode builds tuples
    seq = list if forward else tuple
    jac = seq(seq(flat[i * n : (i + 1) * n]) for i in range(len(meta)))
    return _tuple_postprocess(jac, (is_outputs_tuple, is_inputs_tuple))


def _jacobian_tape(func, inputs, create_graph, strict, vectorize):
    from .. import stack, zeros_like

    Tensor = _Tensor()
    with _gm.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        # vectorize only changes how torch batches the rows; the values are the same row by row
        jacobian: tuple = ()
        for i, out in enumerate(outputs):
            jac_i: tuple = tuple([] for _ in range(len(inputs)))
            m = out.nelement()
            eye = jnp.eye(m, dtype=out._value.dtype) if m and out.requires_grad else None
            for j in range(m):
                # a one-hot grad_output instead of torch's out.reshape(-1)[j]: the same row, and one graph
                # structure for every j, so the lowered backward compiles once
                onehot = Tensor._make(eye[j].reshape(out._value.shape)) if eye is not None else None
                vj = _autograd_grad((out,), inputs, (onehot,), retain_graph=True, create_graph=create_graph)
                for el_idx, (jac_i_el, vj_el, inp_el) in enumerate(zip(jac_i, vj, inputs)):
                    if vj_el is not None:
                        if strict and create_graph and not vj_el.requires_grad:
                            raise RuntimeError(
                                "The jacobian of the user-provided function is independent of input "
                                f"{i}. This is not allowed in strict mode when create_graph=True."
                            )
                        jac_i_el.append(vj_el)
                    else:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of input {el_idx}. This "
                                "is not allowed in strict mode."
                            )
                        jac_i_el.append(zeros_like(inp_el))
            if m == 0:
                raise RuntimeError("stack expects a non-empty TensorList")
            jacobian += (
                tuple(
                    stack(jac_i_el, dim=0).view(tuple(out.size()) + tuple(inputs[el_idx].size()))
                    for el_idx, jac_i_el in enumerate(jac_i)
                ),
            )
        if vectorize and create_graph:
            jacobian = _as_vectorized(jacobian, outputs, inputs)
        jacobian = _grad_postprocess(jacobian, create_graph)
        return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def _as_vectorized(jacobian, outputs, inputs):
    """torch's vectorized jacobian computes one tensor per input for all outputs and splits it, so every
    block of an input requires grad as soon as one does: rebuild that structure from the row-wise blocks."""
    from .. import cat

    numels = [o.nelement() for o in outputs]
    per_input = []
    for j, inp in enumerate(inputs):
        shape = tuple(inp.size())
        big = cat([jacobian[i][j].reshape((numels[i],) + shape) for i in range(len(outputs))], 0)
        per_input.append([part.view(tuple(out.size()) + shape) for part, out in zip(big.split(numels, dim=0), outputs)])
    return tuple(tuple(per_input[j][i] for j in range(len(inputs))) for i in range(len(outputs)))


def _single_output_check(api: str):
    def check(is_tuple, outs):
        Tensor = _Tensor()
        if is_tuple or not isinstance(outs[0], Tensor):
            raise RuntimeError(f"The function given to {api} should return a single Tensor")
        if outs[0].nelement() != 1:
            raise RuntimeError(f"The Tensor returned by the function given to {api} should contain a single element")

    return check


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    forward = outer_jacobian_strategy == "forward-mode"
    if not (create_graph or strict) and (not forward or vectorize):
        _not_in_transform(inputs)
        for inp in inputs:
            if not forward:
                inp.detach().requires_grad_(True)
            elif not (inp.is_floating_point() or inp.is_complex()):
                raise ValueError(f"Expected primal to be floating point or complex, but got: {inp.dtype}")
        res = _hessian_traced(func, inputs, forward)
        if res is not _UNTRACEABLE:
            return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))

    def ensure_single_output_function(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict=strict)
        _single_output_check("hessian")(is_out_tuple, t_out)
        return out.squeeze()

    def jac_func(*inp):
        if forward:
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    if forward:  # torch's errors for forward mode; the traced path handles the rest
        res = jacobian(
            jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize, strategy="forward-mode"
        )
    else:  # on the tape throughout: the function could not be traced, or the tape is asked for
        res = _jacobian_tape(jac_func, inputs, create_graph, strict, vectorize)
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _hessian_traced(func, inputs, forward):
    tr = _Trace("hessian", func, inputs, _single_output_check("hessian"))
    if not tr.ok:
        return _UNTRACEABLE
    n = len(inputs)
    scalar_ok = _inexact(tr.d["meta"][0][1])

    def build(g):
        def t(*xs):
            if not scalar_ok:  # an integer output does not require grad: every block is zero
                return tuple(
                    jnp.zeros(xs[i].shape + xs[j].shape, (xs[i] if forward else xs[j]).dtype)
                    for i in range(n)
                    for j in range(n)
                )

            def gradient(*p):
                return jax.grad(lambda *q: g(*q)[0].reshape(()), argnums=tuple(range(n)))(*p)

            h = (jax.jacfwd if forward else jax.jacrev)(gradient, argnums=tuple(range(n)))(*xs)
            return tuple(h[i][j] for i in range(n) for j in range(n))

        return t

    # torch's forward-over-reverse hessian makes its own inputs require grad and never detaches the result:
    # it requires grad wherever it depends on the inputs
    Tensor = _Tensor()
    sources = [i if i.requires_grad else Tensor._make(i._value, True) for i in inputs] if forward else None
    flat = tr.run(("af.hess", forward, n), [], build, sources, "ReshapeAliasBackward0")
    seq = list if forward else tuple
    return seq(seq(flat[i * n : (i + 1) * n]) for i in range(n))


# ------------------------------------------------------------------------------------------ vhp / hvp


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False) -> tuple:
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)


def _hessian_product(api, func, inputs, v, create_graph, strict):
    if not (create_graph or strict):
        is_inputs_tuple, inputs_t = _as_tuple(inputs, "inputs", api)
        _check_grad_dtypes(inputs_t)
        vt = _prepare_v_for_inputs(v, inputs_t, is_inputs_tuple, api)
        tr = _Trace(api, func, inputs_t, _single_output_check(api))
        if tr.ok:
            n = len(inputs_t)
            scalar_ok = _inexact(tr.d["meta"][0][1])
            vs = (
                [x._value.astype(i._value.dtype) for x, i in zip(vt, inputs_t)]
                if vt is not None
                else [jnp.ones_like(inputs_t[0]._value)]
            )

            def build(g):
                def t(*xs):
                    out = g(*xs[:n])[0]
                    if not scalar_ok:
                        return (out, *(jnp.zeros_like(x) for x in xs[:n]))

                    def gradient(*p):
                        return jax.grad(lambda *q: g(*q)[0].reshape(()), argnums=tuple(range(n)))(*p)

                    if api == "vhp":
                        _, pull = jax.vjp(gradient, *xs[:n])
                        res = pull(tuple(xs[n:]))
                    else:
                        _, res = jax.jvp(gradient, tuple(xs[:n]), tuple(xs[n:]))
                    return (out, *res)

                return t

            r = tr.run(("af." + api, n, scalar_ok), vs, build)
            return r[0], _tuple_postprocess(tuple(r[1:]), is_inputs_tuple)
    return _hessian_product_tape(api, func, inputs, v, create_graph, strict)


def _hessian_product_tape(api, func, inputs, v, create_graph, strict):
    from .. import zeros_like

    with _gm.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", api)
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            _, v = _as_tuple(v, "v", api)
            v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
            _validate_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
                "single element."
            )
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", api)
        _check_requires_grad(outputs, "outputs", strict=strict)
        _single_output_check(api)(is_outputs_tuple, outputs)
        jac = _autograd_grad(outputs, inputs, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        if api == "hvp":
            grad_jac = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
            double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
            _check_requires_grad(jac, "hessian", strict=strict)
    with _gm.set_grad_enabled(True if create_graph else _gm.is_grad_enabled()):
        if api == "vhp":
            grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
            result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
        else:
            grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
            result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return _tuple_postprocess(outputs, is_outputs_tuple), _tuple_postprocess(result, is_inputs_tuple)
