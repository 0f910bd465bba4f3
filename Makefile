# One task runner for everything. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint check mysql-driver services test-all test-newest serve browser load load-quick

# Re-install only when the pins change. uv installs the pins in seconds where pip takes a minute
# or more (the README's commands should not keep a newcomer waiting); it comes from PyPI itself.
UV_VERSION := 0.13.10
$(STAMP): requirements.txt requirements-dev.txt requirements-flask.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -r requirements-dev.txt
	touch $@

run: $(STAMP)
	$(PY) manage.py migrate
	$(PY) manage.py dev_admin
	@# The task worker (imports and long exports from the admin, spreadsheets/tasks.py) runs
	@# beside the server and stops with it.
	$(PY) manage.py db_worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

# Production: gunicorn with $(WORKERS) workers on $(BIND), whitenoise serving the static files.
# Needs SECRET_KEY and ALLOWED_HOSTS (see docs/production.md).
BIND ?= 127.0.0.1:8000
WORKERS ?= 4
serve: export DJANGO_ENV = production
serve: $(STAMP)
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py migrate --noinput
	@# No control socket: a second server on the machine would take over the same socket path.
	@# The task worker (imports and long exports from the admin) runs beside gunicorn; a signal
	@# to either this shell or its process group stops both. It waits out a database outage by
	@# itself; this loop is its supervisor for anything else (a crash, an OOM kill): started again
	@# 5 s later, it queues again the task the dead one left running (docs/production.md).
	( trap 'kill $$child 2>/dev/null; exit' INT TERM; while :; do \
	    $(PY) manage.py db_worker & child=$$!; wait $$child; \
	    echo "db_worker exited with status $$?: starting it again in 5 s" >&2; sleep 5 & wait $$!; \
	  done ) & worker=$$!; \
	  $(VENV)/bin/gunicorn microblog.wsgi --workers $(WORKERS) --bind $(BIND) --no-control-socket & \
	  server=$$!; trap 'kill $$server $$worker 2>/dev/null' EXIT INT TERM; wait $$server

# The suite in parallel (pytest-xdist): a worker per CPU and one more (many tests wait on child
# processes and servers), each with its own test databases (test_app.db_gw0, test_microblog_gw1,
# ...); a test file's tests stay on one worker, so a module's costly fixture (a private standby) is
# built once. TEST_WORKERS=0 runs it in one process. The slowest tests are listed at the end.
# The tests marked slow (the schema-change scenarios, the worker's outages, the bound on a write:
# about half the suite's CPU) are left to `make test-all`, which CI runs; SLOW=1 runs them here too.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
SLOW ?=
test: $(STAMP)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 $(if $(SLOW),,-m "not slow")

# ruff, then mypy with django-stubs' plugin (both configured in pyproject.toml), then the migration
# linters.
lint: $(STAMP) lint-migrations
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

# The migration linters over this project's migrations (tests/test_migration_linters.py,
# docs/schema-changes.md "What the linters say"): django-migration-linter (`manage.py
# lintmigrations`) on SQLite and on PostgreSQL, squawk over the PostgreSQL SQL of ours and of the
# Flask twins. `make test-all` runs the same tests on MariaDB too.
LINT_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/lint_migrations
.PHONY: lint-migrations
lint-migrations: $(STAMP) services
	$(PY) -m pytest -q -p no:cacheprovider tests/test_migration_linters.py
	DATABASE_URL=$(LINT_POSTGRES_URL) $(PY) -m pytest -q -p no:cacheprovider tests/test_migration_linters.py \
	  -k "not flask_twins and not unless_its_migration"

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

# Load on loopback (docs/load.md): `make serve` on fresh SQLite and PostgreSQL databases, and on a
# private PostgreSQL primary with a streaming standby, 2,000 requests 8 at a time; load-quick is a
# 200-request smoke run for CI (its figures written to a scratch file, as `--results FILE` writes
# docs/data/load.json for `make plots`).
load: $(STAMP) services
	$(PY) scripts/load.py
