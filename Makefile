# Consult: `make run` serves the demo on http://127.0.0.1:5000, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# system packages the tests need: a browser for browser tests, Noto fonts (Arabic) and
# HarfBuzz subsetting (WeasyPrint embeds font subsets) for PDFs
SYSTEM_PACKAGES := chromium fonts-noto-core libharfbuzz-subset0

.PHONY: install run serve db demo test test-postgres lint fmt i18n i18n-extract system-packages clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed i18n

i18n: $(BIN)/.installed
	$(BIN)/pybabel compile -d consult/translations

i18n-extract: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
	  --add-comments=Translators: --sort-by-file --project=Consult \
	  --copyright-holder="Consult contributors" -o consult/translations/messages.pot .
	$(BIN)/pybabel update -i consult/translations/messages.pot -d consult/translations \
	  --no-fuzzy-matching --ignore-obsolete

instance/config.py:
	@mkdir -p instance
	@$(PYTHON) -c "import secrets; t = secrets.token_hex; print(f'SECRET_KEY = {t(32)!r}\nSECURITY_PASSWORD_SALT = {t(16)!r}\nSECURITY_TOTP_SECRETS = {{\"1\": {t(32)!r}}}')" > $@
	@echo "Wrote $@ with random secrets."

db: install instance/config.py
	$(BIN)/consult db upgrade

demo: db
	$(BIN)/consult demo

run: demo serve

serve:
	$(BIN)/consult run --host $(HOST) --port $(PORT)

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing system packages:$$missing — run: sudo apt-get install$$missing"; exit 1; fi; \
	fi

test: install system-packages
	$(BIN)/python -m pytest -n auto -q

test-postgres: install
	CONSULT_TEST_DATABASE_URL=$${CONSULT_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
	  $(BIN)/python -m pytest -n auto -q -m db

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
