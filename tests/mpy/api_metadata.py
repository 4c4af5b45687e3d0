# MicroPython: Model.metadata(), the model's metadata entries as zero-copy views.
# Usage: MICROPYPATH=NATMOD_DIR micropython api_metadata.py MODELS_DIR GENERATED_DIR
# (GENERATED_DIR holds tagged.tflite: hello_world with a "tinyml" entry)
import gc
import sys

import tinyml
from report import error_of, read, report

models = sys.argv[1]
tagged_path = sys.argv[2] + "/tagged.tflite"

hello = tinyml.Model(read(models + "/hello_world_int8.tflite"))
view = hello.metadata("min_runtime_version")
report("named_entry_type", type(view).__name__)
report("named_entry_bytes", bytes(view))
report("default_name_absent", hello.metadata())
report("absent_entry", hello.metadata("no_such_entry"))
report("name_by_keyword", bytes(hello.metadata(name="min_runtime_version")) == bytes(view))


def write_into(v: memoryview) -> None:
    v[0] = 1


report("view_is_read_only", error_of(write_into, view))

# The default entry is "tinyml"; the view survives its Model and the model bytes
# it was read into (a path is read into a block the view points into).
tagged = tinyml.Model(tagged_path)
report("tinyml_entry", bytes(tagged.metadata()))
view = tagged.metadata("tinyml")
del tagged
gc.collect()
junk = [bytearray(64) for _ in range(2000)]
report("view_after_model_dropped", bytes(view))
del junk

# Each call is a new small view object; the model bytes are not copied.
data = bytearray(read(tagged_path))
tagged = tinyml.Model(data)
before = bytes(tagged.metadata())
start = bytes(data).find(before)
report("view_points_into_model_bytes", start > 0 and bytes(data[start : start + len(before)]) == before)

report("error_name_not_str", error_of(hello.metadata, 3))
report("error_name_too_long", error_of(hello.metadata, "x" * 65))
report("error_unknown_keyword", error_of(hello.metadata, label="x"))
