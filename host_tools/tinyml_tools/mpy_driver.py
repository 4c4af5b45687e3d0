# MicroPython script: runs one model on sets of inputs through `import tinyml`,
# the code path a board uses. Started by tinyml_tools.run as
#
#     micropython mpy_driver.py JOB_DIR
#
# JOB_DIR/job.json: {"natmod_dir": str, "model": str, "profile": bool,
#                    "sets": [[{"file": str, "dtype": str, "shape": [int]}, ...], ...]}
# For set s it writes output o's raw bytes to JOB_DIR/s{s}_o{o}.bin and prints one
# JSON line: {"arena_bytes", "state_bytes", "outputs": [{"dtype", "shape"}],
# "runs": [{"invoke_us", "profile": [[op, us], ...]}]}. On an error it prints
# {"error": "<Type>: <message>"} and exits with status 1.
# It is also valid CPython syntax so that ruff checks it.

import json
import sys
import time


def describe(dtype: str, shape: list) -> str:
    return "shape (" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ") " + dtype


def fill_input(model: object, index: int, spec: dict, job_dir: str) -> None:
    tensor = model.input(index)
    expected = list(tensor.shape)
    if spec["dtype"] != tensor.dtype or list(spec["shape"]) != expected:
        raise ValueError(
            "input "
            + str(index)
            + " expects "
            + describe(tensor.dtype, expected)
            + "; got "
            + describe(spec["dtype"], list(spec["shape"]))
        )
    with open(job_dir + "/" + spec["file"], "rb") as f:
        tensor.data = f.read()


def run(job_dir: str) -> dict:
    with open(job_dir + "/job.json") as f:
        job = json.load(f)
    sys.path.insert(0, job["natmod_dir"])
    import tinyml

    model = tinyml.Model(job["model"], profile=job["profile"])
    if len(job["sets"]) and len(job["sets"][0]) != len(model.inputs):
        raise ValueError(
            "the model has " + str(len(model.inputs)) + " input(s); got " + str(len(job["sets"][0]))
        )
    runs = []
    for s, inputs in enumerate(job["sets"]):
        if s:
            model.reset()
        for i, spec in enumerate(inputs):
            fill_input(model, i, spec, job_dir)
        start = time.ticks_us()
        model.invoke()
        invoke_us = time.ticks_diff(time.ticks_us(), start)
        for o, tensor in enumerate(model.outputs):
            with open(job_dir + "/s" + str(s) + "_o" + str(o) + ".bin", "wb") as f:
                f.write(tensor.data)
        runs.append({"invoke_us": invoke_us, "profile": model.profile() if job["profile"] else []})
    return {
        "arena_bytes": model.arena_used,
        "state_bytes": model.state_size,
        "outputs": [{"dtype": t.dtype, "shape": list(t.shape)} for t in model.outputs],
        "runs": runs,
    }


def main() -> None:
    try:
        report = run(sys.argv[1])
    except Exception as e:  # every failure goes back to the host as a message
        print(json.dumps({"error": type(e).__name__ + ": " + str(e)}))
        sys.exit(1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
