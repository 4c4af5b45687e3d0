# MicroPython: who owns which memory, zero copy, and no growth when models come and go.
# Usage: MICROPYPATH=NATMOD_DIR micropython api_memory.py MODELS_DIR
import gc
import sys

import tinyml
from report import error_of, read, report

models = sys.argv[1]

hello_path = models + "/hello_world_int8.tflite"
hello = read(hello_path)
kws = read(models + "/kws_ref_model.tflite")

# A size in bytes: that many bytes, more than planned is fine.
m = tinyml.Model(hello, arena=1000)
report("arena_int_size", m.arena_size)
report("arena_int_used", m.arena_used)
report("arena_int_predict", list(m.predict(b"\x10")))


def contains(buffer: bytearray, byte: int) -> bool:
    return any(b == byte for b in buffer)


# A caller-owned bytearray is used in place: tensor bytes live inside it.
arena = bytearray(200)
m = tinyml.Model(hello, arena=arena)
report("arena_bytearray_size", m.arena_size)
m.input().data[0] = 0x5A
report("input_byte_is_in_caller_arena", contains(arena, 0x5A))
m.invoke()
report("output_byte_is_in_caller_arena", contains(arena, m.output().data[0] & 0xFF))
report("arena_bytearray_predict", list(m.predict(b"\x10")))

# A view of the output outlives its Model and keeps the arena alive: the freed
# heap is refilled with 0x77 bytes, and the view still reads the model's result.
m = tinyml.Model(hello)
m.predict(b"\x10")
view = m.output().data
result = view[0]
m = None
gc.collect()
filler = [bytearray(b"\x77" * 48) for _ in range(400)]
report("view_outlives_model", view[0] == result)
filler = None


def churn(source: object, rounds: int, **kwargs: object) -> None:
    for _ in range(rounds):
        model = tinyml.Model(source, **kwargs)
        model.predict(b"\x10" if len(model.input()) == 1 else bytes(len(model.input())))
    model = None


def heap_growth(source: object, rounds: int, **kwargs: object) -> int:
    churn(source, 3, **kwargs)  # warm up: qstrs, module-level caches
    gc.collect()
    before = gc.mem_free()
    churn(source, rounds, **kwargs)
    gc.collect()
    return before - gc.mem_free()


report("growth_after_100_models_from_bytes", heap_growth(hello, 100))
report("growth_after_100_models_from_path", heap_growth(hello_path, 100))
report("growth_after_20_kws_models", heap_growth(kws, 20, profile=True))


def failing_loads(rounds: int) -> None:
    for _ in range(rounds):
        error_of(tinyml.Model, hello[:100])
        error_of(tinyml.Model, hello, arena=3)


failing_loads(3)
gc.collect()
before = gc.mem_free()
failing_loads(100)
gc.collect()
report("growth_after_200_failed_loads", before - gc.mem_free())


# One Model's heap footprint: the object, state and arena; model bytes given
# as a buffer are not copied, a file is read once.
def footprint(source: object) -> tuple:
    m = None
    gc.collect()
    before = gc.mem_free()
    m = tinyml.Model(source)
    gc.collect()
    return before - gc.mem_free(), m


used, m = footprint(kws)
report("kws_model_bytes", len(kws))
report("kws_arena", m.arena_size)
report("kws_state", m.state_size)
report("kws_from_bytes_footprint_excess", used - (m.arena_size + m.state_size))
used, m = footprint(models + "/kws_ref_model.tflite")
report("kws_from_path_footprint_excess", used - (len(kws) + m.arena_size + m.state_size))
