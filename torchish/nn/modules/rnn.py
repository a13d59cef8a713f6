"""RNN, LSTM, GRU and their cells (torch/nn/modules/rnn.py); no PackedSequence."""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..._tensor import Tensor
from ...ops import nn_rnn_ops as _K
from ...ops import pointwise as _P
from ...ops import shape as _S
from ...ops._registry import warn_once
from ...ops.creation import empty, zeros
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    __constants__ = [
        "mode",
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
    ]

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or isinstance(dropout, bool):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                real_hidden_size = proj_size if proj_size > 0 else hidden_size
                layer_input_size = input_size if layer == 0 else real_hidden_size * num_directions
                w_ih = Parameter(empty((gate_size, layer_input_size), **factory_kwargs))
                w_hh = Parameter(empty((gate_size, real_hidden_size), **factory_kwargs))
                b_ih = Parameter(empty(gate_size, **factory_kwargs))
                b_hh = Parameter(empty(gate_size, **factory_kwargs))
                layer_params: tuple = (w_ih, w_hh, b_ih, b_hh) if bias else (w_ih, w_hh)
                if proj_size > 0:
                    layer_params += (Parameter(empty((proj_size, hidden_size), **factory_kwargs)),)
                suffix = "_reverse" if direction == 1 else ""
                param_names = ["weight_ih_l{}{}", "weight_hh_l{}{}"]
                if bias:
                    param_names += ["bias_ih_l{}{}", "bias_hh_l{}{}"]
                if proj_size > 0:
                    param_names += ["weight_hr_l{}{}"]
                param_names = [x.format(layer, suffix) for x in param_names]
                for name, param in zip(param_names, layer_params):
                    setattr(self, name, param)
                self._flat_weights_names.extend(param_names)
                self._all_weights.append(param_names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, n) for n in self._flat_weights_names]

    def flatten_parameters(self) -> None:
        pass

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, w) for w in ws] for ws in self._all_weights]

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input: Tensor) -> None:
        if input.dtype != self._flat_weights[0].dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({self._flat_weights[0].dtype}). Convert "
                f"input: input.to({self._flat_weights[0].dtype}), or convert model: model.to({input.dtype})"
            )
        if input.dim() != 3:
            raise RuntimeError(f"input must have 3 dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.size(-1)}"
            )

    def _expected_hidden(self, input: Tensor, cell: bool = False) -> tuple[int, int, int]:
        mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 and not cell else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected):
            raise RuntimeError(msg.format(expected, list(hx.size())))

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _run(self, input: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """ATen's _rnn_impl: layer by layer, dropout between layers in training, states stacked at the end."""
        x = _S.transpose(input, 0, 1) if self.batch_first else input
        nd = 2 if self.bidirectional else 1
        ws = self._flat_weights
        per = len(ws) // (self.num_layers * nd)
        hs, cs = [], []
        for layer in range(self.num_layers):
            sl = slice(layer * nd, (layer + 1) * nd)
            out, h_n, c_n = _K._rnn_layer(
                [x, h0[sl], None if c0 is None else c0[sl], *ws[layer * nd * per : (layer + 1) * nd * per]],
                self.mode,
                self.bidirectional,
                self.bias,
                self.proj_size > 0,
            )
            hs += [_S.select(h_n, 0, d) for d in range(nd)]
            if c0 is not None:
                cs += [_S.select(c_n, 0, d) for d in range(nd)]
            if self.dropout != 0 and self.training and layer < self.num_layers - 1:
                out = F.dropout(out, self.dropout, True)
            x = out
        if self.batch_first:
            x = _S.transpose(x, 0, 1) if self.mode == "LSTM" else _K._rnn_transpose01(x)
        return x, _S.stack(hs, 0), _S.stack(cs, 0) if c0 is not None else None

    def _prepare(self, input: Tensor, hx: Any, name: str) -> tuple[Tensor, Any, bool]:
        if input.dim() not in (2, 3):
            raise ValueError(
                f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                + ("instead" if name == "LSTM" else "tensor instead")
            )
        is_batched = input.dim() == 3
        if not is_batched:
            input = _S.unsqueeze(input, 0 if self.batch_first else 1)
        return input, hx, is_batched


class RNN(RNNBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        input, hx, is_batched = self._prepare(input, hx, "RNN")
        if hx is not None:
            if is_batched and hx.dim() != 3:
                raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
            if not is_batched:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = _S.unsqueeze(hx, 1)
        else:
            hx = zeros(*self._expected_hidden(input), dtype=input.dtype)
        self.check_input(input)
        self.check_hidden_size(hx, self._expected_hidden(input))
        output, hidden, _ = self._run(input, hx, None)
        if not is_batched:
            output = _S.squeeze(output, 0 if self.batch_first else 1)
            hidden = _S.squeeze(hidden, 1)
        return output, hidden


class GRU(RNNBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    forward = RNN.forward


class LSTM(RNNBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        input, hx, is_batched = self._prepare(input, hx, "LSTM")
        if hx is None:
            hx = (
                zeros(*self._expected_hidden(input), dtype=input.dtype),
                zeros(*self._expected_hidden(input, cell=True), dtype=input.dtype),
            )
        else:
            want = 3 if is_batched else 2
            if hx[0].dim() != want or hx[1].dim() != want:
                kind = "batched 3-D" if is_batched else "unbatched 2-D"
                raise RuntimeError(
                    f"For {kind} input, hx and cx should also be {want}-D but got ({hx[0].dim()}-D, "
                    f"{hx[1].dim()}-D) tensors"
                )
            if not is_batched:
                hx = (_S.unsqueeze(hx[0], 1), _S.unsqueeze(hx[1], 1))
        self.check_input(input)
        self.check_hidden_size(hx[0], self._expected_hidden(input), "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hx[1], self._expected_hidden(input, cell=True), "Expected hidden[1] size {}, got {}")
        if self.proj_size > 0:
            warn_once(
                "LSTM projections",
                "LSTM with projections is not supported with oneDNN. Using default implementation. (Triggered "
                "internally at /__w/pytorch/pytorch/aten/src/ATen/native/RNN.cpp:1512.)",
            )
        output, h, c = self._run(input, hx[0], hx[1])
        if not is_batched:
            output = _S.squeeze(output, 0 if self.batch_first else 1)
            h, c = _S.squeeze(h, 1), _S.squeeze(c, 1)
        return output, (h, c)


class RNNCellBase(Module):
    __constants__ = ["input_size", "hidden_size", "bias"]

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device: Any = None, dtype: Any = None
    ) -> None:
        factory_kwargs = {"device": device, "dtype": dtype}
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), **factory_kwargs))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), **factory_kwargs))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **factory_kwargs))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _batched(self, input: Tensor, hx: Any) -> tuple[Tensor, Any, bool]:
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        is_batched = input.dim() == 2
        return (input if is_batched else _S.unsqueeze(input, 0)), hx, is_batched

    def _zeros(self, input: Tensor) -> Tensor:
        return zeros(input.size(0), self.hidden_size, dtype=input.dtype)


