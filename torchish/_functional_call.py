"""torch.func.functional_call: run a module with some parameters and buffers swapped for given tensors.

The swap writes into the modules' `_parameters` / `_buffers` dicts (or plain attributes), exactly where
torch's stateless reparametrization writes, and is undone in a `finally`, even when the call raises.
"""

from __future__ import annotations

from typing import Any


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: Any,
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """module(*args, **kwargs) with its parameters and buffers replaced by the given tensors for the call."""
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts: dict = {}
        for dct in parameter_and_buffer_dicts:
            for k in dct:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        tensors = {k: v for dct in parameter_and_buffer_dicts for k, v in dct.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
            f"{type(parameter_and_buffer_dicts)}"
        )
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    untied = _untie(module, tensors) if tie_weights else tensors
    if strict:
        valid = {n for n, _ in _named_tensors(module)}
        missing, unexpected = sorted(valid - set(untied)), sorted(set(untied) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError(
                "Error(s) in reparametrizing for {}:\n\t{}".format(_module_name(module), "\n\t".join(msgs))
            )
    orig: dict = {}
    try:
        for name, t in untied.items():
            orig[name] = _swap(module, name, t)
        return module(*args, **kwargs)
    finally:
        for name, t in orig.items():
            _swap(module, name, t)


_MISSING = object()


def _module_name(m) -> str:
    return m._get_name() if hasattr(m, "_get_name") else type(m).__name__


def _named(module, what: str):
    fn = getattr(module, what)
    try:
        return list(fn(remove_duplicate=False))
    except TypeError:  # a Module without torch's remove_duplicate switch
        return list(fn())


def _named_tensors(module):
    return _named(module, "named_parameters") + _named(module, "named_buffers")


def _untie(module, tensors: dict) -> dict:
    """Give every name of a tied tensor the value given for any one of its names (torch's rule)."""
    by_tensor: dict = {}
    for name, t in _named_tensors(module):
        by_tensor.setdefault(id(t), set()).add(name)
    tied = {n: names for names in by_tensor.values() if len(names) > 1 for n in names}
    given = {n for n in tensors if n in tied}
    for n in given:
        names = tied[n]
        if len(names & given) > 1 and len({id(tensors[k]) for k in names if k in tensors}) != 1:
            raise ValueError(
                f"functional_call got multiple values for keys {sorted(names)}, which are tied. Consider using "
                "tie_weights=False"
            )
    out = dict(tensors)
    for n in given:
        for other in tied[n]:
            out[other] = tensors[n]
    return out


def _submodule(module, path: str):
    m = module
    for attr in path.split(".") if path else ():
        try:
            nxt = getattr(m, attr)
        except AttributeError as ex:
            raise AttributeError(f"{_module_name(m)} has no attribute `{attr}`") from ex
        m = nxt
    return m


def _swap(module, name: str, tensor: Any) -> Any:
    """Put `tensor` at module.<name> (a parameter, buffer or plain attribute) and return what was there."""
    prefix, _, attr = name.rpartition(".")
    m = _submodule(module, prefix)
    params = getattr(m, "_parameters", None)
    buffers = getattr(m, "_buffers", None)
    if params is not None and attr in params:
        orig = params[attr]
        if tensor is _MISSING:
            del params[attr]
        else:
            params[attr] = tensor
        return orig
    if buffers is not None and attr in buffers:
        orig = buffers[attr]
        if tensor is _MISSING:
            del buffers[attr]
        else:
            buffers[attr] = tensor
        return orig
    orig = getattr(m, attr) if hasattr(m, attr) else _MISSING
    if tensor is not _MISSING:
        setattr(m, attr, tensor)
    elif hasattr(m, attr):
        delattr(m, attr)
    return orig
