"""The `tinyml` command line: host tools for tinyml models.

tinyml run MODEL.tflite --input in0.npy [--input in1.npy ...] --output-dir DIR
tinyml bench MODEL.tflite [--target m4|m0]
tinyml inspect MODEL.tflite [--json]
tinyml compare MODEL.tflite --input in0.npy [--input in1.npy ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from tinyml_tools import __version__


class CommandError(Exception):
    """A problem to report to the user as one line, without a traceback."""


def _load_input(path: Path) -> np.ndarray:
    if not path.is_file():
        raise CommandError(f"input file not found: {path}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise CommandError(f"cannot read {path} as a .npy array: {e}") from e


def command_run(args: argparse.Namespace) -> int:
    from tinyml_tools.run import RunError, run_model

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    inputs = [_load_input(p) for p in args.input]
    try:
        result = run_model(model_path.read_bytes(), [inputs], profile=not args.no_profile)
    except RunError as e:
        raise CommandError(str(e)) from e
    out_dir: Path = args.output_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for o, y in enumerate(result.sets[0].outputs):
        np.save(out_dir / f"output{o}.npy", y)
    print(json.dumps(result.summary()))
    return 0


def command_bench(args: argparse.Namespace) -> int:
    from tinyml_tools.board_bench import BoardBenchError, run_bench

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    try:
        figures = run_bench(args.target, model_path, args.firmware)
    except BoardBenchError as e:
        raise CommandError(str(e)) from e
    print(json.dumps(figures.to_json_dict()))
    return 0


def command_inspect(args: argparse.Namespace) -> int:
    from tinyml_tools.inspect_cmd import inspect_model, json_text, text_report
    from tinyml_tools.run import RunError
    from tinyml_tools.tflite_file import TfliteFileError

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    try:
        inspection = inspect_model(model_path.read_bytes())
    except (TfliteFileError, RunError) as e:
        raise CommandError(f"{model_path}: {e}") from e
    print(json_text(inspection) if args.json else "\n".join(text_report(inspection, not args.no_tensors)))
    return 0 if inspection.compatible else 2


def command_compare(args: argparse.Namespace) -> int:
    from tinyml_tools import compare
    from tinyml_tools.run import RunError
    from tinyml_tools.tflite_file import TfliteFileError, read_tflite
    from tinyml_tools.tflm import TflmError

    model_path: Path = args.model
    if not model_path.is_file():
        raise CommandError(f"model file not found: {model_path}")
    model = model_path.read_bytes()
    inputs = [_load_input(p) for p in args.input]
    try:
        parsed = read_tflite(model)
        if len(inputs) != len(parsed.inputs):
            raise CommandError(f"the model has {len(parsed.inputs)} input(s); got {len(inputs)} --input")
        result = compare.compare_model(model, inputs)
    except (TfliteFileError, RunError, TflmError) as e:
        raise CommandError(str(e)) from e
    print("\n".join(compare.text_report(result, parsed)))
    return 0 if result.same else 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyml",
        description="Host tools for tinyml, machine learning on microcontrollers from MicroPython.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="run a .tflite model through the MicroPython module, as on a board",
        description=(
            "Run MODEL once on the given inputs with the x64 native module (`import tinyml`) under "
            "the unix port of MicroPython, the same code that runs on a board. Writes "
            "DIR/output0.npy, DIR/output1.npy, ... in each output's dtype and shape, and prints one "
            "JSON line: arena_bytes, state_bytes, invoke_us and the per-operator profile."
        ),
    )
    run.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    run.add_argument(
        "--input",
        type=Path,
        action="append",
        default=[],
        metavar="IN.npy",
        help="a .npy array for the next model input, in the input's exact dtype and shape (repeat per input)",
    )
    run.add_argument(
        "--output-dir", type=Path, required=True, metavar="DIR", help="where to write output<N>.npy"
    )
    run.add_argument(
        "--no-profile", action="store_true", help="turn the per-operator clock off (invoke_us only)"
    )
    run.set_defaults(handler=command_run)

    bench = commands.add_parser(
        "bench",
        help="count the instructions of one invoke on an emulated Cortex-M board (QEMU)",
        description=(
            "Run MODEL on an emulated board (boards/qemu, qemu-system-arm with -icount) on the "
            "perf-anchors input (byte i = (7*i) mod 256) and print one JSON object: retired "
            "instructions of one invoke (exact, the same every run), instructions per MAC, MACs, "
            "arena/state/model bytes, the raw outputs and the instructions of each operator. "
            "m4: the mps2-an386 firmware with tinyml built in; m0: a micro:bit firmware built for "
            "this model (its operators only, the model frozen in flash)."
        ),
    )
    bench.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    bench.add_argument("--target", choices=["m4", "m0"], default="m4", help="emulated core (default m4)")
    bench.add_argument(
        "--firmware", type=Path, metavar="ELF", help="use this firmware instead of building the target's"
    )
    bench.set_defaults(handler=command_bench)

    inspect = commands.add_parser(
        "inspect",
        help="show a model's operators, tensors and quantization, and whether the runtime runs it",
        description=(
            "Describe MODEL: size, inputs and outputs, each operator (version, layer, and whether "
            "this build of the runtime carries it), each tensor with its quantization, metadata, and "
            "the arena and state bytes the runtime's planner lays out. The runtime is asked directly "
            "(tinyml.ops() and tinyml.Model under the unix port). Exit status 2 if it cannot run MODEL."
        ),
    )
    inspect.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to describe")
    inspect.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    inspect.add_argument("--no-tensors", action="store_true", help="leave the tensor table out")
    inspect.set_defaults(handler=command_inspect)

    compare = commands.add_parser(
        "compare",
        help="run a model in tinyml and in TFLM (the oracle) and compare every output",
        description=(
            "Run MODEL on the given inputs in tinyml (the x64 native module) and in TensorFlow Lite "
            "Micro, compare each output element by element and name the first intermediate tensor "
            "(operator and layer) on which they differ. Exit status 3 if any output differs."
        ),
    )
    compare.add_argument("model", type=Path, metavar="MODEL.tflite", help="the model to run")
    compare.add_argument(
        "--input",
        type=Path,
        action="append",
        required=True,
        metavar="IN.npy",
        help="a .npy array for the next model input, in the input's exact dtype and shape (repeat per input)",
    )
    compare.set_defaults(handler=command_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except CommandError as e:
        print(f"tinyml {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
