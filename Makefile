# ptsp: the two set-up commands are `make demo` and `make test`.
PY      ?= /usr/bin/python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEMO    ?= demo
N       ?= 200
KEYS    ?=

.PHONY: setup demo test test-unit lint bench previews templates catalog clean bench-verify

$(STAMP): pyproject.toml scripts/setup-debian.sh
	bash scripts/setup-debian.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	PTSP_HOME=$${PTSP_HOME:-$(CURDIR)/var} $(BIN)/python scripts/demo.py --out $(DEMO) $(if $(KEYS),--keys $(KEYS))

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check generator signer ptsp tests scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --count $(N)

bench-verify: $(STAMP)
	$(BIN)/python scripts/bench_verify.py --count $(N)

previews: $(STAMP)
	$(BIN)/python scripts/previews.py --out $(DEMO)/previews

templates: $(STAMP)
	$(BIN)/python -m generator.build_templates

catalog: $(STAMP)
	$(BIN)/python scripts/extract_catalog.py

clean:
	rm -rf $(VENV) var demo

# The demo batch through the distributed mode: Redis and two `ptsp worker` on this machine.
.PHONY: demo-cluster
demo-cluster: $(STAMP)
	PTSP_HOME=$${PTSP_HOME:-$(CURDIR)/var/cluster} $(BIN)/python scripts/demo_cluster.py --out $(DEMO)/cluster
