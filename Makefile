# tinyml: the two things to run on a fresh machine are
#   make demo    a shared model running under `import tinyml` (unix-port MicroPython)
#   make test    every test (including the optional PyTorch front end's, in .venv-torch)
# Both install what they need first (scripts/setup.sh; apt-get needs root).

PY := .venv/bin/python
NATMOD_ARCHES := x64 armv6m armv7m armv7emsp armv7emdp

.PHONY: setup setup-torch demo test test-c test-py test-torch natmod natmods host fuzz bench lint docs sweep clean

setup:
	@bash scripts/setup.sh

# The optional PyTorch front end of tinyml-convert (about 1.8 GB), and its tests.
setup-torch:
	@bash scripts/setup.sh --torch

# test-torch installs the extra into its own venv, so that `make test` checks the
# base tools against requirements.lock alone (the extra moves three base pins).
test-torch: natmod
	@TINYML_VENV=.venv-torch bash scripts/setup.sh --torch
	@.venv-torch/bin/python -m pytest -q -m torch tests/tools

host: setup
	@$(MAKE) --no-print-directory -C tests/c all

natmod: setup
	@$(MAKE) --no-print-directory -C micropython_module/natmod ARCH=x64

natmods: setup
	@for a in $(NATMOD_ARCHES); do $(MAKE) --no-print-directory -C micropython_module/natmod ARCH=$$a || exit 1; done

demo: natmod
	@MICROPYPATH=build/natmod/x64 .venv/bin/micropython examples/hello_world.py
	@for clip in yes no; do echo; echo "== micro_speech on $${clip}_1000ms.wav"; \
	  MICROPYPATH=build/natmod/x64:device_lib .venv/bin/micropython examples/micro_speech.py \
	  ../shared/data/micro_speech/$${clip}_1000ms.wav || exit 1; done

test-c: host
	@$(MAKE) --no-print-directory -C tests/c check

test-py: host natmod
	@$(PY) -m pytest -q tests

lint: setup
	@.venv/bin/ruff check host_tools tests examples

fuzz: setup
	@bash scripts/fuzz.sh $(or $(SECONDS),600)

test: setup lint test-c natmods
	@bash scripts/fuzz.sh 30
	@$(PY) -m pytest -q tests
	@$(MAKE) --no-print-directory test-torch

# docs/operators.md, from the kernel records of a host build (a test fails when it is stale).
docs: host
	@PYTHONPATH=host_tools $(PY) -m tinyml_tools.operators_doc

# The larger operator sweep, on demand (not part of `make test`): every tests/ops
# case on input seeds 1..$(SWEEP_SEEDS) instead of its few CI seeds.
SWEEP_SEEDS ?= 20
sweep: host
	@PYTHONPATH=host_tools $(PY) -m pytest -q tests/ops --sweep $(SWEEP_SEEDS)

bench: host natmod
	@$(PY) -m tinyml_tools.bench

clean:
	rm -rf build
