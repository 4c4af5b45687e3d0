#!/usr/bin/env bash
# Installs everything the project needs on a fresh machine (idempotent):
# Debian toolchains (as root), a venv with the pinned, hash-checked host
# dependencies and this project, and the MicroPython 1.23 core sources.
#   --torch   also the optional PyTorch front end of tinyml-convert
#             (requirements-torch.lock: torch CPU, litert-torch; about 1.8 GB)
# TINYML_VENV chooses another venv than .venv (e.g. a throw-away one).
set -euo pipefail
torch=0
for arg in "$@"; do
    case "$arg" in
        --torch) torch=1 ;;
        *) echo "setup: unknown option $arg (known: --torch)" >&2; exit 2 ;;
    esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

debs="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm clang libclang-rt-14-dev"
missing=""
for d in $debs; do
    dpkg -s "$d" >/dev/null 2>&1 || missing="$missing $d"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "setup: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
        exit 1
    fi
    echo "setup: installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

venv=${TINYML_VENV:-.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp=$venv/.tinyml-lock-$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
    echo "setup: installing Python dependencies into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e .
    rm -f "$venv"/.tinyml-lock-* "$venv"/.tinyml-torch-lock-*
    touch "$stamp"
fi
if [ "$torch" = 1 ]; then
    torch_stamp=$venv/.tinyml-torch-lock-$(sha256sum requirements.lock requirements-torch.lock | sha256sum | cut -c1-16)
    if [ ! -f "$torch_stamp" ]; then
        echo "setup: installing the PyTorch extra into $venv (torch CPU, litert-torch)"
        # On top of requirements.lock: it moves setuptools, immutabledict and typing-extensions.
        "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r requirements-torch.lock
        rm -f "$venv"/.tinyml-torch-lock-*
        touch "$torch_stamp"
    fi
fi

scripts/fetch_micropython.sh >/dev/null
echo "setup: ready"
