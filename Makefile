# Maillage — set-up and everyday commands. Everything installs what it needs on first use.
#   make app    start the app on a local DuckDB file (demo data loaded on first start)
#   make serveur  the same for a whole team on one server (accounts, sign-in; see the README)
#   make test   run the whole test suite (installs Debian's chromium for the browser tests if missing)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8501

.PHONY: install app serveur test chromium bench clean-venv wheel paquet

$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[test]"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

app: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# The shared server mode: one `streamlit run` for a whole team (see README « Serveur d'équipe »).
serveur: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.address 0.0.0.0 --server.headless true \
		--client.showErrorDetails none --client.toolbarMode viewer --browser.gatherUsageStats false

# The product's wheel (app, pages, demo and reference data included), in dist/: `pipx install dist/maillage-*.whl`.
wheel: $(STAMP)
	$(PY) -m build --wheel --no-isolation --outdir dist .

# The offline bundle (README « Installer sans réseau »): the wheel, every dependency's wheel for Windows
# x86-64, macOS arm64 and Linux x86-64 and each supported Python, installer.sh and installer.bat; in dist/.
paquet: wheel
	$(PY) distribution/bundle.py $$(ls -t dist/maillage-*-py3-none-any.whl | head -1)

chromium:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

# The rules first (a few seconds): ruff's lint rules and import-linter's layers and no-cycle contracts
# (pyproject.toml), then the whole suite.
test: $(STAMP) chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(PY) -m bench.import_export
	$(PY) -m bench.profiling
	$(PY) -m bench.real_files
	$(PY) -m bench.surveys
	$(PY) -m bench.calls
	$(PY) -m bench.sync
	$(PY) -m bench.dashboards
	$(PY) -m bench.duplicates
	$(PY) -m bench.spreadsheets

clean-venv:
	rm -rf $(VENV)
