# One task runner for everything. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint check mysql-driver services test-all test-newest

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

# Start this machine's PostgreSQL and MariaDB if they have stopped (no-ops when they run).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || ! command -v pg_ctlcluster >/dev/null || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n 1) main start || true
	@mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 || [ ! -x /usr/sbin/mariadbd ] || \
	  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true

# The whole suite on SQLite, PostgreSQL and MariaDB; one summary line per backend.
test-all: mysql-driver services
	$(PY) scripts/test_matrix.py backends

# The whole suite on the newest Django and Python here (SQLite), deprecations as errors.
test-newest: $(STAMP)
	$(PY) scripts/test_matrix.py newest

# Raw sqlite3 vs SQLAlchemy vs Django on the same schema and data (docs/performance.md).
# bench: 1,000,000 posts, minutes; bench-quick: 10,000 posts, seconds, and fails on a schema
# mismatch or a read that takes more than one query (timings are printed, not judged).
.PHONY: bench bench-quick
bench: $(STAMP)
	$(PY) -m benchmarks

bench-quick: $(STAMP)
	$(PY) -m benchmarks --quick

# The models' ER diagram for the README. graph_models draws with Graphviz's `dot` through pydot;
# Graphviz comes from apt when it is missing.
.PHONY: erd
erd: $(STAMP)
	@command -v dot >/dev/null || { \
	  echo "Installing Graphviz with apt-get"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq graphviz; }
	$(PY) manage.py graph_models accounts blog --exclude-models AbstractUser,AbstractBaseUser,PermissionsMixin \
	  --output docs/erd.png
