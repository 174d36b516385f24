# make book  set up .venv (if needed), execute every stale notebook, build _build/html/
# make test  set up .venv (if needed), check the code's style (ruff) and run the test suite
#            (installs Chromium and TeX Live if missing)
# make quick the quick tests alone (no book built, no full-length training): about two minutes
# make pdf   the whole book as one PDF, _build/latex/trauma-as-training-data.pdf (installs TeX Live if missing)
# make run   one default Model 1 sweep into results/ (no book)
# make bench each model's default sweep vs the plain per-model loop; Model 1 networks/s and memory at 50-1,000 networks

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: setup book pdf run test quick bench chromium texlive clean

setup: $(INSTALLED)

# torch is installed on its own first, pinned exactly, so that nothing can pull a
# newer (CUDA, several GB) build; constraints.txt pins every other package.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[book,test,distributed]"
	touch $@

book: $(INSTALLED)
	$(BIN)/trauma book

# Sphinx's LaTeX builder (settings in _config.yml, tables in trauma/book/extension.py),
# then pdflatex through latexmk, stopping at the first LaTeX error.
pdf: $(INSTALLED) texlive
	$(BIN)/jupyter-book build . --builder latex -W -n --keep-going
	$(MAKE) -C _build/latex all-pdf LATEXMKOPTS="-silent -halt-on-error" || \
	  (grep -A5 '^!' _build/latex/trauma-as-training-data.log; exit 1)
	@echo "The PDF: _build/latex/trauma-as-training-data.pdf"

run: $(INSTALLED)
	$(BIN)/trauma sweep extreme-penalty --out results/extreme_penalty

test: $(INSTALLED) chromium texlive
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q --durations=15

quick: $(INSTALLED)
	$(BIN)/python -m pytest -q -m "not slow"

# The book's browser test needs a real headless browser: Debian's chromium.
chromium:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

# The PDF needs Debian's TeX Live (pdflatex, latexmk, the packages and fonts Sphinx's
# LaTeX uses); its test reads the PDF with poppler-utils (pdftotext, pdftoppm).
texlive:
	@command -v latexmk >/dev/null && command -v pdftoppm >/dev/null && kpsewhich fncychap.sty tgtermes.sty >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq latexmk texlive-latex-recommended texlive-fonts-recommended \
	    texlive-latex-extra tex-gyre poppler-utils >/dev/null)

bench: $(INSTALLED)
	$(BIN)/python benchmarks/ensemble_vs_loop.py
	$(BIN)/python benchmarks/ensemble_vs_loop.py --model noisy-signals
	$(BIN)/python benchmarks/ensemble_vs_loop.py --model limited-dataset
	$(BIN)/python benchmarks/ensemble_vs_loop.py --model catastrophic-forgetting
	$(BIN)/python benchmarks/grid_scaling.py
	$(BIN)/python benchmarks/grid_scaling.py --workers 2

clean:
	rm -rf $(VENV) results _build book/generated
