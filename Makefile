# Every target creates the virtual environment on first use, so a fresh clone needs only `make`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench dist screens clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	# compat mode: a plain .pth path entry; the default import-hook finder adds ~30 ms to every start
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	touch $(STAMP)

## run: apply the example migrations to the SQLite database named in sqlmig.toml, then show status
run: $(STAMP)
	$(VENV)/bin/sqlmig up
	$(VENV)/bin/sqlmig status

## test: the whole suite against real SQLite, PostgreSQL and MariaDB, on TEST_WORKERS pytest
## processes (pytest-xdist; each test file stays on one worker). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(STAMP)
	$(PY) -m ruff check sqlmig tests bench docs
	$(PY) -m ruff format --check sqlmig tests bench docs

bench: $(STAMP)
	$(PY) bench/run.py

## screens: the README's pictures (docs/screen-*.svg) from `up`, `status` and `lint` on a terminal
screens: $(STAMP)
	$(PY) docs/screens.py docs

## dist: the sdist and the wheel in dist/, checked with `twine check --strict`
dist: $(STAMP)
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf $(VENV) sqlmig.db *.egg-info build dist
