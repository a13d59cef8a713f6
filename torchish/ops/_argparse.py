"""torch's Python arg parser where its words reach the user: integer-list arguments (sizes, dims, repeats), given
as a sequence or as varargs, and the TypeErrors it raises for them.

torch checks only the first element of a list when it matches an argument to a signature ("must be tuple of ints,
but found element of type float at pos 0"); a later bad element fails when the list is unpacked ("failed to unpack
the object at pos 2"). A lone integer-list parameter also takes varargs when the first argument is an integer:
view(2, 3) is view((2, 3)).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

MISSING: Any = object()  # an argument not given

_C_TYPE_NAMES = {"Tensor": "Tensor", "Parameter": "Parameter", "Size": "torch.Size", "dtype": "torch.dtype"}
_C_TYPE_NAMES.update(
    {"device": "torch.device", "Generator": "torch._C.Generator", "memory_format": "torch.memory_format"}
)


def type_name(x: object) -> str:
    """The type's tp_name, as torch prints it: `float`, `numpy.float32`, `Tensor`, `torch.dtype`."""
    t = type(x)
    if t.__module__ == "builtins":
        return t.__name__
    if t.__module__.startswith("torchish"):
        return _C_TYPE_NAMES.get(t.__name__, t.__name__)
    if t.__module__.split(".")[0] == "numpy":  # (a C type: its dotted name)
        return f"numpy.{t.__name__}"
    return t.__name__


def _is_index(x: object) -> bool:
    """torch's is_int_or_symint: an int but no bool, a numpy integer, a one-element integer tensor."""
    if type(x) is int:
        return True
    if isinstance(x, bool):
        return False
    if hasattr(x, "_value") and hasattr(x, "is_floating_point"):  # (a Tensor)
        return x._value.size == 1 and not (x.is_floating_point() or x.is_complex())
    return isinstance(x, (int, np.integer))


def _unpack(where: str, seq) -> tuple[int, ...]:
    out = []
    for i, v in enumerate(seq):
        try:
            out.append(operator.index(v))
        except TypeError:
            raise TypeError(
                f'{where} failed to unpack the object at pos {i + 1} with error "type must be tuple of ints,but got '
                f'{type_name(v)}"'
            ) from None
    return tuple(out)


def int_list(fname: str, name: str, value: object, pos: int | None = 1) -> tuple[int, ...]:
    """An int[] argument (pos: its position; None when passed by keyword)."""
    where = f"{fname}(): argument '{name}'"
    at = "" if pos is None else f" (position {pos})"
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{where}{at} must be tuple of ints, not {type_name(value)}")
    if value and not _is_index(value[0]):
        if pos is None:  # (by keyword, torch names the whole value's type)
            raise TypeError(f"{where} must be tuple of ints, not {type_name(value)}")
        raise TypeError(f"{where}{at} must be tuple of ints, but found element of type {type_name(value[0])} at pos 0")
    return _unpack(where, value)


def nonnegative_size(fname: str, size: tuple[int, ...]) -> tuple[int, ...]:
    """A new tensor's sizes, with torch's RuntimeError for a negative one."""
    for s in size:
        if s < 0:
            if fname == "zeros":  # (zeros checks its sizes itself, the others in the allocator)
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def int_list_param(
    fname: str, name: str, args: tuple, keyword: object = MISSING, taken: int = 1, varargs: bool = True
) -> tuple[int, ...]:
    """An int[] parameter that comes last of `taken` positional ones: `args` what was passed for it positionally,
    `keyword` its value when passed by name. varargs: torch's parser takes view(2, 3) as view((2, 3)), which it
    does where the int[] is the only positional parameter (methods: view, reshape, permute, expand, repeat)."""
    if keyword is not MISSING:
        if args:
            raise TypeError(f"{fname}() got multiple values for argument '{name}'")
        return int_list(fname, name, keyword, None)
    if varargs and args and _is_index(args[0]):
        return _unpack(f"{fname}(): argument '{name}'", args)
    if not args:
        raise TypeError(f'{fname}() missing 1 required positional arguments: "{name}"')
    if len(args) > 1:
        word = "argument" if taken == 1 else "arguments"
        raise TypeError(f"{fname}() takes {taken} positional {word} but {len(args) + taken - 1} were given")
    return int_list(fname, name, args[0], taken)


