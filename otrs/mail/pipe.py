"""``otrs-postmaster``: the fast MTA pipe. It writes one raw mail from standard input into the
mail spool and exits; the daemon (``manage.py lmtpd`` and a Celery beat job) then stores and
processes it as any other mail (:mod:`otrs.mail.spool`).

It takes the options and exit statuses of ``manage.py postmaster`` but starts no Django, so a
delivery costs a few milliseconds more than starting Python itself:

- 0: the message is in the spool, written durably (the file and its directory synced);
- 75 (EX_TEMPFAIL): it could not be written now (the spool is missing or not writable, the
  disk is full); the MTA keeps the message and tries again later, so nothing is lost;
- 1: standard input held no message (as ``manage.py postmaster``).

``--reprocess`` is not on the hot path: it hands over to ``manage.py postmaster --reprocess``.

It imports nothing but the standard library, and the packages above it (:mod:`otrs`,
:mod:`otrs.mail`) import nothing at all (the Celery app is loaded lazily), so importing this
module starts neither Django nor Celery (tests/tickets/test_mta_pipe.py proves it). The
daemon's spool reader (:mod:`otrs.mail.spool`) imports the file format from here.

Where the spool is (the first that is set wins): the environment variable ``MAIL_SPOOL_DIR``,
``MAIL_SPOOL_DIR`` in the project's ``.env``, then ``OTRS_VAR_DIR`` (environment, then
``.env``) + ``/spool/mail``; then, in a source checkout (``manage.py`` beside the ``otrs``
package), ``var/spool/mail`` in it, and in an installed package (a wheel in site-packages,
where there is no project directory) :data:`INSTALLED_SPOOL_DIR`, the directory of the
deployment in ``deploy/``. The Django settings take ``MAIL_SPOOL_DIR`` from here, so the two
always agree.

The spool is a maildir: a message is written into ``tmp/``, synced, renamed into ``new/`` and
the directory synced; the reader claims a message by renaming it into ``cur/``. Each file holds
one line of JSON (the delivery options) and then the raw message, byte for byte.
"""

from __future__ import annotations

# Only what the interpreter has loaded anyway: every import here is paid on each delivery
# (pathlib, json, contextlib, argparse would each add a few milliseconds).
import os
import sys
import time

EX_TEMPFAIL = 75
# The project directory of a source checkout (otrs/mail/pipe.py → the directory of otrs/).
BASE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
# The spool of an installed package when nothing names one: OTRS_VAR_DIR of deploy/systemd.
INSTALLED_SPOOL_DIR = "/var/lib/otrs-django/spool/mail"
# The first line of a spool file: this marker, a space, the options as JSON, a newline.
MAGIC = b"OTRS-SPOOL-1 "
CHUNK = 1 << 20


def _dotenv(path: str) -> dict[str, str]:
    """The plain ``NAME=value`` lines of a ``.env`` file (what django-environ reads too)."""
    values: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return values
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        if name.startswith("export "):
            name = name[len("export ") :].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def spool_dir(environ: dict[str, str] | None = None, base_dir: str = BASE_DIR) -> str:
    """The spool directory, read without Django (see the module docstring)."""
    env = os.environ if environ is None else environ
    dotenv: dict[str, str] | None = None

    def setting(name: str) -> str:
        nonlocal dotenv
        if env.get(name):
            return env[name]
        if dotenv is None:
            dotenv = _dotenv(os.path.join(base_dir, ".env"))
        return dotenv.get(name, "")

    explicit = setting("MAIL_SPOOL_DIR")
    if explicit:
        return explicit
    var_dir = setting("OTRS_VAR_DIR")
    if var_dir:
        return os.path.join(var_dir, "spool", "mail")
    if is_checkout(base_dir):
        return os.path.join(base_dir, "var", "spool", "mail")
    # Installed (site-packages): never write beside the code.
    return INSTALLED_SPOOL_DIR


def is_checkout(base_dir: str = BASE_DIR) -> bool:
    """Whether ``base_dir`` is a project directory (a checkout or an editable install)."""
    return os.path.isfile(os.path.join(base_dir, "manage.py"))


def _unique_name() -> str:
    host = os.uname().nodename.replace("/", "_").replace(",", "_").replace(":", "_")
    return f"{time.time_ns()}.P{os.getpid()}R{os.urandom(5).hex()}.{host},a=0"


def _sync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def spool_options(*, queue: str | None, trusted: bool, source: str, **extra) -> dict:
    return {"queue": queue or None, "trusted": bool(trusted), "source": source, **extra}


