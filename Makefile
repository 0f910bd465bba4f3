# One task runner for everything. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint check mysql-driver

# Re-install only when the pins change.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(STAMP)
	$(PY) manage.py migrate
	$(PY) manage.py dev_admin
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# What CI checks besides the tests: the project is sound and the migrations match the models.
check: $(STAMP)
	$(PY) manage.py check
	DATABASE_URL=sqlite:///$$(mktemp -d)/check.db $(PY) manage.py makemigrations --check --dry-run

# mysqlclient builds against libmysqlclient; install the headers with apt when they are missing.
mysql-driver: $(STAMP)
	@pkg-config --exists mysqlclient 2>/dev/null || { \
	  echo "Installing the MySQL client library (default-libmysqlclient-dev) with apt-get"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq default-libmysqlclient-dev pkg-config; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-mysql.txt