def invalid_combination(fname: str, args: tuple, kwargs: dict, signatures: tuple[str, ...]) -> str:
    """The text of torch's TypeError when no overload takes the arguments (its format_invalid_args). torch lists
    keyword arguments in its hash map's order, which no Python call keeps: here they are sorted by name. Under an
    overload whose text has as many comma-separated entries as there are arguments (`()` has one, `*` counts),
    torch says which did not match, comparing type names with each entry's words before its last space."""
    kws = sorted(kwargs.items())
    desc = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kws]
    got = ", ".join(desc) if args else "".join(f"{d}, " for d in desc)
    lines = [f"{fname}() received an invalid combination of arguments - got ({got}), but expected one of:"]
    for sig in (s.replace("ints[1]", "ints") for s in signatures):
        lines.append(f" * ({sig})")
        entries = sig.split(", ")
        if len(args) + len(kws) != len(entries):
            continue
        names = [e[e.rfind(" ") + 1 :] for e in entries]
        unknown = [k for k, _ in kws if k not in names[len(entries) - len(kws) :]]
        if unknown:
            lines.append(f"      didn't match because some of the keywords were incorrect: {', '.join(unknown)}")
            continue
        marked = []
        for i, entry in enumerate(entries):
            value = args[i] if i < len(args) else kwargs[names[i]]
            shown = ("" if i < len(args) else f"{names[i]}=") + _described(value)
            marked.append(shown if _same_type(entry[: entry.rfind(" ")], value) else f"!{shown}!")
        lines.append(f"      didn't match because some of the arguments have invalid types: ({', '.join(marked)})")
    return "\n".join(lines) + "\n"


def missing_arguments(fname: str, names: list) -> str:
    """torch's parser error for required parameters not given: `names`, every required one from the first missing
    on, given by name or not (torch's plural is inverted: "arguments" for one)."""
    word = "arguments" if len(names) == 1 else "argument"
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"{fname}() missing {len(names)} required positional {word}: {quoted}"


def _same_type(kind: str, value: object) -> bool:
    """torch's is_matching: the argument's type name is the entry's type (int also taken for float)."""
    name = type_name(value)
    return name in {"int": ("int",), "float": ("float", "int")}.get(kind, (kind,))


def _described(x: object) -> str:
    """An argument as torch's error shows it: a sequence with the types of its elements."""
    if isinstance(x, tuple):
        return f"tuple of ({', '.join(type_name(v) for v in x)}{',' if len(x) == 1 else ''})"
    if isinstance(x, list):
        return f"list of [{', '.join(type_name(v) for v in x)}]"
    return type_name(x)


def _param(text: str) -> tuple[str, str, bool]:
    """'torch.dtype dtype = None' -> (type, name, required); a type whose default is None takes None: `int? dim`
    is `int dim = None`."""
    decl, _, default = text.partition(" = ")
    kind, _, name = decl.rpartition(" ")
    return (kind + "?" if default == "None" else kind), name, not default


def _fits(kind: str, value: object, optional: bool = True) -> bool:
    if value is None:
        return kind.endswith("?") or optional and kind in ("Tensor", "torch.dtype", "torch.device")
    kind = kind.rstrip("?")
    if kind == "int":
        return _is_index(value)
    if kind == "Number":  # (a one-element tensor too)
        if hasattr(value, "_value") and hasattr(value, "is_floating_point"):
            return value._value.size == 1
        return isinstance(value, (int, float, complex, np.number, np.bool_))
    if kind == "tuple of ints[1]" and _is_index(value):  # (a one-element int list takes an int: torch's int[1])
        return True
    if kind in ("tuple of ints", "tuple of ints[1]"):
        return isinstance(value, (tuple, list)) and (not value or _is_index(value[0]))
    if kind == "bool":
        return isinstance(value, (bool, np.bool_))
    if kind == "torch.dtype":
        from .._dtype import dtype

        return isinstance(value, dtype)
    if kind == "torch.Generator":
        from .._generator import Generator

        return isinstance(value, Generator)
    if kind == "Tensor":
        return hasattr(value, "_value")
    if kind == "str":
        return isinstance(value, str)
    if kind == "tuple of Tensors":
        return isinstance(value, (tuple, list)) and (not value or hasattr(value[0], "_value"))  # (the first only)
    if kind == "torch.device":
        return isinstance(value, (str, int)) or type(value).__name__ == "device"
    return True


