"""Runs MicroPython's tools/mpy_ld.py, also accepting ARM absolute words in code.

mpy_ld (1.23) turns R_ARM_ABS32 into a load-time relocation only inside
.data.rel.ro. libgcc's soft-float division (divsf3.o, divdf3.o, linked into the
armv6m module) is not position independent: its switch tables in .rodata and
one literal in .text are absolute words. They get the same load-time
relocation here, which is what the .data.rel.ro handling already does for any
word of the module's text image.

Usage: python mpy_ld_arm_abs32.py MPY_DIR <mpy_ld.py arguments...>
"""

import sys


def main() -> None:
    mpy_dir = sys.argv[1]
    sys.argv = [f"{mpy_dir}/tools/mpy_ld.py", *sys.argv[2:]]
    sys.path.insert(0, f"{mpy_dir}/tools")
    import mpy_ld

    text_relocation = mpy_ld.do_relocation_text

    def relocate_text_or_abs32(env, text_addr, r):  # noqa: ANN001, ANN202
        if env.arch.name == "EM_ARM" and r["r_info_type"] == mpy_ld.R_ARM_ABS32:
            return mpy_ld.do_relocation_data(env, text_addr, r)
        return text_relocation(env, text_addr, r)

    mpy_ld.do_relocation_text = relocate_text_or_abs32
    mpy_ld.main()


if __name__ == "__main__":
    main()
