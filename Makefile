# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := fixtures/sample-workspace
DEMO := --config fixtures/docaudit.toml --index .docaudit-demo

.PHONY: install demo test lint bench clean

# torch first, pinned: that release is a CPU build on local disk here; anything else pulls gigabytes.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# Exit code 1 means "findings at or above --fail-on": that is the demo working, not failing.
demo: $(STAMP)
	$(BIN)/python fixtures/make_sample.py $(SAMPLE) >/dev/null
	$(BIN)/docaudit crawl $(SAMPLE) $(DEMO)
	$(BIN)/python fixtures/serve.py --notion fixtures/notion/workspace.yaml -- $(BIN)/docaudit crawl acme-wiki --source notion $(DEMO)
	$(BIN)/python fixtures/serve.py --gdrive fixtures/gdrive/drive.yaml -- $(BIN)/docaudit crawl acme-drive --source gdrive $(DEMO)
	$(BIN)/docaudit audit $(DEMO) --probes fixtures/probes.yaml --probes fixtures/notion/probes.yaml --probes fixtures/gdrive/probes.yaml --now 2026-11-20 --report report.json || [ $$? -eq 1 ]
	@echo "Wrote report.json"

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q

# The benchmarks compare against llama-index readers, which the tool itself does not need.
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps llama-index-readers-notion==0.6.0
	$(BIN)/python bench/index.py
	$(BIN)/python bench/notion.py

clean:
	rm -rf $(VENV) .docaudit .docaudit-demo $(SAMPLE) report.json
