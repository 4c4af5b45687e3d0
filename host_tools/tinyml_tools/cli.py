"""The `tinyml` command line: host tools for tinyml models.

tinyml run MODEL.tflite --input in0.npy [--input in1.npy ...] --output-dir DIR
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