load-quick: $(STAMP) services
	$(PY) scripts/load.py --quick --results $$(mktemp)

# The browser tests drive Debian's Chromium; install it with apt when it is missing. Without it
# they are skipped (loudly), or fail under CI=true.
browser:
	@test -x /usr/bin/chromium || { \
	  echo "Installing Chromium (chromium) with apt-get for the browser tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium; }

# PgBouncer for tests/test_connection_pooling.py, which runs its own instance; install it with
# apt when it is missing. Without it those tests are skipped (loudly), or fail under CI=true.
.PHONY: pgbouncer
pgbouncer:
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
	  echo "Installing PgBouncer (pgbouncer) with apt-get for the pooling tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq pgbouncer; }

# Mroonga, MariaDB's full-text engine whose N-gram index finds text inside words: with it the
# admin's post search uses an index on MariaDB too (blog/migrations/0005). Installed with apt when
# missing, then loaded into the running server as its root (once: it stays loaded across
# restarts). Without it MariaDB's search reads every post, and `manage.py check` says so.
MARIADB_ROOT ?= mysql -h 127.0.0.1 -u root
.PHONY: mroonga
mroonga: services
	@dpkg -s mariadb-plugin-mroonga >/dev/null 2>&1 || { \
	  echo "Installing Mroonga (mariadb-plugin-mroonga) with apt-get for MariaDB's post search"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq mariadb-plugin-mroonga; }
	@$(MARIADB_ROOT) -N -e "SELECT 1 FROM information_schema.ENGINES WHERE ENGINE = 'Mroonga'" | grep -q 1 || { \
	  echo "Loading Mroonga into MariaDB (INSTALL SONAME 'ha_mroonga')"; \
	  $(MARIADB_ROOT) -e "INSTALL SONAME 'ha_mroonga'"; }

# Patroni and etcd for the failover drill (scripts/failover_drill.py), which runs its own cluster:
# etcd from Debian (apt, when missing), Patroni from PyPI (requirements-patroni.txt says why not
# Debian's) in .venv-patroni, made with Debian's own Python so that the postgres OS user, which
# runs Patroni, can run it (the clone must be readable by that user, as /work is). Without them
# the drill says so loudly and passes, or fails under CI=true.
PATRONI_VENV := .venv-patroni
PATRONI_STAMP := $(PATRONI_VENV)/.installed
.PHONY: patroni
patroni: $(PATRONI_STAMP)
	@command -v etcd >/dev/null || { \
	  echo "Installing etcd (etcd-server) with apt-get for the failover drill"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq etcd-server; }
$(PATRONI_STAMP): requirements-patroni.txt $(STAMP)
	$(VENV)/bin/uv venv --quiet --allow-existing --python /usr/bin/python3 $(PATRONI_VENV)
	$(VENV)/bin/uv pip install --quiet --python $(PATRONI_VENV)/bin/python -r requirements-patroni.txt
	touch $@

# The primary lost under load (docs/scale-out.md, "When the primary fails"): a Patroni cluster of
# two PostgreSQL servers, the app under gunicorn, readers and writers over HTTP, the leader killed.
# failover-drill: 3 rounds of each case (leader lost, postmaster lost, switchover, etcd lost,
# standby lost, leader lost with a big import writing, leader frozen 40 s and 70 s, standby's
# PostgreSQL frozen 30 s; about 25 minutes); its figures per case go to docs/data/failover.json
# and the charts are redrawn;
# failover-drill-quick: one shorter round of the first three, under 2 minutes here, for CI (its
# timeline and figures written to scratch files; --results docs/data/failover-timeline.json keeps
# one for `make plots`). Both fail on a lost or duplicated post (writers resend until answered 302), a
# failed public read, a 5xx other than 503, an answer past the 15 s bound + 2 s, a task worker
# that exited or did not finish an import and an export, or a node hit (an old leader, a standby)
# not streaming again.
.PHONY: failover-drill failover-drill-quick
failover-drill: $(STAMP) patroni
	$(PY) scripts/failover_drill.py --summary docs/data/failover.json
	$(PY) scripts/plots.py
failover-drill-quick: $(STAMP) patroni
	$(PY) scripts/failover_drill.py --quick --results $$(mktemp) --summary $$(mktemp)

# The Flask twins' own tools, next to ours (docs/contrast.md): TWIN=flask_app (the 2018 edition,
# the default) or TWIN=flask_app_2024 (today's). The database is FLASK_DATABASE_URL (SQLAlchemy's
# form, e.g. sqlite:////tmp/flask.db), else the twin's own app.db; never DATABASE_URL, which
# names Django's.
TWIN ?= flask_app
FLASK := DATABASE_URL=$(FLASK_DATABASE_URL) $(VENV)/bin/flask --app contrast.$(TWIN)
.PHONY: flask-shell flask-upgrade flask-downgrade
flask-shell: $(STAMP)
	$(FLASK) shell
flask-upgrade: $(STAMP)
	$(FLASK) db upgrade
flask-downgrade: $(STAMP)
	$(FLASK) db downgrade

# The chapter's migration workflow on a database in use (docs/schema-changes.md): each scenario
# generated by makemigrations and flask db migrate in throwaway copies, applied to users and posts,
# checked, downgraded and checked again, on SQLite; the scenarios that touch the posts table
# (c0 c1 c3 c2 d f g i) on SCHEMA_POSTS posts while a writer inserts one every 50 ms. On a server:
# make schema-changes SCHEMA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/schema_changes
# (scratch databases <name>_django and <name>_flask are made there, and dropped at the end unless
# SCHEMA_KEEP=1). The guide's million-post figures: SCHEMA_POSTS=1000000, once per backend.
SCHEMA_DATABASE_URL ?=
SCHEMA_POSTS ?= 100000
SCHEMA_KEEP ?=
# SCHEMA_RESULTS=docs/data/schema-changes-1m.json (with SCHEMA_POSTS=1000000): the writer's
# figures go into that backend's cells there, for `make plots`. SCHEMA_ONLY="c3 d": only those
# scenarios (their cells replaced, the others' kept).
SCHEMA_RESULTS ?=
SCHEMA_ONLY ?=
.PHONY: schema-changes
schema-changes: $(STAMP)
	$(PY) scripts/schema_changes.py --database-url "$(SCHEMA_DATABASE_URL)" --posts $(SCHEMA_POSTS) \
	  $(if $(SCHEMA_KEEP),--keep-databases) $(if $(SCHEMA_RESULTS),--results $(SCHEMA_RESULTS)) \
	  $(if $(SCHEMA_ONLY),--only $(SCHEMA_ONLY))

# Start this machine's PostgreSQL and MariaDB if they have stopped (no-ops when they run).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || ! command -v pg_ctlcluster >/dev/null || \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n 1) main start || true
	@mysqladmin -h 127.0.0.1 -u root ping >/dev/null 2>&1 || [ ! -x /usr/sbin/mariadbd ] || \
	  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true

# The whole suite on SQLite, PostgreSQL and MariaDB, then on a private PostgreSQL primary with a
# streaming standby as its replica (docs/scale-out.md); one summary line per run.
test-all: mysql-driver services browser pgbouncer mroonga
	$(PY) scripts/test_matrix.py backends

# The whole suite on the newest Django and Python here (SQLite), deprecations as errors.
test-newest: $(STAMP) browser
	$(PY) scripts/test_matrix.py newest

# Raw sqlite3 vs SQLAlchemy vs Django on the same schema and data, seed_demo against raw
# executemany with each way of keeping SQLite's trigram table, seed_demo on MariaDB without and
# with Mroonga's N-gram table, then every page of the app on SQLite, PostgreSQL and MariaDB at two
# sizes (docs/performance.md, docs/query-plans.md), compact_search_index on the pages' MariaDB
# database at its larger size under a writer, and the admin's import and export on each
# backend against seed_demo (100,000 posts imported; exports' peak memory at 10,000 and 1,000,000
# posts), and each admin's pages beside the Flask twin's Flask-Admin's at 10,000 posts on SQLite
# and at 1,000,000 on all three backends (docs/admin-contrast.md; 1,000 on all three in
# bench-quick).
# bench: 10,000 and 1,000,000 posts, tens of minutes (the ORM's, SQLite seeding's, pages',
# imports', exports' and the admins' figures also go to docs/data/, and the charts are redrawn);
# bench-quick: 10,000 posts, then pages at 1,000 and 10,000, a minute, its results written to
# scratch files (so CI runs that code too).
# Both fail on a schema mismatch, a trigram table that misses a post, a read that takes more
# than one query, a page that is not 200, a page whose query count grows with size, or a post
# that compaction left out of the N-gram table or a write of the writer beside it that failed;
# timings are printed, not judged.
.PHONY: bench bench-quick
# The page benchmark's MariaDB database, which it leaves filled at its larger size.
BENCH_MARIADB = $${BENCH_MARIADB_URL:-mysql://root@127.0.0.1:3306}/$${BENCH_DATABASE:-microblog_bench}
bench: $(STAMP) mysql-driver services mroonga
	$(PY) -m benchmarks --results docs/data/orm.json
	$(PY) -m benchmarks.seeding --results docs/data/seeding-sqlite.json
	$(PY) -m benchmarks.seeding --mariadb
	$(PY) -m benchmarks.pages --explain docs/query-plans.md --results docs/data/pages.json
	DATABASE_URL=$(BENCH_MARIADB) $(PY) -m benchmarks.search_compaction
	$(PY) -m benchmarks.spreadsheets --results docs/data
	$(PY) -m benchmarks.admin_contrast --results docs/data/admin-contrast-pages.json
	$(PY) -m benchmarks.admin_contrast --posts 1000000 --backends sqlite,postgresql,mariadb \
	  --results docs/data/admin-contrast-1m.json
	$(PY) scripts/plots.py

bench-quick: $(STAMP) mysql-driver services mroonga
	$(PY) -m benchmarks --quick --results $$(mktemp)
	$(PY) -m benchmarks.seeding --quick --results $$(mktemp -d)/seeding-sqlite.json
	$(PY) -m benchmarks.seeding --mariadb --quick
	$(PY) -m benchmarks.pages --quick --results $$(mktemp)
	DATABASE_URL=$(BENCH_MARIADB) $(PY) -m benchmarks.search_compaction --alone 5
	$(PY) -m benchmarks.spreadsheets --quick --results $$(mktemp -d)
	$(PY) -m benchmarks.admin_contrast --quick --results $$(mktemp)

# The admin's post list in headless Chromium, as an editor sees it, on whatever DATABASE_URL
# names (docs/admin-post-list-1m.png was taken after `make bench`, on its PostgreSQL database).
.PHONY: screenshot
screenshot: $(STAMP) browser
	$(PY) scripts/admin_screenshot.py docs/admin-post-list-1m.png

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

# docs/contrast.md's ```sql blocks ("The SQL each ORM sends"), captured again on SQLite and on
# scratch databases <name>_sql on this machine's PostgreSQL and MariaDB (made, then dropped);
# tests/test_contrast_sql.py fails until this has been run after Django or SQLAlchemy change
# their SQL.
CONTRAST_SQL_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/contrast_sql
CONTRAST_SQL_MARIADB_URL ?= mysql://root@127.0.0.1:3306/contrast_sql
.PHONY: contrast-sql
contrast-sql: $(STAMP) mysql-driver services
	$(PY) -m contrast.sql_capture --write docs/contrast.md \
	  --postgres-url $(CONTRAST_SQL_POSTGRES_URL) --mariadb-url $(CONTRAST_SQL_MARIADB_URL)

# The docs site (mkdocs.yml): README.md as its home page and every page of docs/, with the plots.
# docs: built into site/ with --strict, so a broken link or anchor between pages fails;
# docs-serve: the same, served at 127.0.0.1:8001 and rebuilt on every save. MkDocs and its theme
# are installed into .venv here, not by `make test`.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP) requirements-docs.txt
	$(VENV)/bin/uv pip install --quiet --python $(PY) -r requirements-docs.txt
	touch $@
.PHONY: docs docs-serve
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict
docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8001

# The charts of docs/ (docs/plots/NAME.svg), redrawn from the results stored beside them
# (docs/data/NAME.json) without running a benchmark; tests/test_plots.py fails until this has been
# run after a data file changes.
.PHONY: plots
plots: $(STAMP)
	$(PY) scripts/plots.py

# The Flask twin's admin (contrast/flask_app_2024/admin/, docs/admin-contrast.md) on
# 127.0.0.1:5000: ADMIN=hardened (the default: a staff login, printed the first time) or
# ADMIN=documented (Flask-Admin as its docs show it, open to anyone). The database is
# FLASK_DATABASE_URL, else admin.db (hardened) or the twin's app.db (documented) beside the code.
ADMIN ?= hardened
FLASK_ADMIN_PORT ?= 5000
FLASK_ADMIN := DATABASE_URL=$(FLASK_DATABASE_URL) $(VENV)/bin/flask --app contrast.flask_app_2024.admin.$(ADMIN)
.PHONY: flask-admin
flask-admin: $(STAMP)
	$(FLASK_ADMIN) db upgrade
	$(if $(filter hardened,$(ADMIN)),$(FLASK_ADMIN) first-admin,@echo "Flask-Admin (as documented): http://127.0.0.1:$(FLASK_ADMIN_PORT)/admin/ — no login: open to anyone")
	$(FLASK_ADMIN) run --host 127.0.0.1 --port $(FLASK_ADMIN_PORT)

# docs/admin-contrast.md's generated blocks: the same steps through Django's admin and the twin's
# Flask-Admin (as documented, and hardened), each side's lines of code, and the 5xx answers to hostile
# input (tests/test_admin_hostile_input.py, on SQLite, PostgreSQL and MariaDB), written into the
# page (the hostile input's counts per backend also into docs/data/admin-contrast-hostile.json, and
# its chart redrawn), and the screenshots in docs/admin-contrast/ taken again in Chromium;
# tests/test_admin_contrast.py fails when the page and a run disagree.
ADMIN_CONTRAST_POSTGRES ?= postgres://postgres@127.0.0.1:5432/admin_contrast
ADMIN_CONTRAST_MARIADB ?= mysql://root@127.0.0.1:3306/admin_contrast
.PHONY: admin-contrast
admin-contrast: $(STAMP) browser mysql-driver services
	ADMIN_CONTRAST_WRITE=1 $(PY) -m pytest -q tests/test_admin_contrast.py tests/test_admin_contrast_browser.py \
	  tests/test_admin_hostile_input.py
	ADMIN_CONTRAST_WRITE=1 DATABASE_URL=$(ADMIN_CONTRAST_POSTGRES) $(PY) -m pytest -q tests/test_admin_hostile_input.py
	ADMIN_CONTRAST_WRITE=1 DATABASE_URL=$(ADMIN_CONTRAST_MARIADB) $(PY) -m pytest -q tests/test_admin_hostile_input.py
	$(PY) scripts/plots.py

# Each admin at a million posts on SQLite, PostgreSQL and MariaDB (docs/admin-contrast.md): the
# databases are seeded once and kept (admin_contrast_bench_1000000, or $BENCH_DATABASE_1000000),
# about 5 minutes each the first time; then 20 to 30 minutes of pages, each bounded to 180 s and
# 3 GB. Its figures go to docs/data/admin-contrast-1m.json, and the charts are redrawn. Then each
# post list under load, served by gunicorn on the PostgreSQL databases at 10,000 and 1,000,000
# posts (benchmarks/admin_load.py, a few minutes).
.PHONY: admin-contrast-1m
admin-contrast-1m: $(STAMP) mysql-driver services mroonga
	$(PY) -m benchmarks.admin_contrast --posts 1000000 --backends sqlite,postgresql,mariadb \
	  --results docs/data/admin-contrast-1m.json
	$(PY) scripts/plots.py
	$(PY) -m benchmarks.admin_load