def _json(value) -> str:
    """A JSON value (str, bool, None, int, or a list or dict of them), without importing
    json (the reader uses json)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        out = []
        for char in value:
            if char in '"\\':
                out.append("\\" + char)
            elif char < " " or "\ud800" <= char <= "\udfff":
                out.append(f"\\u{ord(char):04x}")
            else:
                out.append(char)
        return '"' + "".join(out) + '"'
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} into a spool header")


def write_spool(directory, chunks, options: dict, *, make_dirs: bool = True) -> tuple[str, int]:
    """Write one message (bytes, or an iterable of byte chunks) durably into
    ``directory/new``; returns the file and the message's size. Raises :class:`OSError` when
    it cannot be written, and then leaves nothing behind in ``tmp/``."""
    directory = os.fspath(directory)
    tmp, new = os.path.join(directory, "tmp"), os.path.join(directory, "new")
    if make_dirs:
        for sub in (tmp, new, os.path.join(directory, "cur")):
            os.makedirs(sub, exist_ok=True)
    if isinstance(chunks, bytes):
        chunks = (chunks,)
    name = _unique_name()
    path = os.path.join(tmp, name)
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        _write_all(fd, MAGIC + _json(options).encode("utf-8", "surrogateescape") + b"\n")
        for block in chunks:
            _write_all(fd, block)
            size += len(block)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(path)
        raise
    os.close(fd)
    target = os.path.join(new, name)
    try:
        os.rename(path, target)
        _sync_dir(new)
    except BaseException:
        _unlink_quietly(path)
        raise
    return target, size


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _unlink_quietly(path: str) -> None:
    try:  # noqa: SIM105 - contextlib is one import more on every delivery
        os.unlink(path)
    except OSError:
        pass


def read_spool(path) -> tuple[dict, bytes]:
    """The options and the raw message of a spool file. Raises :class:`ValueError` when the
    file is not one (the reader moves it aside)."""
    # Imported here: only the daemon reads spool files; the script must not pay for json.
    import json

    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(MAGIC):
        raise ValueError("not a spool file (no OTRS-SPOOL-1 line)")
    line, sep, raw = data.partition(b"\n")
    if not sep:
        raise ValueError("spool file ends inside its first line")
    options = json.loads(line[len(MAGIC) :])
    if not isinstance(options, dict):
        raise ValueError("spool options are not an object")
    return options, raw


def _stdin_chunks(first: bytes):
    yield first
    read = sys.stdin.buffer.read
    while True:
        block = read(CHUNK)
        if not block:
            return
        yield block


def _parse_args(argv: list[str]):
    # Imported here: only --help, --reprocess and unusual command lines need it; a delivery
    # must not pay for it.
    import argparse

    parser = argparse.ArgumentParser(
        prog="otrs-postmaster",
        description="Spool one raw mail from standard input for the help desk (exit 75 when "
        "it cannot be stored now), or reprocess quarantined mail.",
    )
    parser.add_argument("--queue", help="Put a new ticket into this queue (full name).")
    parser.add_argument(
        "--untrusted",
        action="store_true",
        help="Ignore X-OTRS-* headers in the mail (filters may still set them).",
    )
    parser.add_argument(
        "--reprocess",
        nargs="*",
        type=int,
        metavar="ID",
        help="Process quarantined messages again (runs manage.py postmaster --reprocess).",
    )
    parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=1)
    return parser.parse_args(argv)


def _fast_args(argv: list[str]) -> dict | None:
    """The common MTA command lines, read without argparse (None: let argparse do it)."""
    options: dict = {"queue": None, "untrusted": False, "verbosity": 1}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--untrusted":
            options["untrusted"] = True
        elif arg.startswith("--queue=") and len(arg) > len("--queue="):
            options["queue"] = arg[len("--queue=") :]
        elif arg == "--queue" and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            options["queue"] = argv[i + 1]
            i += 1
        else:
            return None
        i += 1
    return options


def _reprocess(ids: list[int], verbosity: int) -> int:
    manage = os.path.join(BASE_DIR, "manage.py")
    command = [sys.executable]
    command += [manage] if is_checkout() else ["-m", "django"]
    command += ["postmaster", "--reprocess", *map(str, ids), f"--verbosity={verbosity}"]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otrs.settings")
    os.execv(sys.executable, command)  # noqa: S606 - our own interpreter and manage.py
    return 0  # not reached


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    options = _fast_args(argv)
    if options is None:
        parsed = _parse_args(argv)
        if parsed.reprocess is not None:
            return _reprocess(parsed.reprocess, parsed.verbosity)
        options = {
            "queue": parsed.queue,
            "untrusted": parsed.untrusted,
            "verbosity": parsed.verbosity,
        }
    first = sys.stdin.buffer.read(CHUNK)
    if not first.strip() and (len(first) < CHUNK):
        sys.stderr.write("otrs-postmaster: standard input holds no message\n")
        return 1
    directory = spool_dir()
    try:
        target, size = write_spool(
            directory,
            _stdin_chunks(first),
            spool_options(queue=options["queue"], trusted=not options["untrusted"], source="pipe"),
        )
    except OSError as exc:
        sys.stderr.write(
            f"otrs-postmaster: message not stored, try again later: spool {directory}: {exc}\n"
        )
        return EX_TEMPFAIL
    if options["verbosity"] >= 2:
        sys.stdout.write(f"spooled {size} bytes as {target}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
