# The two commands of the README:
#   make run    set up and run the system on the embedded default (SQLite, filesystem broker)
#               with demo data, the daemon (Celery worker + beat) and the web server
#   make test   set up and pass the whole test suite on SQLite, PostgreSQL and MariaDB
# Both install what they need (Debian packages, a virtualenv) and can be run again.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in mail (written by the daemon) lead to the server `make run` starts.
SITE_URL ?= http://$(HOST):$(PORT)
# The databases the suite runs on besides SQLite; the services TESTING.md describes.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/otrs
TEST_MARIADB_URL ?= mysql://root@127.0.0.1:3306/otrs
# SQLite needs no database client library; the drivers are the extras `postgres` and `mysql`.
APT_PACKAGES := gettext
# One pytest worker per core; each worker has its own test database.
PYTEST_ARGS ?= -q -n auto
# OTRS_TESTS_STRICT: a missing browser, dovecot, nginx, Apache or openssl fails instead of skipping.
PYTEST := OTRS_TESTS_STRICT=1 $(BIN)/pytest
# The browser tests drive Debian's Chromium with Playwright (never `playwright install`).
# nginx: tests/deploy run it in front of gunicorn, from a config of their own; systemd:
# systemd-analyze verify checks the units of deploy/systemd; apache2-bin (the server and its
# modules, no service started): apache2 -t checks deploy/apache.
TEST_APT_PACKAGES := chromium fonts-dejavu-core dovecot-imapd dovecot-pop3d openssl nginx systemd \
	apache2-bin libpq-dev libmariadb-dev pkg-config
# Exact versions with hashes of everything installed live in requirements/*.txt (the lock
# files), written by uv, itself pinned here. `make lock` regenerates them after a change to
# pyproject.toml, keeping every pin it can; `make lock UPGRADE=1` moves to the newest releases.
UV_VERSION := 0.13.9
UV := $(abspath $(BIN))/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
UV_INSTALL = $(UV) pip install -q --python $(BIN)/python
LOCK_DIR ?= .
LOCK = cd $(LOCK_DIR) && $(UV) pip compile -q pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --custom-compile-command "make lock" $(if $(UPGRADE),--upgrade)

.PHONY: run test test-sqlite test-postgres test-mariadb install install-test system-packages services lint typecheck lock lock-check \
	migrate demo messages clean

system-packages:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(UV_STAMP): | $(BIN)/python
	$(BIN)/pip install -q uv==$(UV_VERSION)
	@touch $@

install: system-packages $(UV_STAMP)
	$(UV_INSTALL) --require-hashes -r requirements/run.txt
	$(UV_INSTALL) --no-deps -e .
	$(MANAGE) compilemessages --ignore=.venv -v0

install-test: EXTRA_APT_PACKAGES = $(TEST_APT_PACKAGES)
install-test: system-packages $(UV_STAMP)
	$(UV_INSTALL) --require-hashes -r requirements/test.txt
	$(UV_INSTALL) --no-deps -e .
	$(MANAGE) compilemessages --ignore=.venv -v0

# test.txt holds every extra; the others are subsets with the same pins.
lock: $(UV_STAMP)
	$(LOCK) --extra test --extra postgres --extra mysql -o requirements/test.txt
	$(LOCK) -c requirements/test.txt -o requirements/run.txt
	$(LOCK) -c requirements/test.txt --extra postgres -o requirements/postgres.txt
	$(LOCK) -c requirements/test.txt --extra mysql -o requirements/mysql.txt

# Fails when pyproject.toml asks for something the lock files do not hold.
lock-check: $(UV_STAMP)
	@tmp=$$(mktemp -d); cp -r pyproject.toml README.md requirements $$tmp/; \
	$(MAKE) -s --no-print-directory lock LOCK_DIR=$$tmp UPGRADE= && \
	diff -ru requirements $$tmp/requirements; status=$$?; rm -rf $$tmp; \
	[ $$status -eq 0 ] || { echo "requirements/ is stale: run make lock, commit requirements/" >&2; exit 1; }

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	DEBUG=true $(MANAGE) loaddemo

run: export SITE_URL := $(SITE_URL)
run: demo
	@mkdir -p var/log
	@echo "Starting the daemon (Celery worker with beat); its log is var/log/celery.log"
	@echo "Starting the LMTP listener (manage.py lmtpd, LMTP_LISTEN); its log is var/log/lmtpd.log"
	@DEBUG=true $(BIN)/celery -A otrs worker --beat --loglevel=INFO --concurrency=2 \
		--schedule=var/celerybeat-schedule >var/log/celery.log 2>&1 & \
	worker=$$!; DEBUG=true $(MANAGE) lmtpd >var/log/lmtpd.log 2>&1 & \
	lmtpd=$$!; trap 'kill $$worker $$lmtpd 2>/dev/null; wait $$worker $$lmtpd 2>/dev/null' EXIT INT TERM; \
	echo "Web: http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"; \
	DEBUG=true $(MANAGE) runserver $(HOST):$(PORT)

# Starts PostgreSQL and MariaDB if they are down (the commands from shared/TESTING.md).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1 || start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && mysqladmin -h 127.0.0.1 -u root status >/dev/null 2>&1 && exit 0; sleep 1; done; \
	echo "PostgreSQL or MariaDB did not come up on 127.0.0.1" >&2; exit 1

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# mypy with django-stubs on the domain packages; its configuration is in pyproject.toml.
typecheck: install-test
	$(BIN)/mypy

test: lock-check install-test services lint typecheck
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	@# The three databases side by side (each run has its own test database, named after
	@# its process), each run's output printed in one piece when it ends; then the browser
	@# tests, once, on SQLite, alone on the machine so that their timeouts never meet a
	@# machine busy with three suites.
	$(MAKE) --no-print-directory --output-sync=target --keep-going -j3 \
		test-sqlite test-postgres test-mariadb
	@echo "== Browser tests (SQLite)"
	$(PYTEST) $(PYTEST_ARGS) -m browser

# One database each, without the browser tests; `make test` runs the three at once.
test-sqlite:
	@echo "== SQLite"
	$(PYTEST) $(PYTEST_ARGS) -m "not browser"

test-postgres:
	@echo "== PostgreSQL"
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PYTEST) $(PYTEST_ARGS) -m "not browser"

test-mariadb:
	@echo "== MariaDB"
	DATABASE_URL=$(TEST_MARIADB_URL) $(PYTEST) $(PYTEST_ARGS) -m "not browser"

# Regenerates the translation catalogues after strings changed; then translate locale/de.
messages: install
	$(MANAGE) makemessages -l de -l en --ignore=.venv --ignore=var --ignore=bench --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv -v0

clean:
	rm -rf $(VENV) var build *.egg-info
