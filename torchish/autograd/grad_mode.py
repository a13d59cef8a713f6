"""Grad modes: thread-local switches that decide whether ops record a graph."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any


class _State(threading.local):
    grad_enabled = True
    inference = False
    saved_hooks: tuple = ()  # (pack_hook, unpack_hook) stack of torch.autograd.graph.saved_tensors_hooks
    saved_hooks_disabled: str | None = None  # disable_saved_tensors_hooks' message


_state = _State()


def is_grad_enabled() -> bool:
    return _state.grad_enabled


def is_inference_mode_enabled() -> bool:
    return _state.inference


class _DecoratorContextManager:
    """A context manager that also decorates functions and generators, like torch's."""

    def __call__(self, func: Callable | None = None) -> Any:
        if func is None:  # `@no_grad()` was already called; torch allows calling once more with nothing
            return self
        if inspect.isclass(func):
            raise RuntimeError("Decorating classes is deprecated and will be disabled in future versions.")
        factory = self.clone
        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator(*args, **kwargs):
                gen = func(*args, **kwargs)
                try:
                    with factory():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with factory():
                                gen.close()
                            raise
                        except BaseException as exc:  # forward throw() into the wrapped generator
                            with factory():
                                response = gen.throw(exc)
                        else:
                            with factory():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return generator

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with factory():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return self.__class__()


class no_grad(_DecoratorContextManager):
    def __new__(cls, orig_func: Callable | None = None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self) -> None:
        self._prev = _state.grad_enabled
        _state.grad_enabled = False

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev


class enable_grad(_DecoratorContextManager):
    def __new__(cls, orig_func: Callable | None = None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)

    def __enter__(self) -> None:
        self._prev = _state.grad_enabled
        _state.grad_enabled = True

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev


class set_grad_enabled(_DecoratorContextManager):
    """Takes effect on construction, like torch, so it also works as a plain function call."""

    def __init__(self, mode: bool) -> None:
        self._prev = _state.grad_enabled
        self.mode = mode
        _state.grad_enabled = mode

    def __call__(self, func: Callable | None = None) -> Any:
        _state.grad_enabled = self._prev
        return super().__call__(func)

    def __enter__(self) -> None:
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    def __new__(cls, mode: Any = True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self) -> None:
        self._prev = (_state.grad_enabled, _state.inference)
        if self.mode:
            _state.grad_enabled, _state.inference = False, True
        else:
            _state.inference = False

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled, _state.inference = self._prev

    def clone(self) -> inference_mode:
        return self.__class__(self.mode)