@functools.cache
def _parsed(signatures: tuple[str, ...]) -> tuple[list, list]:
    parsed = [[_param(p) for p in sig.split(", ") if p != "*"] if sig else [] for sig in signatures]
    npos = [sig.split(", ").index("*") if "*" in sig.split(", ") else len(p) for sig, p in zip(signatures, parsed)]
    return parsed, npos


def check_overloads(fname: str, signatures: tuple[str, ...], args: tuple, kwargs: dict) -> list:
    """torch's arg parser over a function's overloads (torch's own signature texts): nothing when one takes
    the arguments; else, when the count of arguments fits one overload alone, that overload's error, else the
    error listing them all. An int[] that is an overload's only positional parameter also takes varargs."""
    key = _types_of(signatures, args, kwargs)
    if key in _TAKEN:
        return _TAKEN[key]
    parsed, npos = _parsed(signatures)
    for params, n in zip(parsed, npos):  # (first the overloads whose keyword-only parameters were all given)
        if all(name in kwargs for _, name, req in params[n:] if req):
            if _mismatch(fname, params, n, _positional(params, n, args), kwargs) is None:
                _unpack_lists(fname, params, _positional(params, n, args), kwargs)
                if key is not None:
                    _TAKEN[key] = params
                return params
    errors = [_mismatch(fname, params, n, _positional(params, n, args), kwargs) for params, n in zip(parsed, npos)]
    count = len(args) + len(kwargs)
    plausible = [e for params, e in zip(parsed, errors) if sum(req for _, _, req in params) <= count <= len(params)]
    if len(errors) == 1:  # (a function of one signature: its own error)
        raise errors[0]
    if len(plausible) == 1:
        raise plausible[0]
    raise TypeError(invalid_combination(fname, args, kwargs, signatures))


_TAKEN: dict = {}  # calls whose argument types an overload took -> its parameters: the same types pass at once


def _unpack_lists(fname, params, args, kwargs) -> None:
    """The overload's int lists unpacked, as torch's parser does once it took the call (a later element fails)."""
    for i, (kind, name, _) in enumerate(params):
        value = args[i] if i < len(args) else kwargs.get(name)
        if kind.rstrip("?") in ("tuple of ints", "tuple of ints[1]") and isinstance(value, (tuple, list)):
            _unpack(f"{fname}(): argument '{name}'", value)
        if kind == "tuple of Tensors?" and value is not None:
            if len(value) != 2:  # (the out pairs parsed here)
                raise TypeError(f"expected tuple of 2 elements but got {len(value)}")
            for k, v in enumerate(value):
                if not hasattr(v, "_value"):
                    raise TypeError(f"expected Tensor as element {k} in argument {i}, but got {type_name(v)}")


