"""Gunicorn configuration for the web process (deploy/systemd/otrs-web.service).

Gunicorn runs this file as Python at start and reads the module-level names below; every
name is a gunicorn setting (https://docs.gunicorn.org/en/stable/settings.html). The values
that differ between hosts come from the environment, i.e. from the same EnvironmentFile as
the Django settings (/etc/otrs-django/env), so this file itself never needs editing.

Start it by hand (for a test) with:

    /opt/otrs-django/venv/bin/gunicorn --config deploy/gunicorn.conf.py
"""

import os

# The WSGI application: otrs/wsgi.py, which loads the settings from the environment.
wsgi_app = "otrs.wsgi:application"

# Shown by ps/top, so the processes of this service are easy to tell apart.
proc_name = "otrs-web"

# --- Where to listen -------------------------------------------------------------------------

# Loopback only: nginx or Apache on the same host is the only client, and it alone faces the
# network. If the proxy runs on another host, listen on a private address instead
# (GUNICORN_BIND=10.0.0.5:8000) and firewall the port. A Unix socket also works
# (GUNICORN_BIND=unix:/run/otrs-django-web/gunicorn.sock) if the proxy config points at it.
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]

# --- How many processes -------------------------------------------------------------------------

# The sync worker handles one request at a time, and the proxy in front buffers slow clients
# (uploads and downloads), so a worker is only busy while Django works. The usual rule of
# thumb is two workers per CPU plus one. The CPUs counted are the ones this process may run
# on (which respects CPU pinning and cgroup cpusets, unlike os.cpu_count()). Each worker
# holds a full copy of Django (roughly 80-150 MB), so on a small machine set
# GUNICORN_WORKERS explicitly to fit the memory.
try:
    _cpus = len(os.sched_getaffinity(0))
except AttributeError:  # not Linux
    _cpus = os.cpu_count() or 1
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * _cpus + 1))
worker_class = "sync"

# Replace each worker after about this many requests (the jitter keeps them from all
# restarting at once), which bounds the damage of any slow memory leak.
max_requests = 1000
max_requests_jitter = 100

# Load the application in each worker, not once in the master: a reload (systemctl reload
# otrs-web, i.e. SIGHUP) then starts workers on the new code after an upgrade.
preload_app = False

# --- Timeouts ------------------------------------------------------------------------------------

# A worker silent for this many seconds is killed and replaced. It limits how long one
# request may run; long jobs (imports, bulk actions, reports) belong in Celery tasks. Keep
# the proxy's read timeout (nginx proxy_read_timeout, Apache ProxyPass timeout=) above it,
# so the proxy never gives up on a request gunicorn is still allowed to finish.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))

# On stop or reload, running requests get this long to finish before the worker is killed.
# The systemd unit's TimeoutStopSec is set above it.
graceful_timeout = 30

# --- Behind a reverse proxy ------------------------------------------------------------------

# Which proxy addresses gunicorn believes about the scheme: a request from one of these that
# carries "X-Forwarded-Proto: https" is treated as HTTPS (wsgi.url_scheme), so Django builds
# https:// links and request.is_secure() is true; from anyone else the header is ignored.
# That is why Django's SECURE_PROXY_SSL_HEADER is not needed. Loopback is right when the
# proxy is on this host; otherwise list the proxy hosts' addresses or networks
# (FORWARDED_ALLOW_IPS=10.0.0.2,10.0.0.3). Never use "*" while the port is reachable by
# anything but the proxies: any client could then claim to be on HTTPS.
#
# Gunicorn does NOT take the client's address from X-Forwarded-For: REMOTE_ADDR stays the
# proxy's. Django reads the header itself, believing it only from the proxies in the
# TRUSTED_PROXIES setting (otrs/accounts/client_address.py); the sign-in throttling counts
# by that address. Set TRUSTED_PROXIES in the same env file, normally to the same list;
# without FORWARDED_ALLOW_IPS, gunicorn takes that list here too.
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS") or os.environ.get("TRUSTED_PROXIES") or "127.0.0.1,::1"
)

# Only the header our nginx and Apache configs set. (Gunicorn's default also checks
# X-Forwarded-Protocol and X-Forwarded-Ssl, and rejects requests in which they disagree.)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logging -----------------------------------------------------------------------------------

# "-" is standard output/error, which systemd hands to the journal:
#   journalctl -u otrs-web
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# The usual combined log format, but starting with the client's address as the proxy saw it
# (X-Forwarded-For; the peer address is always the proxy), and ending with the time taken in
# milliseconds.
access_log_format = (
    '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)

# --- Runtime files (under systemd) ---------------------------------------------------------------

# systemd creates the unit's RuntimeDirectory= (/run/otrs-django-web, a RAM disk writable
# only by the service user) and names it in $RUNTIME_DIRECTORY. Without systemd gunicorn's
# defaults apply.
_runtime_dir = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
if _runtime_dir:
    # Workers prove they are alive by touching a file; in RAM, a slow disk can never make
    # gunicorn think a worker hung.
    worker_tmp_dir = _runtime_dir
    # gunicorn 25.1 and later (older versions ignore it): `gunicornc` shows the workers and
    # changes their number at run time through this socket. The default location is under
    # $HOME, which the service user cannot write.
    control_socket = os.path.join(_runtime_dir, "gunicorn.ctl")
