# paperfeed: `make run` sets everything up and brings papers in; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENDOR := src/paperfeed/web/static/vendor
export PAPERFEED_SAMPLE ?= ../shared/data/arxiv/papers.jsonl.gz

.PHONY: run install vendor dev test lint bench clean

$(BIN)/paperfeed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first (a wheel on disk here); anything later that wants torch finds it.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	@touch $@

install: $(BIN)/paperfeed vendor

# Front-end libraries (KaTeX renders math, Swagger UI shows the API at /docs) come from the npm
# registry at install time, pinned by package-lock.json, and are copied next to the app's own static
# files; never committed. Without npm the pages still work (math as TeX source, /docs links the schema).
vendor: $(VENDOR)/.installed

$(VENDOR)/.installed: package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund --loglevel=error && \
	  rm -rf $(VENDOR) && mkdir -p $(VENDOR)/katex $(VENDOR)/swagger-ui && \
	  cp -r node_modules/katex/dist/katex.min.js node_modules/katex/dist/katex.min.css \
	    node_modules/katex/dist/fonts $(VENDOR)/katex/ && \
	  cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
	    $(VENDOR)/swagger-ui/ && touch $@; \
	else echo "npm not found: math is shown as TeX source (install Node.js + npm, then make vendor)"; fi

$(VENV)/.dev-installed: $(BIN)/paperfeed | vendor
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
	$(BIN)/paperfeed serve

test: dev
	$(BIN)/pytest -q -n 2

lint: dev
	$(BIN)/ruff check src tests bench

bench: install
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) data .pytest_cache node_modules $(VENDOR)
