# Jaring — the two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# The Redis-backed task queue test (jaring/core/tests/test_task_queue.py) runs when Redis answers here.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export JARING_TEST_REDIS_URL := $(TEST_REDIS_URL)
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

.PHONY: demo serve install install-dev test lint redis-check test-sqlite test-postgres test-browser i18n-check messages bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## demo: install into .venv, migrate, seed the demo city if empty, serve on $PORT
demo: install
	$(VENV)/bin/jaring demo

serve: install
	$(VENV)/bin/jaring serve

## test: lint, migration check, translations, pytest on SQLite, then PostgreSQL and the browser if present
test: install-dev lint i18n-check redis-check test-sqlite test-postgres test-browser
	@echo "make test: all stages finished"

lint: install-dev
	$(VENV)/bin/ruff check jaring bench tests conftest.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy jaring
	JARING_TESTING=true DJANGO_SETTINGS_MODULE=jaring.test_settings $(PY) manage.py makemigrations --check --dry-run

i18n-check: install-dev
	$(PY) -m jaring.core.i18n check

redis-check: install-dev
	@if $(PY) -c "import redis; redis.Redis.from_url('$(TEST_REDIS_URL)', socket_connect_timeout=2).ping()" 2>/dev/null; then \
		echo "== Redis at $(TEST_REDIS_URL): the Redis-backed task queue test runs"; \
	else \
		echo "== SKIPPED: the Redis-backed task queue test (no Redis at $(TEST_REDIS_URL); set TEST_REDIS_URL)"; \
	fi

test-sqlite: install-dev
	@echo "== pytest on SQLite"
	$(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS)

test-postgres: install-dev
	@if $(PY) -c "import psycopg,sys; psycopg.connect('$(TEST_PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== pytest on PostgreSQL ($(TEST_PG_URL))"; \
		DATABASE_URL=$(TEST_PG_URL) $(VENV)/bin/pytest -m "not browser" $(PYTEST_ARGS); \
	else \
		echo "== SKIPPED: PostgreSQL not reachable at $(TEST_PG_URL) (set TEST_PG_URL)"; \
	fi

test-browser: install-dev
	@if [ -x "$(CHROMIUM)" ]; then \
		echo "== browser tests (Playwright + $(CHROMIUM))"; \
		$(VENV)/bin/pytest -m browser tests/browser $(PYTEST_ARGS) && \
		$(VENV)/bin/pytest -m browser tests/security $(PYTEST_ARGS); \
	else \
		echo "== SKIPPED: browser tests ($(CHROMIUM) not installed; apt-get install chromium)"; \
	fi

## messages: extract translatable strings (needs GNU gettext) and compile .mo (no gettext needed)
messages: install-dev
	$(PY) manage.py makemessages -l en --no-obsolete --ignore='.venv/*' --ignore='var/*'
	$(PY) -m jaring.core.i18n compile

## bench: the benchmarks, one JSON line each
bench: install-dev
	$(PY) -m bench all

clean:
	rm -rf $(VENV) var/test
