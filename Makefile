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
# The databases the suite runs on besides SQLite; the services TESTING.md describes.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/otrs
TEST_MARIADB_URL ?= mysql://root@127.0.0.1:3306/otrs
APT_PACKAGES := libmariadb-dev pkg-config gettext
# One pytest worker per core; each worker has its own test database.
PYTEST_ARGS ?= -q -n auto
# The browser tests drive Debian's Chromium with Playwright (never `playwright install`).
# nginx: tests/deploy run it in front of gunicorn, from a config of their own.
TEST_APT_PACKAGES := chromium fonts-dejavu-core dovecot-imapd dovecot-pop3d openssl nginx

.PHONY: run test install install-test system-packages services lint migrate demo messages clean

system-packages:
	@missing=""; for p in $(APT_PACKAGES) $(EXTRA_APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: system-packages $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MANAGE) compilemessages --ignore=.venv -v0

install-test: EXTRA_APT_PACKAGES = $(TEST_APT_PACKAGES)
install-test: system-packages $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	$(MANAGE) compilemessages --ignore=.venv -v0

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	DEBUG=true $(MANAGE) loaddemo

run: demo
	@mkdir -p var/log
	@echo "Starting the daemon (Celery worker with beat); its log is var/log/celery.log"
	@DEBUG=true $(BIN)/celery -A otrs worker --beat --loglevel=INFO --concurrency=2 \
		--schedule=var/celerybeat-schedule >var/log/celery.log 2>&1 & \
	worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
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

test: install-test services lint
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	@echo "== SQLite"
	$(BIN)/pytest $(PYTEST_ARGS)
	@echo "== PostgreSQL"
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest $(PYTEST_ARGS)
	@echo "== MariaDB"
	DATABASE_URL=$(TEST_MARIADB_URL) $(BIN)/pytest $(PYTEST_ARGS)

# Regenerates the translation catalogues after strings changed; then translate locale/de.
messages: install
	$(MANAGE) makemessages -l de -l en --ignore=.venv --ignore=var --ignore=bench --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv -v0

clean:
	rm -rf $(VENV) var build *.egg-info
