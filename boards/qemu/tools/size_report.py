"""Print the size of a firmware ELF and the share of the tinyml engine in it.

The engine's share is read from the linker map (firmware.map, beside the ELF):
the input sections that survived --gc-sections, attributed to their object
files, so it is what the engine really adds to the image.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

# " .text.name  0xADDRESS  0xSIZE  object.o" (the name may stand on the line before);
# archive members read "lib.a(member.o)".
_MAP_ENTRY = re.compile(r"^ (\.[\w.$]+)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+\.o\)?)\s*$")
_MAP_NAME_ONLY = re.compile(r"^ (\.[\w.$]+)\s*$")


def text_data_bss(path: Path) -> tuple[int, int, int]:
    """Sizes in bytes as reported by arm-none-eabi-size (Berkeley format)."""
    out = subprocess.run(["arm-none-eabi-size", str(path)], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(field) for field in out.splitlines()[1].split()[:3])
    return text, data, bss


def section_kind(name: str) -> str:
    if name.startswith((".text", ".rodata")):
        return "text"
    if name.startswith(".data"):
        return "data"
    if name.startswith(".bss"):
        return "bss"
    return "other"


def linked_sizes(map_file: Path) -> Counter[tuple[str, str]]:
    """Bytes per (object file, kind) placed in the image, from a GNU ld map."""
    text = map_file.read_text(encoding="utf-8", errors="replace")
    start = text.find("Linker script and memory map")
    sizes: Counter[tuple[str, str]] = Counter()
    pending: str | None = None
    for line in text[start:].splitlines():
        entry = _MAP_ENTRY.match(line)
        if entry:
            name = entry.group(1) or pending
            if name and int(entry.group(2), 16) != 0:
                sizes[(entry.group(4), section_kind(name))] += int(entry.group(3), 16)
            pending = None
            continue
        name_only = _MAP_NAME_ONLY.match(line)
        pending = name_only.group(1) if name_only else None
    return sizes


def main() -> int:
    elf = Path(sys.argv[1])
    build = Path(sys.argv[2])
    text, data, bss = text_data_bss(elf)
    print(f"firmware {elf}: text {text} B, data {data} B, bss {bss} B")
    map_file = build / "firmware.map"
    if not any(build.glob("micropython_module/**/*.o")):
        print("tinyml: not built in (no micropython_module/micropython.mk)")
        return 0
    if not map_file.exists():
        print(f"tinyml: no linker map {map_file}")
        return 0
    sizes = linked_sizes(map_file)

    def share(select: str, kind: str) -> int:
        return sum(size for (obj, k), size in sizes.items() if k == kind and select in obj)

    engine_text = share("/micropython_module/", "text")
    engine_data = share("/micropython_module/", "data") + share("/micropython_module/", "bss")
    runtime_text = share("libgcc.a(", "text") + share("libm.a(", "text") + share("libc.a(", "text")
    print(
        f"tinyml module + engine, linked: text {engine_text} B ({100 * engine_text / text:.1f}% of the"
        f" firmware text), data+bss {engine_data} B; libgcc/libm/libc: text {runtime_text} B"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
