"""tinyml: run TensorFlow Lite models on a microcontroller, bit-exact with TFLM.

    import tinyml
    m = tinyml.Model("/model.tflite")      # or bytes / bytearray / memoryview, used in place
    y = m.predict([0.5])                   # floats in, floats out (quantized models too)

    x = m.input()                          # zero-copy access for the hot path
    x.data[:] = samples                    # raw int8 (or float32, ...) straight into the arena
    m.invoke()
    scores = m.output().data               # memoryview onto the result

Memory: everything a Model allocates is on the MicroPython heap and is freed with
the object. The model bytes are yours when you pass a buffer (kept referenced,
never copied); a path is read once into one heap block. The state block
(state_size bytes) is always on the heap; the arena is on the heap unless you
pass your own bytearray.
"""

from array import array
from typing import Final, Literal, overload

DType = Literal[
    "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "float16", "float32", "float64", "bool"
]

_Buffer = bytes | bytearray | memoryview | array
_Floats = list[float] | tuple[float, ...] | array

version: Final[str]
"""Engine version, e.g. "0.1.0"."""

profile_unit: Final[Literal["us", "instructions"]]
"""Unit of Model.profile() and Model.last_invoke: "instructions" (retired
instructions, exact) in firmware for boards with an instruction counter (the
emulated boards in boards/qemu), "us" (microseconds) elsewhere."""

def ops() -> list[tuple[str, int]]:
    """Operators this build carries: (TFLite name, highest supported version)."""

class Tensor:
    """A graph input or output of a Model. Keeps its Model alive."""

    @property
    def shape(self) -> tuple[int, ...]: ...
    @property
    def dtype(self) -> DType: ...
    @property
    def scale(self) -> float:
        """Quantization scale (first channel if per-channel); 0.0 if not quantized."""
    @property
    def zero_point(self) -> int: ...
    @property
    def nbytes(self) -> int: ...
    @property
    def data(self) -> memoryview:
        """Zero-copy view of the tensor's bytes in the arena, typed by dtype:
        'b' int8, 'B' uint8/bool, 'h' int16, 'H' uint16, 'i' int32, 'I' uint32,
        'q' int64, 'f' float32, 'd' float64. Writable for inputs and outputs.
        An input's bytes may be reused by later operators during invoke()."""
    @data.setter
    def data(self, value: _Buffer | _Floats) -> None:
        """Copy in: a buffer of the tensor's typecode, or raw bytes/bytearray of
        exactly nbytes; floats (list/tuple/array('f')) are quantized. ValueError
        names the expected shape and dtype when the size or type is wrong."""
    def quantize(self, values: _Floats) -> None:
        """Write floats into the tensor: (int)roundf(x / scale) + zero_point,
        clamped to the dtype (TFLM's rounding); stored as-is for float32."""
    @overload
    def dequantize(self) -> array:
        """The values as a new array('f'): (q - zero_point) * scale."""
    @overload
    def dequantize(self, out: array) -> array:
        """Fill `out`, an array('f') of len(self) floats, and return it."""
    def __len__(self) -> int:
        """Number of elements."""

class Model:
    def __init__(
        self,
        source: str | bytes | bytearray | memoryview,
        *,
        arena: int | bytearray | None = None,
        profile: bool = False,
    ) -> None:
        """Load and prepare a .tflite model.

        source: a file path (read once into the heap) or a buffer used in place.
        arena: None allocates exactly arena_used bytes; an int allocates that many
        (ValueError "arena too small: needs N bytes, given M" if fewer than needed);
        a bytearray is used in place (you keep it alive; one model per arena).
        profile: time each operator on every invoke() (see profile()), in profile_unit.

        Raises ValueError (corrupt or truncated model, arena too small),
        NotImplementedError (an operator, version or type this build lacks,
        named in the message), OSError (path), MemoryError.
        """
    def input(self, index: int = 0) -> Tensor:
        """Graph input `index`; IndexError if out of range."""
    def output(self, index: int = 0) -> Tensor:
        """Graph output `index`; IndexError if out of range."""
    @property
    def inputs(self) -> tuple[Tensor, ...]: ...
    @property
    def outputs(self) -> tuple[Tensor, ...]: ...
    def invoke(self) -> None:
        """Run the model on the current input data."""
    def predict(self, x: _Buffer | _Floats) -> array:
        """Copy `x` into input 0, invoke, and return output 0 as a new array.

        x: raw data of the input's dtype (bytes, bytearray, or an array/memoryview
        of its typecode), or floats (list, tuple, array('f')) that are quantized
        when the input is quantized. Returns array('f') of dequantized values
        when output 0 is quantized, else a copy of its raw values (array of its
        typecode, e.g. array('f') for a float model)."""
    def reset(self) -> None:
        """Zero the variable tensors (RNN state) before an independent sequence."""
    def metadata(self, name: str = "tinyml") -> memoryview | None:
        """The bytes of the model's metadata entry `name`, None if it has none.

        A read-only memoryview into the model bytes (nothing is copied); it keeps
        them alive when the model came from a path, bytes or a bytearray.
        tinyml-convert writes a "tinyml" entry (JSON: labels, arena bytes, I/O
        quantization, model version, SHA-256, converter settings, reference input
        statistics); device_lib/model_info.py parses it. TypeError when name is not
        a str, ValueError when it is longer than 64 bytes."""
    def profile(self) -> list[tuple[str, int]]:
        """(operator name, duration in profile_unit) of each operator in the last
        invoke(). RuntimeError unless the model was created with profile=True."""
    @property
    def last_invoke(self) -> int | None:
        """Duration of the last invoke()/predict() in profile_unit, measured in C
        around the engine (without the interpreter's call overhead, nor the
        copies predict() makes); None before one was measured. Firmware with a
        C clock measures every invoke; the native module only with profile=True."""
    @property
    def ops(self) -> tuple[tuple[str, int], ...]:
        """(operator name, version) of each node, in execution order."""
    @property
    def arena_size(self) -> int:
        """Bytes of arena this model holds (planned size, or what you gave)."""
    @property
    def arena_used(self) -> int:
        """Bytes of arena the memory plan needs."""
    @property
    def state_size(self) -> int:
        """Bytes of the state block (tensor and operator records, multipliers)."""
