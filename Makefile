# The two commands of the README: `make demo` and `make test`. Each creates .venv/ when it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test dev sandbox bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "hubspot-elt needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m hubspot_assets.demo

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

# The Dagster UI on a local instance in .dagster_home/ (gitignored) configured by dagster.yaml: one warehouse
# writer at a time.
dev: $(STAMP)
	@mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME="$(CURDIR)/.dagster_home" $(VENV)/bin/dagster dev -w workspace.yaml

sandbox: $(STAMP)
	$(VENV)/bin/hubspot-elt sandbox serve --port 8765 --seed 42 --scale small

# The quick benchmarks; bench/full_sync.py and bench/incremental.py take longer (see README).
bench: $(STAMP)
	$(PY) bench/sandbox_throughput.py --scale medium
	$(PY) bench/client_throughput.py
	$(PY) bench/webhooks.py

clean:
	rm -rf $(VENV) data/*.duckdb .pytest_cache
