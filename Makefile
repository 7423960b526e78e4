# The two commands of the README's quick start:
#   make run   — set up and run the bot (console group chat unless a platform token is set)
#   make test  — set up and run lint + the whole test suite (SQLite, PostgreSQL, Telegram, WeChat,
#                QQ; QQ needs no extra: its WebSocket is aiohttp, a core dependency)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench setup setup-test clean

$(BIN)/groupguard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

setup: $(BIN)/groupguard

run: setup
	$(BIN)/groupguard run $(ARGS)

$(VENV)/.test-installed: pyproject.toml $(BIN)/groupguard
	$(BIN)/pip install --quiet -e '.[test,wechat]'
	touch $@

setup-test: $(VENV)/.test-installed
	bash scripts/setup-test-system.sh

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

test: setup-test lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/detect.py

clean:
	rm -rf $(VENV) tests/wechat/puppet_service/node_modules
