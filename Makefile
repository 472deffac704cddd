# Two commands: `make run` serves the API, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
MODEL  := models/default/model.joblib

.PHONY: setup model run test bench clean

setup: $(STAMP)

# Re-install only when the dependency pins change: a second `make setup` is a no-op.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,plot]'
	touch $(STAMP)

# The default model is trained deterministically from the bundled corpus when absent.
model: $(STAMP)
	test -f $(MODEL) || $(BIN)/triage train --data training/corpus --out models/default

run: model
	$(BIN)/triage serve --host 127.0.0.1 --port 8000

test: model
	$(BIN)/python -m pytest -q

bench: model
	$(BIN)/python scripts/bench_batch.py
	$(BIN)/python scripts/bench_api.py
	$(BIN)/python scripts/bench_rules.py
	$(BIN)/python scripts/bench_reload.py
	$(BIN)/python scripts/bench_train.py
	$(BIN)/python scripts/bench_store.py
	$(BIN)/python scripts/bench_flags.py
	$(BIN)/python scripts/bench_flags.py --stream
	$(BIN)/python scripts/bench_transfer.py

clean:
	rm -rf $(VENV) data
