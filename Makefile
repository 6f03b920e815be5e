# paperfeed: `make run` sets everything up and brings papers in; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
VENDOR := src/paperfeed/web/static/vendor
export PAPERFEED_SAMPLE ?= ../shared/data/arxiv/papers.jsonl.gz

LOCKS := requirements
# Python dependencies come from lock files (exact versions and sha256 hashes; `make lock` makes them):
# serve.lock for a serve-only install, index.lock for `make run` (adds the index extra that builds
# embeddings), dev.lock for `make test` (adds the dev tools).
#
# torch is in none of them: it is always the CPU build, installed first, and never PyPI's (PyPI's
# Linux torch pulls some 3 GB of CUDA wheels). Two sources are tried, in order:
#  1. a wheel pip finds without the network (--no-index: only pip's own find-links, e.g. this
#     machine's /opt/wheels holding torch-2.13.0+cpu); elsewhere this fails at once;
#  2. PyTorch's CPU index, for torch alone (--index-url replaces PyPI), with a short timeout so an
#     unreachable index fails in seconds. Nothing falls back to PyPI.
# --no-deps: torch's own dependencies (sympy, networkx, ...) are pinned in the lock files.
TORCH := torch==2.13.0
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
define install_torch
	$(BIN)/pip install --quiet --no-deps --no-index $(TORCH) 2>/dev/null \
	  || $(BIN)/pip install --quiet --no-deps --timeout 15 --retries 2 --index-url $(TORCH_CPU_INDEX) $(TORCH)
endef
# Installs a lock file, then paperfeed itself (editable); --require-hashes refuses any file whose
# hash differs from the lock's.
define install_lock
	$(BIN)/pip install --quiet --require-hashes -r $(1)
	$(BIN)/pip install --quiet --no-deps -e .
endef

.PHONY: run install vendor dev test lint bench lock clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@touch $@

$(BIN)/paperfeed: pyproject.toml $(LOCKS)/index.lock | $(VENV)/.created
	$(install_torch)
	$(call install_lock,$(LOCKS)/index.lock)
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

$(VENV)/.dev-installed: $(BIN)/paperfeed $(LOCKS)/dev.lock | vendor
	$(call install_lock,$(LOCKS)/dev.lock)
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
	$(BIN)/pytest -q -n 2 --durations=30

lint: dev
	$(BIN)/ruff check src tests bench

bench: install
	$(BIN)/python bench/ingest.py

# Regenerate the lock files from pyproject.toml with uv (a dev tool), for CPython 3.11 on Linux x86-64
# (this machine and CI; elsewhere, run it first). Versions already locked are kept unless pyproject
# asks otherwise; `make lock UPGRADE=--upgrade` takes the newest allowed. torch's dependencies are
# resolved from its CPU build: the local wheel when pip has one (uv is pointed at a copy, the
# pyproject's PyTorch-index source switched off), else PyTorch's CPU index (pyproject's
# [tool.uv.sources]); dev.lock is resolved first and holds the other two to its versions.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --no-emit-package torch --custom-compile-command "make lock" $(UPGRADE)
lock: dev
	@wheels=$$(mktemp -d) && trap 'rm -rf "$$wheels"' EXIT && echo "$(TORCH)" > "$$wheels/torch.txt" && \
	torch_from="-c $$wheels/torch.txt" && \
	if $(BIN)/pip download --quiet --no-deps --no-index -d "$$wheels" $(TORCH) 2>/dev/null; then \
	  torch_from="$$torch_from --no-sources --find-links $$wheels"; fi && \
	$(UV_COMPILE) $$torch_from --extra dev -o $(LOCKS)/dev.lock && \
	$(UV_COMPILE) $$torch_from --extra index -c $(LOCKS)/dev.lock -o $(LOCKS)/index.lock && \
	$(UV_COMPILE) $$torch_from -c $(LOCKS)/dev.lock -o $(LOCKS)/serve.lock

clean:
	rm -rf $(VENV) data .pytest_cache node_modules $(VENDOR)
