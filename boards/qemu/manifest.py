# Frozen into the firmware (variables set by the Makefile):
#   TINYML_DEVICE_LIB        device_lib/, when it holds any .py
#   TINYML_FROZEN_MODEL_DIR  holds frozen_model.py (MODEL = b"...") when make got MODEL=
import os

# freeze() is provided by MicroPython's tools/manifestfile.py when it runs this file.

device_lib = os.environ.get("TINYML_DEVICE_LIB", "")
if device_lib:
    freeze(device_lib)  # noqa: F821

frozen_model_dir = os.environ.get("TINYML_FROZEN_MODEL_DIR", "")
if frozen_model_dir:
    freeze(frozen_model_dir, "frozen_model.py")  # noqa: F821
