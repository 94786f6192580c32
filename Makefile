# Two commands do all the set-up on a fresh machine (Python >= 3.11):
#   make demo   install into .venv, then serve the embedded 令和7年8月1日 list at http://127.0.0.1:8000
#   make test   install into .venv (with test tools), then run ruff, mypy and the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo check test install data bench messages constraints wheel

$(BIN)/.installed: pyproject.toml setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install  # the main job: the web site and API over the embedded list (Ctrl-C to stop)
	$(BIN)/renkei serve

check: install  # exit 1 from check means "needs review", which the embedded list does
	$(BIN)/renkei check --default || { test $$? -eq 1 && echo "(renkei check exited 1: the list has names and counts to review)"; }

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

messages: install  # after adding or changing a user-facing message: update both catalogues (docs/i18n.md)
	$(BIN)/python scripts/messages.py

data: install  # rebuild the packaged data from raw/
	$(BIN)/python scripts/build_data.py
	$(BIN)/python scripts/build_glyphs.py
	$(BIN)/python scripts/build_boundaries.py

bench: install
	$(BIN)/python bench/bench_resolve.py
	$(BIN)/python bench/bench_registry.py
	$(BIN)/python bench/bench_web.py

constraints: install  # after changing dependencies: pin the versions now installed (and tested) in constraints.txt
	{ echo "# Dependency versions renkei $$(grep -m1 '^version' pyproject.toml | cut -d'"' -f2) was tested with (Python 3.11, Debian 12): pip install -c constraints.txt ..."; \
	  echo "# \`make install\` and CI install with it; regenerate after changing dependencies: make constraints"; \
	  $(BIN)/pip list --format=freeze --exclude-editable | grep -v -E '^(renkei|pip|setuptools|wheel)=='; } > constraints.txt

wheel:  # the release artefact: dist/renkei-X.Y.Z-py3-none-any.whl (docs/deploy.md installs it with constraints.txt)
	$(PYTHON) -m pip wheel --no-deps -w dist .
