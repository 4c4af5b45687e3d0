"""Print the size of a firmware ELF and the share of the tinyml engine in it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def text_data_bss(path: Path) -> tuple[int, int, int]:
    """Sizes in bytes as reported by arm-none-eabi-size (Berkeley format)."""
    out = subprocess.run(["arm-none-eabi-size", str(path)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(field) for field in out.splitlines()[1].split()[:3])
    return text, data, bss


def main() -> int:
    elf = Path(sys.argv[1])
    build = Path(sys.argv[2])
    text, data, bss = text_data_bss(elf)
    print(f"firmware {elf}: text {text} B, data {data} B, bss {bss} B")
    engine_objects = sorted(build.glob("micropython_module/**/*.o"))
    if not engine_objects:
        print("tinyml: not built in (no micropython_module/micropython.mk)")
        return 0
    totals = [text_data_bss(obj) for obj in engine_objects]
    engine_text = sum(t for t, _, _ in totals)
    engine_data = sum(d for _, d, _ in totals)
    print(
        f"tinyml module + engine objects: text {engine_text} B"
        f" ({100 * engine_text / text:.1f}% of the firmware text), data {engine_data} B (before gc-sections)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
