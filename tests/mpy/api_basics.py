# MicroPython: the tinyml API on the reference models, every feature once.
# Usage: MICROPYPATH=NATMOD_DIR micropython api_basics.py MODELS_DIR
import sys
from array import array

import tinyml
from report import read, report

models = sys.argv[1]

report("version", tinyml.version)
report("supported_ops", [tuple(op) for op in tinyml.ops()])

hello_path = models + "/hello_world_int8.tflite"
hello_bytes = read(hello_path)

# The same model from a path, bytes, bytearray and memoryview gives the same answer.
for kind, source in (
    ("path", hello_path),
    ("bytes", hello_bytes),
    ("bytearray", bytearray(hello_bytes)),
    ("memoryview", memoryview(hello_bytes)),
):
    m = tinyml.Model(source)
    report("predict_from_" + kind, list(m.predict(b"\x10")))

m = tinyml.Model(hello_bytes)
report("ops", m.ops)
report("arena_size_is_planned", m.arena_size == m.arena_used)
report("arena_used", m.arena_used)
report("state_size", m.state_size)
report("num_inputs", len(m.inputs))
report("num_outputs", len(m.outputs))
report("model_repr", repr(m))

t = m.input()
report("input_shape", t.shape)
report("input_dtype", t.dtype)
report("input_scale", t.scale)
report("input_zero_point", t.zero_point)
report("input_len", len(t))
report("input_nbytes", t.nbytes)
report("input_repr", repr(t))
report("input_data_typecode_int8", t.data[0] == 0 and repr(t.data) == "<memoryview>")
report("inputs_tuple_is_input_0", m.inputs[0].shape == m.input(0).shape)

# Zero copy: bytes written through .data are what invoke() reads, and an output
# view taken before invoke() shows the new result afterwards.
out_view = m.output().data
m.input().data[0] = 0x10
m.invoke()
report("output_via_view_before_invoke", out_view[0])
report("output_via_fresh_view", m.output().data[0])
report("output_scale", m.output().scale)
report("output_zero_point", m.output().zero_point)
report("predict_bytes_0x10", list(m.predict(b"\x10")))

# Assigning .data copies a buffer in (raw bytes or a buffer of the tensor's typecode).
m.input().data = b"\x20"
report("data_assign_bytes", m.input().data[0])
m.input().data = array("b", [-3])
report("data_assign_array_b", m.input().data[0])

# quantize(): the engine's rounding, (int)roundf(x / scale) + zero_point, clamped.
t = m.input()
s, zp = t.scale, t.zero_point
for x in (0.0, 1.0, 1.5, -0.3, 2.5 * s, -2.5 * s, 1e9, -1e9):
    t.quantize([x])
    report("quantize(" + repr(x) + ")", t.data[0])
t.quantize(array("f", [1.0]))
report("quantize_array_f", t.data[0])
report("dequantize_of_quantized_1.0", list(t.dequantize()))
out = array("f", [0.0])
report("dequantize_into_out_is_out", t.dequantize(out) is out)
report("dequantize_into_out", list(out))

# predict(): floats in (quantized for an int8 input), dequantized floats out.
y = m.predict([1.0])
report("predict_list_type", type(y) is array)
report("predict_list", list(y))
report("predict_array_f", list(m.predict(array("f", [1.0]))))
raw = bytearray(1)
raw[0] = -87 & 0xFF  # quantize(1.0), as raw int8 bytes
report("predict_raw_bytes", list(m.predict(bytes(raw))))
report("predict_raw_bytearray", list(m.predict(raw)))
report("predict_raw_array_b", list(m.predict(array("b", [-87]))))

# reset() keeps the model usable and (no variable tensors here) changes nothing.
m.reset()
report("predict_after_reset", list(m.predict([1.0])))

# Profiling: one (op, microseconds) per operator of the last invoke.
mp = tinyml.Model(hello_bytes, profile=True)
mp.predict([0.5])
prof = mp.profile()
report("profile_ops", [name for name, us in prof])
report("profile_times_are_ints", all(isinstance(us, int) and us >= 0 for name, us in prof))

# A float model: floats in and out, raw.
f = tinyml.Model(models + "/hello_world_float.tflite")
report("float_input_dtype", f.input().dtype)
report("float_input_typecode_view", f.input().data[0] == 0.0)
report("float_predict", list(f.predict([1.0])))
report("float_predict_array", list(f.predict(array("f", [1.0]))))
f.input().quantize([0.25])
report("float_quantize_stores_value", f.input().data[0])
report("float_dequantize", list(f.input().dequantize()))

# A bigger model: KWS, int8, shape (1, 49, 10, 1) -> (1, 12).
k = tinyml.Model(models + "/kws_ref_model.tflite", profile=True)
report("kws_input_shape", k.input().shape)
report("kws_output_shape", k.output().shape)
report("kws_ops", [name for name, version in k.ops])
probs = k.predict(bytes(490))
report("kws_predict_len", len(probs))
report("kws_probabilities_sum", round(sum(probs), 2))
report("kws_profile_len", len(k.profile()))
