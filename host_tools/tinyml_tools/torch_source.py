"""PyTorch models as conversion sources (the optional `torch` extra).

    module, float_tflite = load_torch("model.pt2")                            # torch.export.save
    module, float_tflite = load_torch("net.py:trained", input_shape=(1, 1, 8, 8))  # a factory

A model is either a `.pt2` file written by `torch.export.save` (it carries its
example input, so its shape), or `FILE.py:FUNCTION` / `package.module:FUNCTION`
naming a function that takes no arguments and returns an `nn.Module` with its
trained weights loaded; a function needs the input shape (batch first, batch 1:
what a microcontroller runs). `litert-torch` converts the module to a float
.tflite, which `quantize` then quantizes with ai-edge-quantizer like any float
.tflite. Samples keep PyTorch's layout (e.g. N x C x H x W). TorchScript and
pickled `.pt` files are refused with how to save a usable model instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

from tinyml_tools.quantize import QuantizeError, silenced

INSTALL_HINT = "install the PyTorch extra with `make setup-torch` or `pip install tinyml-tools[torch]`"

_FACTORY_SPEC = re.compile(r"^(?P<target>.+\.py|[A-Za-z_][\w.]*):(?P<function>[A-Za-z_]\w*)$")


def is_torch_source(text: str) -> bool:
    """Whether MODEL names a PyTorch model (a .pt2, .pt or .pth file, or a factory function)."""
    return Path(text).suffix in (".pt2", ".pt", ".pth") or (
        not Path(text).exists() and _FACTORY_SPEC.match(text) is not None
    )


def _import_torch() -> tuple[Any, Any]:
    try:
        with silenced():
            import litert_torch
            import torch
    except ImportError as e:
        raise QuantizeError(f"PyTorch models need torch and litert-torch: {INSTALL_HINT} ({e})") from e
    return torch, litert_torch


def _factory(spec: str) -> Any:  # noqa: ANN401 - the function
    match = _FACTORY_SPEC.match(spec)
    assert match is not None
    target, name = match["target"], match["function"]
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_file():
            raise QuantizeError(f"model not found: {path}")
        spec_obj = importlib.util.spec_from_file_location(f"tinyml_torch_model_{path.stem}", path)
        assert spec_obj is not None and spec_obj.loader is not None
        module = importlib.util.module_from_spec(spec_obj)
        sys.modules[spec_obj.name] = module
        try:
            spec_obj.loader.exec_module(module)
        except Exception as e:  # the user's file: whatever it raises, say where
            raise QuantizeError(f"cannot load {path}: {type(e).__name__}: {e}") from e
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as e:
            raise QuantizeError(f"cannot import {target} for the model {spec}: {e}") from e
    function = getattr(module, name, None)
    if not callable(function):
        raise QuantizeError(f"{target} has no function {name} (model {spec})")
    return function


def load_torch(spec: str, input_shape: tuple[int, ...] | None = None) -> tuple[Any, bytes, tuple[int, ...]]:
    """(the nn.Module in eval mode, its float .tflite from litert-torch, the input shape)."""
    path = Path(spec)
    if path.suffix in (".pt", ".pth"):
        raise QuantizeError(
            f"{path}: TorchScript and pickled .pt files cannot be converted; save the model with "
            "torch.export.save(torch.export.export(model.eval(), (example,)), 'model.pt2'), "
            "or name a function returning the nn.Module: FILE.py:FUNCTION --input-shape ..."
        )
    torch, litert_torch = _import_torch()
    if path.suffix == ".pt2":
        if not path.is_file():
            raise QuantizeError(f"model not found: {path}")
        try:
            program = torch.export.load(str(path))
        except Exception as e:  # torch's own explanation of a bad file
            raise QuantizeError(f"cannot load {path} with torch.export.load: {e}") from e
        args, _ = program.example_inputs
        if len(args) != 1:
            raise QuantizeError(f"{path}: only single-input models are supported, this one has {len(args)}")
        shape = tuple(int(d) for d in args[0].shape)
        if input_shape is not None and tuple(input_shape) != shape:
            raise QuantizeError(f"{path} was exported for input shape {shape}, not {tuple(input_shape)}")
        module = program.module()
    else:
        if input_shape is None:
            raise QuantizeError(f"a PyTorch model given as {spec} needs --input-shape (e.g. 1,1,8,8)")
        made = _factory(spec)()
        if not isinstance(made, torch.nn.Module):
            raise QuantizeError(f"{spec} returned {type(made).__name__}, not a torch.nn.Module")
        module, shape = made.eval(), tuple(input_shape)
    example = torch.zeros(shape, dtype=torch.float32)
    try:
        with silenced():
            converted = litert_torch.convert(module, (example,))
            float_model = bytes(converted.model_content())
    except Exception as e:  # litert-torch's own explanation (unsupported op, export failure)
        lines = str(e).strip().splitlines() or [type(e).__name__]
        raise QuantizeError(f"litert-torch cannot convert {spec}: {' '.join(lines[-4:])}") from e
    return module, float_model, shape


def predict(module: Any, x: Any) -> Any:  # noqa: ANN401 - nn.Module, numpy in and out
    """The module's first output for every sample, one sample at a time (batch 1)."""
    import numpy as np

    torch, _ = _import_torch()
    outputs = []
    with torch.no_grad():
        for i in range(len(x)):
            y = module(torch.from_numpy(np.ascontiguousarray(x[i : i + 1], dtype=np.float32)))
            outputs.append(np.asarray((y[0] if isinstance(y, list | tuple) else y).numpy()))
    return np.concatenate(outputs)
