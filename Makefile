# Two commands do everything on a fresh Debian/Ubuntu machine with Python 3.11:
#   make demo   install what is missing, then run Kestrel GCS on its built-in simulator
#   make test   install what is missing, then run the whole test suite
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=

.PHONY: setup demo test lint bench bundle clean

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) -m gcs --demo $(ARGS)

# The suite runs with a throw-away HOME and XDG dirs: first-run behaviour (settings files created,
# banners printed) is what every run sees, on a fresh machine or not.
test: setup
	@home=$$(mktemp -d -t kestrel-test-home-XXXXXX); \
	HOME=$$home XDG_CONFIG_HOME=$$home/.config XDG_CACHE_HOME=$$home/.cache XDG_DATA_HOME=$$home/.local/share \
	XDG_STATE_HOME=$$home/.local/state QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(ARGS); \
	rc=$$?; rm -rf "$$home"; exit $$rc

lint: setup
	$(VENV)/bin/ruff check gcs embedded_api tests bench
	$(VENV)/bin/mypy gcs/core embedded_api

bench: setup
	$(PY) bench/run_all.py

# the packaged app: dist/kestrel-gcs/kestrel-gcs (one folder, no Python needed beside it)
bundle: setup
	$(PY) tools/build_bundle.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