def as_ints(params, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """The arguments with those the overload takes as ints made Python ints (a numpy integer, a one-element integer
    tensor), as torch's parser hands them on."""

    def fixed(kind, value):
        if kind.rstrip("?") not in ("int", "tuple of ints[1]") or value is None or type(value) is int:
            return value
        if isinstance(value, (tuple, list)):
            return value
        return int(value.item()) if hasattr(value, "_value") else operator.index(value)

    kinds = {name: kind for kind, name, _ in params}
    args = tuple(fixed(params[i][0], v) if i < len(params) else v for i, v in enumerate(args))
    return args, {k: fixed(kinds[k], v) if k in kinds else v for k, v in kwargs.items()}


def _types_of(signatures, args, kwargs):
    """The argument types a call's checks depend on (None where a tensor's value counts: its size, its dtype)."""
    key = [signatures]
    for v in (*args, *kwargs.values()):
        if hasattr(v, "_value"):  # (what makes a tensor an int or a Number)
            key.append((type(v), v._value.size == 1, v._value.dtype.kind))
            continue
        key.append((type(v), tuple(map(type, v))) if type(v) in (tuple, list) else type(v))
    if any(hasattr(e, "_value") for v in args if type(v) in (tuple, list) for e in v):
        return None
    return (*key, *kwargs)


def _positional(params, npos, args):
    if npos == 1 and params[0][0].rstrip("?") == "tuple of ints" and args and _is_index(args[0]):
        return (tuple(args),)  # (varargs)
    return args


def _mismatch(fname, params, npos, args, kwargs):
    """The arg parser's error for one overload, or None when it takes the arguments."""
    if len(args) > npos:
        least = sum(req for _, _, req in params[:npos])
        word = "argument" if npos == 1 else "arguments"
        takes = f"{npos} positional {word}" if least == npos else f"from {least} to {npos} positional arguments"
        return TypeError(f"{fname}() takes {takes} but {len(args)} were given")
    for i, (kind, name, required) in enumerate(params):
        if i < len(args):
            value, at = args[i], f" (position {i + 1})"
        elif name in kwargs:
            value, at = kwargs[name], ""
        elif required:
            return TypeError(missing_arguments(fname, [later for _, later, req in params[i:] if req]))
        else:
            continue
        if not _fits(kind, value, not required):
            kind = kind.rstrip("?").replace("[1]", "")
            if kind == "tuple of ints" and isinstance(value, (tuple, list)) and at:  # (by keyword: the whole type)
                bad = f"but found element of type {type_name(value[0])} at pos 0"
                return TypeError(f"{fname}(): argument '{name}'{at} must be {kind}, {bad}")
            return TypeError(f"{fname}(): argument '{name}'{at} must be {kind}, not {type_name(value)}")
    names = {name for _, name, _ in params}
    for key in kwargs:
        if key not in names:
            return TypeError(f"{fname}() got an unexpected keyword argument '{key}'")
    return None


# the dims of ops that take an int list (elsewhere an int), and the method forms' overloads of those with several
_DIM_NAMES = ("dim", "dim0", "dim1", "start_dim", "end_dim")
_INT_LIST_DIMS = frozenset(
    "amax amin any all count_nonzero logsumexp mean nansum sum std var std_mean var_mean squeeze roll".split()
)
# (their dim is torch's int[1]: an int is taken as a list of one)
_SUM = ("*, torch.dtype dtype = None", "tuple of ints[1] dim, bool keepdim = False, *, torch.dtype dtype = None")
_STD = (
    "tuple of ints[1] dim, bool unbiased = True, bool keepdim = False",
    "tuple of ints[1] dim = None, *, Number correction = None, bool keepdim = False",
    "bool unbiased = True",
)
_OPTIONAL_DIMS = frozenset(
    "sum mean amax amin std var std_mean var_mean count_nonzero any all nansum argmax argmin cross roll".split()
)
_ANY = ("", "tuple of ints dim = None, bool keepdim = False", "int dim, bool keepdim = False")
METHOD_OVERLOADS = {
    "sum": _SUM,
    "mean": _SUM,
    "prod": ("*, torch.dtype dtype = None", "int dim, bool keepdim = False, *, torch.dtype dtype = None"),
    "std": _STD,
    "var": _STD,
    "count_nonzero": ("int dim = None", "tuple of ints dim"),
    "any": _ANY,
    "all": _ANY,
    "squeeze": ("", "int dim", "tuple of ints dim"),
    "narrow": ("int dim, Tensor start, int length", "int dim, int start, int length"),
}
# the integer parameters, other than dims, whose words torch's parser says
_INT_PARAMS = {"narrow": ("start", "length"), "tril": ("diagonal",), "triu": ("diagonal",), "roll": ("shifts", "dims")}


_T = "Tensor input"
_OUT = "Tensor out = None"
FUNCTION_OVERLOADS = {
    "sum": (
        f"{_T}, *, torch.dtype dtype = None",
        f"{_T}, tuple of ints[1] dim, bool keepdim = False, *, torch.dtype dtype = None, {_OUT}",
    ),
    "mean": (
        f"{_T}, *, torch.dtype dtype = None, {_OUT}",
        f"{_T}, tuple of ints[1] dim, bool keepdim = False, *, torch.dtype dtype = None, {_OUT}",
    ),
    "prod": (
        f"{_T}, *, torch.dtype dtype = None",
        f"{_T}, int dim, bool keepdim = False, *, torch.dtype dtype = None, {_OUT}",
    ),
    "std": (
        f"{_T}, tuple of ints[1] dim, bool unbiased = True, bool keepdim = False, *, {_OUT}",
        f"{_T}, tuple of ints[1] dim = None, *, Number correction = None, bool keepdim = False, {_OUT}",
        f"{_T}, bool unbiased = True",
    ),
    "count_nonzero": (f"{_T}, int dim = None", f"{_T}, tuple of ints dim"),
    "any": (
        f"{_T}, *, {_OUT}",
        f"{_T}, tuple of ints dim = None, bool keepdim = False, *, {_OUT}",
        f"{_T}, int dim, bool keepdim = False, *, {_OUT}",
    ),
    "squeeze": (_T, f"{_T}, int dim", f"{_T}, tuple of ints dim"),
    "narrow": (f"{_T}, int dim, Tensor start, int length", f"{_T}, int dim, int start, int length"),
    "rsub": (f"{_T}, Tensor other, *, Number alpha = 1", f"{_T}, Number other, Number alpha = 1"),
    "masked_fill": (f"{_T}, Tensor mask, Tensor value", f"{_T}, Tensor mask, Number value"),
}
FUNCTION_OVERLOADS["var"] = FUNCTION_OVERLOADS["std"]
FUNCTION_OVERLOADS["all"] = FUNCTION_OVERLOADS["any"]

# the Tensor methods of several overloads, in torch's words: what its parser lists when none takes the arguments
# (out=, which no method takes); an in-place method's are its out-of-place form's unless listed
_OTHER = ("Tensor other", "Number other")
_CLAMP = ("Tensor min = None, Tensor max = None", "Number min = None, Number max = None")
_SPLITS = ("int sections", "tuple of ints indices")
_SORT = ("*, bool stable, int dim = -1, bool descending = False", "int dim = -1, bool descending = False")
_QUANTILE = tuple(
    f'{q} q, int dim = None, bool keepdim = False, *, str interpolation = "linear"' for q in ("Tensor", "float")
)
_GENERATOR = "*, torch.Generator generator = None"
_MOVE = ("int source, int destination", "tuple of ints source, tuple of ints destination")
_EXTREME = ("", "Tensor other", "int dim, bool keepdim = False")
METHOD_SIGNATURES = {
    **METHOD_OVERLOADS,
    **dict.fromkeys(
        "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift copysign eq ne lt le gt ge greater "
        "greater_equal less less_equal not_equal floor_divide fmod remainder multiply true_divide xlogy".split(),
        _OTHER,
    ),
    **dict.fromkeys(("clamp", "clip"), _CLAMP),
    **dict.fromkeys(("dsplit", "hsplit", "vsplit"), _SPLITS),
    **dict.fromkeys(("sort", "argsort"), _SORT),
    **dict.fromkeys(("quantile", "nanquantile"), _QUANTILE),
    **dict.fromkeys(("movedim", "moveaxis"), _MOVE),
    **dict.fromkeys(("max", "min"), _EXTREME),
    **dict.fromkeys(("pow", "float_power"), ("Tensor exponent", "Number exponent")),
    "clamp_max": ("Tensor max", "Number max"),
    "clamp_min": ("Tensor min", "Number min"),
    "div": ("Tensor other", "Tensor other, *, str rounding_mode", "Number other, *, str rounding_mode"),
    "divide": (
        "Tensor other",
        "Tensor other, *, str rounding_mode",
        "Number other",
        "Number other, *, str rounding_mode",
    ),
    "subtract": ("Tensor other, *, Number alpha = 1", "Number other, Number alpha = 1"),
    "lerp": ("Tensor end, Tensor weight", "Tensor end, Number weight"),
    "masked_fill": ("Tensor mask, Tensor value", "Tensor mask, Number value"),
    "index_fill": ("int dim, Tensor index, Tensor value", "int dim, Tensor index, Number value"),
    "where": ("Tensor condition, Tensor other", "Tensor condition, Number other"),
    "scatter": (
        "int dim, Tensor index, Tensor src",
        "int dim, Tensor index, Tensor src, *, str reduce",
        "int dim, Tensor index, Number value",
        "int dim, Tensor index, Number value, *, str reduce",
    ),
    "repeat_interleave": tuple(f"{r} repeats, int dim = None, *, int output_size = None" for r in ("Tensor", "int")),
    "tensor_split": (
        "tuple of ints indices, int dim = 0",
        "Tensor tensor_indices_or_sections, int dim = 0",
        "int sections, int dim = 0",
    ),
    "view": ("torch.dtype dtype", "tuple of ints size"),
    "fill_": ("Tensor value", "Number value"),
    "bernoulli": (_GENERATOR, f"float p, {_GENERATOR}"),
    "bernoulli_": (f"Tensor p, {_GENERATOR}", f"float p = 0.5, {_GENERATOR}"),
    "random_": (_GENERATOR, f"int from, int to, {_GENERATOR}", f"int to, {_GENERATOR}"),
}


def check_dim_args(fname: str, sig, args: tuple, kwargs: dict, method: bool, shown: str = "") -> tuple[tuple, dict]:
    """torch's arg parser on an op's dim arguments (args: self first). A dim that is no int (no int list where
    torch takes one) gets the error of the method's overloads where it has several (one may take it: std's
    `unbiased`), else torch's words for that argument. Nothing is said of ints, None where torch's dim is
    optional, and int lists whose first element is an int (a later one fails to unpack). Returns the arguments,
    with std's and var's lone bool moved to `unbiased` (their overload `(bool unbiased)`). shown: the name in
    torch's words where it is not fname (the in-place method `squeeze_`)."""
    if fname in ("std", "var", "std_mean", "var_mean") and len(args) == 2 and isinstance(args[1], bool):
        if "unbiased" not in kwargs and "dim" not in kwargs:
            return args[:1], {**kwargs, "unbiased": args[1]}
    listed = fname in _INT_LIST_DIMS
    checked = _INT_PARAMS.get(fname, ())
    for i, name in enumerate(sig.parameters):
        if name not in _DIM_NAMES and name not in checked:
            continue
        if i < len(args):
            value, pos = args[i], i if method else i + 1
        elif name in kwargs:
            value, pos = kwargs[name], None
        else:
            continue
        if _is_index(value) or value is None and fname in _OPTIONAL_DIMS and name != "shifts":
            continue
        if listed and isinstance(value, (tuple, list)) and (not value or _is_index(value[0])):
            int_list(fname, name, value, pos)  # (a later element: the unpack error)
            continue
        if fname in METHOD_OVERLOADS:
            overloads = METHOD_OVERLOADS[fname] if method else FUNCTION_OVERLOADS[fname]
            check_overloads(shown or fname, overloads, args[1:] if method else args, kwargs)
            continue  # (an overload took it)
        if listed:
            int_list(shown or fname, name, value, pos)
        at = "" if pos is None else f" (position {pos})"
        raise TypeError(f"{shown or fname}(): argument '{name}'{at} must be int, not {type_name(value)}")
    return args, kwargs


def parsed(*signatures: str, method: tuple[str, ...] | None = None, name: str | None = None) -> Callable:
    """A composite op behind torch's arg parser: `signatures` are torch's texts of torch.<name>'s overloads, `method`
    those of Tensor.<name> (by default the same without their leading `Tensor input`), `name` the parser's name
    when it is not the function's (linalg_vector_norm). The wrapped function is the torch.<name> form; its
    `.method` attribute is the Tensor method (self not counted among the positions)."""
    of_method = method if method is not None else tuple(_without_input(s) for s in signatures)
    parser_name = name

    def wrap(fn: Callable) -> Callable:
        name = parser_name or fn.__name__

        @functools.wraps(fn)
        def function_form(*args, **kwargs):
            # (a method alone, such as squeeze_, is called from within only; _target: the in-place method, checked)
            if signatures and "_target" not in kwargs:
                args, kwargs = as_ints(check_overloads(name, signatures, args, kwargs), args, kwargs)
            return fn(*args, **kwargs)

        @functools.wraps(fn)
        def method_form(self, *args, **kwargs):
            args, kwargs = as_ints(check_overloads(name, of_method, args, kwargs), args, kwargs)
            return fn(self, *args, **kwargs)

        function_form.method = method_form
        function_form.method_signatures = of_method
        return function_form

    return wrap


def inplace_parsed(public: Callable, name: str) -> Callable:
    """The in-place method (`index_add_`) of a parsed composite that writes into `_target`: its method's overloads,
    in torch's words under its own name."""

    def method(self, *args, **kwargs):
        args, kwargs = as_ints(check_overloads(name, public.method_signatures, args, kwargs), args, kwargs)
        return public(self, *args, _target=self, **kwargs)

    method.__name__ = name
    return method


def _without_input(signature: str) -> str:
    """A function overload's text as the method's: no `Tensor input`, no `out` (nor a `*` left with nothing)."""
    params = [p for p in signature.split(", ")[1:] if not p.endswith(" out = None")]
    return ", ".join(params[:-1] if params[-1:] == ["*"] else params)
