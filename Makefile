# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := fixtures/sample-workspace
DEMO := --config fixtures/docaudit.toml --index .docaudit-demo
DEMO_PROBES := --probes fixtures/probes.yaml --probes fixtures/notion/probes.yaml --probes fixtures/gdrive/probes.yaml \
	--probes fixtures/confluence/probes.yaml

.PHONY: install demo test test-fast lint bench clean dist

# torch first, pinned: that release is a CPU build on local disk here; anything else pulls gigabytes.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

# A wheel for `pip install` / `pipx install` elsewhere; its dependencies come from the index there.
dist: $(STAMP)
	rm -rf dist
	$(BIN)/pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation -w dist .
	@ls dist/*.whl

# Exit code 1 means "findings at or above --fail-on": that is the demo working, not failing.
demo: $(STAMP)
	$(BIN)/python fixtures/make_sample.py $(SAMPLE) >/dev/null
	$(BIN)/docaudit crawl $(SAMPLE) $(DEMO)
	$(BIN)/python fixtures/serve.py --notion fixtures/notion/workspace.yaml -- $(BIN)/docaudit crawl acme-wiki --source notion $(DEMO)
	$(BIN)/python fixtures/serve.py --gdrive fixtures/gdrive/drive.yaml -- $(BIN)/docaudit crawl acme-drive --source gdrive $(DEMO)
	$(BIN)/python fixtures/serve.py --confluence fixtures/confluence/site.yaml -- $(BIN)/docaudit crawl OPS --source confluence $(DEMO)
	$(BIN)/docaudit audit $(DEMO) $(DEMO_PROBES) --now 2026-11-20 --report report.json || [ $$? -eq 1 ]
	@echo "Wrote report.json"
	$(BIN)/docaudit report $(DEMO) $(DEMO_PROBES) --now 2026-11-20 -o report.html
	@mkdir -p digests
	$(BIN)/docaudit digest $(DEMO) $(DEMO_PROBES) --now 2026-11-20 --out digests --send slack --dry-run \
		> digests/slack-dry-run.json
	@echo "Wrote digests/slack-dry-run.json: the Slack messages --send slack would post."
	@$(BIN)/python -c "import json; m = json.load(open('digests/slack-dry-run.json'))['slack']; \
		print(json.dumps(m[0], indent=1) if m else 'None: every owner was already told (a second make demo).')"
	$(BIN)/docaudit digest $(DEMO) $(DEMO_PROBES) --now 2026-11-20 --out digests

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	$(BIN)/python -m pytest -q

# The loop while editing: everything that does not load the embedding model, in seconds.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -m "not slow"

# The benchmarks compare against llama-index readers, which the tool itself does not need: they and
# their imports go to build/bench-deps, outside the virtualenv (the Google reader pins older google libs).
BENCH_DEPS := build/bench-deps
$(BENCH_DEPS)/.installed: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --target $(BENCH_DEPS) \
		llama-index-readers-notion==0.6.0 llama-index-readers-google==0.8.0 gkeepapi==0.17.1 gpsoauth==2.0.0 \
		google-auth-oauthlib==1.5.0 requests-oauthlib==2.0.0 oauthlib==4.0.1 pydrive==1.3.1 oauth2client==4.1.3 pandas==3.1.1
	touch $@

bench: $(STAMP) $(BENCH_DEPS)/.installed
	$(BIN)/python bench/index.py
	PYTHONPATH=$(BENCH_DEPS) $(BIN)/python bench/notion.py
	PYTHONPATH=$(BENCH_DEPS) $(BIN)/python bench/gdrive.py
	$(BIN)/python bench/confluence.py
	$(BIN)/python bench/confluence.py --flavour datacenter

clean:
	rm -rf $(VENV) .docaudit .docaudit-demo $(SAMPLE) report.json report.html digests build dist