class RNNCell(RNNCellBase):
    __constants__ = ["input_size", "hidden_size", "bias", "nonlinearity"]

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, is_batched = self._batched(input, hx)
        hx = self._zeros(input) if hx is None else (hx if is_batched else _S.unsqueeze(hx, 0))
        pre = _P.add(F.linear(input, self.weight_ih, self.bias_ih), F.linear(hx, self.weight_hh, self.bias_hh))
        if self.nonlinearity == "tanh":
            ret = _P.tanh(pre)
        elif self.nonlinearity == "relu":
            ret = _P.relu(pre)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return ret if is_batched else _S.squeeze(ret, 0)


class LSTMCell(RNNCellBase):
    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        input, hx, is_batched = self._batched(input, hx)
        if hx is None:
            hx = (self._zeros(input), self._zeros(input))
        elif not is_batched:
            hx = (_S.unsqueeze(hx[0], 0), _S.unsqueeze(hx[1], 0))
        h, c = hx
        gates = _P.add(F.linear(input, self.weight_ih, self.bias_ih), F.linear(h, self.weight_hh, self.bias_hh))
        i, f, g, o = _S.chunk(gates, 4, 1)
        i, f, g, o = _P.sigmoid(i), _P.sigmoid(f), _P.tanh(g), _P.sigmoid(o)
        cy = _P.add(_P.mul(f, c), _P.mul(i, g))
        hy = _P.mul(o, _P.tanh(cy))
        if not is_batched:
            hy, cy = _S.squeeze(hy, 0), _S.squeeze(cy, 0)
        return hy, cy


class GRUCell(RNNCellBase):
    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, hx, is_batched = self._batched(input, hx)
        hx = self._zeros(input) if hx is None else (hx if is_batched else _S.unsqueeze(hx, 0))
        ir, iz, in_ = _S.chunk(F.linear(input, self.weight_ih, self.bias_ih), 3, 1)
        hr, hz, hn = _S.chunk(F.linear(hx, self.weight_hh, self.bias_hh), 3, 1)
        r = _P.sigmoid(_P.add(hr, ir))
        z = _P.sigmoid(_P.add(hz, iz))
        n = _P.tanh(_P.add(in_, _P.mul(hn, r)))
        hy = _P.add(_P.mul(_P.sub(hx, n), z), n)
        return hy if is_batched else _S.squeeze(hy, 0)
