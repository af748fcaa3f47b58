# The book's commands. `make book` and `make test` set up everything they need on a fresh machine
# (Python 3.11, make and git): a virtual environment in .venv with the exact pins of requirements.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
NOTEBOOKS = $(shell find book -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort)
JOBS  ?= 2

# One BLAS/OpenMP thread per process: the book's arrays are small, and 2 notebooks run side by side on 2 cores
# (make execute, make test); extra BLAS threads only spin and compete. Same setting when storing and testing.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

.PHONY: help venv book test unit nbtest nbtest-generic mutate execute toc coverage bench lab serve lint lock clean practice
.PHONY: vendor pages test-browser

# Front-end files the site serves itself (MathJax, RequireJS, the ipywidgets HTML manager): pinned in
# package.json / package-lock.json, installed by `npm ci` into node_modules, copied into $(VENDOR), which
# _config.yml lists in html_static_path. Not named _static: Jupyter Book would inject every .js in it into
# every page.
NPM_STAMP    := node_modules/.mlsheet-installed
VENDOR       := _vendor
VENDOR_STAMP := $(VENDOR)/.vendored
CHROMIUM     ?= /usr/bin/chromium

help:
	@echo "make book      build the static site into _build/html (warnings are errors)"
	@echo "make test      unit tests, every notebook with nbval (this CPU, then a generic x86-64 profile), browser"
	@echo "make nbtest-generic  the notebooks under the generic CPU profile only (check a new page with it)"
	@echo "make execute   re-run notebooks in place, storing outputs, widget state and the site's frames (NB=path for one)"
	@echo "make toc       regenerate _toc.yml from the notebooks' heading ids"
	@echo "make coverage  list the sheet's headings that still lack a notebook"
	@echo "make bench     time notebooks, widget updates and implementations vs references"
	@echo "make lab       open the book in JupyterLab"
	@echo "make serve     serve _build/html on http://127.0.0.1:8000"
	@echo "make lint      ruff over the package, the tests and the notebooks"
	@echo "make pages     regenerate the appendix pages (corrections, interview questions, practice) from the notebooks"
	@echo "make practice  write each page's Practice section from mlsheet_utils/practice (then make execute NB=...)"
	@echo "make mutate    perturb each implementation a notebook presents and re-run it: a check must fail (NB=path)"
	@echo "make test-browser  check the built site and the live widgets in Chromium (builds the site if missing)"

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(VENDOR_STAMP): $(NPM_STAMP)
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/mathjax/output/chtml/fonts $(VENDOR)/mathjax/input/tex $(VENDOR)/requirejs \
		$(VENDOR)/html-manager
	cp node_modules/mathjax/es5/tex-chtml.js $(VENDOR)/mathjax/
	cp -r node_modules/mathjax/es5/output/chtml/fonts/woff-v2 $(VENDOR)/mathjax/output/chtml/fonts/
	cp -r node_modules/mathjax/es5/input/tex/extensions $(VENDOR)/mathjax/input/tex/
	cp node_modules/requirejs/require.js $(VENDOR)/requirejs/
	cp node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js \
		node_modules/@jupyter-widgets/html-manager/dist/*.woff2 \
		node_modules/@jupyter-widgets/html-manager/dist/*.woff \
		node_modules/@jupyter-widgets/html-manager/dist/*.ttf $(VENDOR)/html-manager/
	touch $@

vendor: $(VENDOR_STAMP)

pages: $(STAMP)
	$(PY) -m mlsheet_utils.tools.pages

practice: $(STAMP)
	$(PY) -m mlsheet_utils.tools.practice

book: $(STAMP) $(VENDOR_STAMP)
	$(PY) -m mlsheet_utils.tools.book toc --check
	$(PY) -m mlsheet_utils.tools.pages --check
	$(BIN)/jupyter-book build . --all -W -n --keep-going
	@echo "Open $(CURDIR)/_build/html/index.html (or run: make serve)"

unit: $(STAMP)
	$(BIN)/pytest tests --ignore=tests/browser -n $(JOBS)

NBVAL = --nbval $(NOTEBOOKS) --nbval-sanitize-with tests/sanitize.cfg --nbval-current-env -n $(JOBS) --dist loadfile

# Stored outputs must hold on every machine, not only the CPU that wrote them. OpenBLAS and NumPy pick their
# kernels by CPU at run time, so `make test` re-executes the notebooks a second time under a generic profile
# that every x86-64 CPU can run (tests/generic-cpu.env: OpenBLAS's Nehalem kernels, NumPy's SIMD loops limited
# to the x86-64-v2 baseline). tests/test_cpu_profile.py checks that the profile takes effect.
GENERIC_CPU := $(shell cat tests/generic-cpu.env)

nbtest: $(STAMP)
	$(BIN)/pytest $(NBVAL)

nbtest-generic: $(STAMP)
	@if [ "$$(uname -m)" != x86_64 ]; then echo "SKIPPED generic-CPU notebook pass: not an x86-64 machine"; \
	else echo "== notebooks again under the generic x86-64 profile: $(GENERIC_CPU)"; \
		env $(GENERIC_CPU) $(BIN)/pytest $(NBVAL); fi

test: $(STAMP)
	$(BIN)/pytest tests --ignore=tests/browser $(NBVAL)
	$(MAKE) nbtest-generic
	$(MAKE) test-browser

# The site in a real browser and the widgets live in JupyterLab (tests/browser); skipped with a message when
# Chromium is missing. Uses the built site, building it first if there is none.
test-browser: $(STAMP)
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "SKIPPED browser tests: $(CHROMIUM) not found (install it: apt-get install -y chromium)"; \
	else \
		{ test -f _build/html/index.html || $(MAKE) book; } && $(BIN)/pytest tests/browser -v; \
	fi

# Mutation test (mlsheet_utils/mutation.py): every implementation a notebook presents is perturbed in turn (its
# outputs off by 0.1%) and the notebook re-executed; a notebook where a mutant survives fails the target.
# `NB=` given but empty (an unset shell variable) is a mistake, not a request for every notebook: refuse it.
define refuse_empty_nb
	@if [ "$(origin NB)" = "command line" ] && [ -z "$(strip $(NB))" ]; then \
		echo "NB= is empty: name the notebooks (NB=\"a.ipynb b.ipynb\"), or leave NB out for all of them" >&2; \
		exit 2; fi
endef

mutate: $(STAMP)
	$(refuse_empty_nb)
	$(PY) -m mlsheet_utils.checks.mutation -j $(JOBS) $(NB)

execute: $(STAMP)
	$(refuse_empty_nb)
	$(PY) -m mlsheet_utils.tools.book execute -j $(JOBS) $(NB)

toc: $(STAMP)
	$(PY) -m mlsheet_utils.tools.book toc

coverage: $(STAMP)
	$(PY) -m mlsheet_utils.tools.book coverage

bench: $(STAMP)
	$(PY) -m mlsheet_utils.tools.bench

# --allow-root only when run as root (as in many containers); JupyterLab refuses root without it.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 $$([ "$$(id -u)" -eq 0 ] && echo --allow-root) book

serve:
	@test -f _build/html/index.html || { echo "no site yet: run make book first"; exit 1; }
	$(PY) -m http.server --bind 127.0.0.1 --directory _build/html 8000

lint: $(STAMP)
	$(BIN)/ruff check mlsheet_utils tests book

lock: $(STAMP)
	@echo "# Exact pins of everything the book uses (generated by make lock from requirements.in)." > requirements.txt
	$(PY) -m pip freeze --exclude-editable >> requirements.txt
	@echo "-e ." >> requirements.txt

clean:
	rm -rf _build $(VENDOR)
