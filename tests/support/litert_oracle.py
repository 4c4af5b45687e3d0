"""LiteRT's reference kernels (pip ai-edge-litert) as the reference for hybrid models.

TFLM refuses dynamic-range ("hybrid") models, so for those the reference is
LiteRT's interpreter with OpResolverType.BUILTIN_REF (its reference kernels,
not XNNPACK). It runs in a subprocess, as the TFLM oracle does, so that a
crash in LiteRT cannot take the test process with it; one subprocess serves
any number of models.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["LiteRtError", "litert_run_jobs", "litert_run_many"]

# Per model: its outputs for every input set, or the error LiteRT raised.
_RUNNER = r"""
import sys
import numpy as np
from ai_edge_litert import interpreter as litert

data = np.load(sys.argv[1])
results = {}
for j in range(int(data["jobs"])):
    try:
        ip = litert.Interpreter(
            model_content=data[f"model_{j}"].tobytes(),
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_REF,
        )
        ip.allocate_tensors()
        ins, outs = ip.get_input_details(), ip.get_output_details()
        for s in range(int(data[f"sets_{j}"])):
            for i, d in enumerate(ins):
                ip.set_tensor(d["index"], data[f"in_{j}_{s}_{i}"])
            ip.invoke()
            for o, d in enumerate(outs):
                results[f"out_{j}_{s}_{o}"] = ip.get_tensor(d["index"])
    except Exception as e:  # noqa: BLE001 (reported to the caller per model)
        results[f"error_{j}"] = np.array(str(e).replace("\n", " "))
np.savez(sys.argv[2], **results)
"""


class LiteRtError(RuntimeError):
    """LiteRT refused or failed to run a model (its message included)."""


def litert_run_jobs(
    jobs: list[tuple[bytes, list[list[np.ndarray]]]],
) -> list[list[list[np.ndarray]] | LiteRtError]:
    """For each (model, input sets): LiteRT's outputs per input set, or the LiteRtError it raised."""
    with tempfile.TemporaryDirectory() as tmp:
        given, taken = Path(tmp, "in.npz"), Path(tmp, "out.npz")
        arrays: dict[str, np.ndarray] = {"jobs": np.array(len(jobs))}
        for j, (model, input_sets) in enumerate(jobs):
            arrays[f"model_{j}"] = np.frombuffer(model, np.uint8)
            arrays[f"sets_{j}"] = np.array(len(input_sets))
            for s, inputs in enumerate(input_sets):
                for i, x in enumerate(inputs):
                    arrays[f"in_{j}_{s}_{i}"] = x
        np.savez(given, **arrays)
        result = subprocess.run(
            [sys.executable, "-c", _RUNNER, str(given), str(taken)],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            raise LiteRtError(lines[-1] if lines else f"LiteRT exited with {result.returncode}")
        answers: list[list[list[np.ndarray]] | LiteRtError] = []
        with np.load(taken) as out:
            for j, (_, input_sets) in enumerate(jobs):
                if f"error_{j}" in out.files:
                    answers.append(LiteRtError(str(out[f"error_{j}"])))
                    continue
                n_out = sum(1 for k in out.files if k.startswith(f"out_{j}_0_"))
                answers.append(
                    [[out[f"out_{j}_{s}_{o}"] for o in range(n_out)] for s in range(len(input_sets))]
                )
        return answers


def litert_run_many(model: bytes, input_sets: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """LiteRT's outputs for each input set of one model; LiteRtError if it refuses the model."""
    (answer,) = litert_run_jobs([(model, input_sets)])
    if isinstance(answer, LiteRtError):
        raise answer
    return answer
