# groundcode: the two commands in the README are `make demo` and `make test`.
# Both create .venv in the repo root when it is missing and install into it.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.groundcode-installed
TEST_STAMP := $(VENV)/.groundcode-test-installed

.PHONY: demo test install install-test lint clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# torch is pinned to the CPU wheel that lies on disk; a bare `torch` pulls CUDA.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[review]"
	touch $(STAMP)

$(TEST_STAMP): pyproject.toml $(STAMP)
	$(PIP) install -q -e ".[test,review,postgres,ray]"
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

demo: install
	$(VENV)/bin/groundcode run configs/demo.yaml

lint: install-test
	$(VENV)/bin/ruff check pipeline tests benchmarks scripts

test: install-test
	$(VENV)/bin/ruff check pipeline tests benchmarks scripts
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(PY) -m pytest -q

clean-venv:
	rm -rf $(VENV)
