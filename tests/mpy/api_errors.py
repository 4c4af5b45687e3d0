# MicroPython: every error a user can meet, as "Type: message" lines.
# Usage: MICROPYPATH=NATMOD_DIR micropython api_errors.py MODELS_DIR GENERATED_DIR
# (GENERATED_DIR holds unsupported_builtin.tflite and unsupported_custom.tflite)
import sys
from array import array

import tinyml
from report import error_of, read, report

models = sys.argv[1]
generated = sys.argv[2]

hello = read(models + "/hello_world_int8.tflite")
Model = tinyml.Model

# The model itself.
report("missing_file", error_of(Model, models + "/no_such_model.tflite"))
report("empty_bytes", error_of(Model, b""))
report("truncated", error_of(Model, hello[: len(hello) // 2]))
corrupt = bytearray(hello)
corrupt[4:8] = b"XXXX"  # the "TFL3" file identifier
report("wrong_identifier", error_of(Model, corrupt))
garbage = bytearray(hello)
for i in range(8, len(garbage), 7):
    garbage[i] = 0xFF
report("garbage_model", error_of(Model, garbage))
report("source_wrong_type", error_of(Model, 42))
report("unsupported_builtin", error_of(Model, generated + "/unsupported_builtin.tflite"))
report("unsupported_custom", error_of(Model, generated + "/unsupported_custom.tflite"))

# The arena.
needed = Model(hello).arena_used
report("arena_needed", needed)
report("arena_int_too_small", error_of(Model, hello, arena=needed - 1))
report("arena_int_zero", error_of(Model, hello, arena=0))
report("arena_int_negative", error_of(Model, hello, arena=-5))
report("arena_bytearray_too_small", error_of(Model, hello, arena=bytearray(needed - 1)))
report("arena_read_only", error_of(Model, hello, arena=bytes(needed)))
report("arena_wrong_type", error_of(Model, hello, arena="big"))
report("arena_positional", error_of(Model, hello, 1000))
report("unknown_keyword", error_of(Model, hello, arenna=1000))

m = Model(hello)
# Tensor indices.
report("input_index_1", error_of(m.input, 1))
report("input_index_negative", error_of(m.input, -1))
report("output_index_5", error_of(m.output, 5))

# Inputs of the wrong size or type, through predict() and through .data.
report("predict_two_bytes", error_of(m.predict, b"\x00\x00"))
report("predict_empty_bytes", error_of(m.predict, b""))
report("predict_int16_array", error_of(m.predict, array("h", [1])))
report("predict_two_floats", error_of(m.predict, [1.0, 2.0]))
report("predict_float_array_size", error_of(m.predict, array("f", [1.0, 2.0])))
report("predict_int", error_of(m.predict, 7))
report("predict_list_of_str", error_of(m.predict, ["x"]))
t = m.input()


def assign(tensor: object, value: object) -> None:
    tensor.data = value


report("data_assign_two_bytes", error_of(assign, t, b"\x00\x00"))
report("data_assign_float_array", error_of(assign, t, array("f", [1.0])) == "no error")
report("data_assign_int32_array", error_of(assign, t, array("i", [1])))
report("quantize_wrong_length", error_of(t.quantize, [1.0, 2.0]))
report("quantize_not_floats", error_of(t.quantize, b"\x01"))
report("dequantize_out_wrong_size", error_of(t.dequantize, array("f", [0.0, 0.0])))
report("dequantize_out_wrong_type", error_of(t.dequantize, bytearray(4)))
report("attribute_is_read_only", error_of(setattr, t, "shape", (2, 2)))

# Profiling is opt-in.
report("profile_off", error_of(m.profile))

# A failed construction leaves nothing behind that breaks the next one.
report("after_errors_predict", list(Model(hello).predict(b"\x10")))
