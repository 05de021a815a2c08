# Entry points (see README): `make run` captures, `make test` runs the whole suite, `make setup`
# only sets up, `make install` puts `leakmap` on your PATH for good.
# All create the virtual environment on first use with a Python >= 3.12.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=
SESSION ?= session-$(shell date +%Y%m%d-%H%M%S)
PREFIX ?= $(HOME)/.local

.PHONY: setup install uninstall run test lint clean-venv

$(VENV)/.installed: pyproject.toml
	@PYTHON=$$(scripts/find-python) && echo "using $$PYTHON" && \
	  ( [ -x $(PY) ] || $$PYTHON -m venv $(VENV) ) && \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -e '.[test]' && touch $@

# .venv/ with leakmap installed; `. .venv/bin/activate` then puts `leakmap` on PATH in a shell.
setup: $(VENV)/.installed
	@echo "leakmap is in $(VENV)/bin; in each shell run: . $(VENV)/bin/activate"

# A link in $(PREFIX)/bin (default ~/.local/bin, on PATH in most distributions) to this
# checkout's leakmap: it keeps working from any folder and follows `git pull`.
install: $(VENV)/.installed
	@mkdir -p $(PREFIX)/bin
	@ln -sfn $(abspath $(VENV)/bin/leakmap) $(PREFIX)/bin/leakmap
	@echo "linked $(PREFIX)/bin/leakmap -> $(abspath $(VENV)/bin/leakmap)"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; \
	  *) echo "note: $(PREFIX)/bin is not on your PATH; add it: export PATH=\"$(PREFIX)/bin:\$$PATH\"";; esac

uninstall:
	@[ ! -L $(PREFIX)/bin/leakmap ] || rm $(PREFIX)/bin/leakmap

run: $(VENV)/.installed
	$(VENV)/bin/leakmap capture --session $(SESSION) $(ARGS)

test: $(VENV)/.installed
	@# The storage tests also run on PostgreSQL: start the local cluster when we may (root).
	@scripts/ci-postgres >/dev/null 2>&1 || echo "note: could not start PostgreSQL (scripts/ci-postgres); its tests will fail"
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

clean-venv:
	rm -rf $(VENV)
