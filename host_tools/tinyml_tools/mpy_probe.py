# MicroPython script: what the runtime says about itself and about one model,
# through `import tinyml` (the code path a board uses). Started by
# tinyml_tools.runtime_info as
#
#     micropython mpy_probe.py NATMOD_DIR [MODEL.tflite]
#
# Prints one JSON line: {"version", "ops": [[name, max_version], ...],
# "model": {"arena_bytes", "state_bytes", "ops": [[name, version], ...],
#           "inputs"/"outputs": [{"dtype", "shape", "scale", "zero_point"}]}
#           or {"error": "<Type>: <message>"}}  ("model" only with a model path).
# It is also valid CPython syntax so that ruff checks it.

import json
import sys


def tensors(items: tuple) -> list:
    return [
        {"dtype": t.dtype, "shape": list(t.shape), "scale": t.scale, "zero_point": t.zero_point}
        for t in items
    ]


def describe_model(tinyml: object, path: str) -> dict:
    try:
        model = tinyml.Model(path)
    except Exception as e:  # the runtime's refusal goes back to the host as a message
        return {"error": type(e).__name__ + ": " + str(e)}
    return {
        "arena_bytes": model.arena_used,
        "state_bytes": model.state_size,
        "ops": [list(op) for op in model.ops],
        "inputs": tensors(model.inputs),
        "outputs": tensors(model.outputs),
    }


def main() -> None:
    sys.path.insert(0, sys.argv[1])
    import tinyml

    report = {"version": tinyml.version, "ops": [list(op) for op in tinyml.ops()]}
    if len(sys.argv) > 2:
        report["model"] = describe_model(tinyml, sys.argv[2])
    print(json.dumps(report))


if __name__ == "__main__":
    main()
