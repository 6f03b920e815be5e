# paperfeed: `make run` sets everything up and brings papers in; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PAPERFEED_SAMPLE ?= ../shared/data/arxiv/papers.jsonl.gz

.PHONY: run install dev test lint bench clean

$(BIN)/paperfeed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (a wheel on disk here); anything later that wants torch finds it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(BIN)/paperfeed

$(VENV)/.dev-installed: $(BIN)/paperfeed
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

dev: $(VENV)/.dev-installed

run: install
	$(BIN)/paperfeed db upgrade
	$(BIN)/paperfeed ingest recent
	$(BIN)/paperfeed index --keyword-only
	@# Embeddings take a while on a CPU: computed in the background, newest papers first; search
	@# uses whatever part is ready and says so. Progress: data/index.log
	nohup $(BIN)/paperfeed index --semantic-only > data/index.log 2>&1 &
	$(BIN)/paperfeed stats
	$(BIN)/paperfeed search "retrieval augmented generation" --limit 5

test: dev
	$(BIN)/pytest -q -n 2

lint: dev
	$(BIN)/ruff check src tests bench

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) data .pytest_cache
