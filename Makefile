# make run   set up .venv (if needed) and run the default Model 1 sweep into results/
# make test  set up .venv (if needed) and run the test suite
# make bench ensemble trainer vs the plain per-model loop

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup run test bench clean

setup: $(INSTALLED)

# torch is installed on its own first, pinned exactly, so that nothing can pull a
# newer (CUDA, several GB) build; constraints.txt pins every other package.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

run: $(INSTALLED)
	$(BIN)/trauma sweep extreme-penalty --out results/extreme_penalty

test: $(INSTALLED)
	$(BIN)/python -m pytest -q

bench: $(INSTALLED)
	$(BIN)/python benchmarks/ensemble_vs_loop.py

clean:
	rm -rf $(VENV) results _build
