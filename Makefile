# Two entry points (see README): `make run` captures, `make test` runs the whole suite.
# Both create the virtual environment on first use with a Python >= 3.12.
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=
SESSION ?= session-$(shell date +%Y%m%d-%H%M%S)

.PHONY: run test lint bench clean-venv

$(VENV)/.installed: pyproject.toml
	@PYTHON=$$(scripts/find-python) && echo "using $$PYTHON" && \
	  ( [ -x $(PY) ] || $$PYTHON -m venv $(VENV) ) && \
	  $(PY) -m pip install -q --upgrade pip && \
	  $(PY) -m pip install -q -e '.[test]' && touch $@

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
