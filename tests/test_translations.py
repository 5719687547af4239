"""The German catalogue is complete, keeps every placeholder, and holds every string of the code.

English is the source language (its catalogue stays empty and Django falls back to the
msgids); German must be translated in full. The catalogues are plain ``.po`` files read with
the small parser below, so the checks need no extra dependency, only GNU gettext (which
``make install`` installs) for ``msgfmt`` and ``makemessages``.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "locale"
GERMAN = LOCALE / "de" / "LC_MESSAGES" / "django.po"

# A named printf-style placeholder as Python's ``%`` operator reads it: %(name)s, %(n)d, %(x).2f.
NAMED_PLACEHOLDER = re.compile(r"%\(\w+\)[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
# Ignored when copying the source tree for makemessages: state, caches and the catalogues.
NOT_COPIED = {"var", "locale", "node_modules", "build"}


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid

    def label(self) -> str:
        return f"[{self.msgctxt}] {self.msgid!r}" if self.msgctxt else repr(self.msgid)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, without its header and obsolete (``#~``) entries."""
    entries: list[Entry] = []
    entry, part = Entry(), None
    keywords = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")

    def finish() -> None:
        nonlocal entry, part
        if part is not None and entry.msgid:
            entries.append(entry)
        entry, part = Entry(), None

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#~"):
            if not line:
                finish()
            continue
        if line.startswith("#,"):
            if part is not None and part.startswith("msgstr"):
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
            continue
        if line.startswith("#"):
            if part is not None and part.startswith("msgstr"):
                finish()
            continue
        match = keywords.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and part is not None and part.startswith("msgstr"):
                finish()
            part = keyword if index is None else f"msgstr[{index}]"
            value = _unquote(text, path, lineno)
        elif line.startswith('"') and part is not None:
            value = _unquote(line, path, lineno)
        else:
            raise AssertionError(f"{path}:{lineno}: cannot read {raw!r}")
        if part == "msgctxt":
            entry.msgctxt = (entry.msgctxt or "") + value
        elif part == "msgid":
            entry.msgid += value
        elif part == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + value
        else:
            index = 0 if part == "msgstr" else int(part[7:-1])
            entry.msgstr[index] = entry.msgstr.get(index, "") + value
    finish()
    return entries


def _unquote(text: str, path: Path, lineno: int) -> str:
    """A PO string literal; its escapes (\\n, \\t, \\", \\\\) are Python's."""
    try:
        value = ast.literal_eval(text)
    except (SyntaxError, ValueError) as exc:
        raise AssertionError(f"{path}:{lineno}: bad string {text}") from exc
    assert isinstance(value, str), f"{path}:{lineno}: bad string {text}"
    return value


def placeholders(text: str) -> set[str]:
    return set(NAMED_PLACEHOLDER.findall(text))


def test_it_translates_every_string_into_german():
    assert shutil.which("msgfmt"), "msgfmt is missing: install gettext (make system-packages)"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(GERMAN)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    statistics = result.stderr + result.stdout
    assert result.returncode == 0, statistics
    assert "untranslated" not in statistics, statistics
    assert "fuzzy" not in statistics, statistics

    entries = parse_po(GERMAN)
    assert entries, f"{GERMAN} holds no messages"
    unfinished = [
        e.label()
        for e in entries
        if "fuzzy" in e.flags or not e.msgstr or not all(e.msgstr.values())
    ]
    assert not unfinished, "untranslated or fuzzy: " + ", ".join(unfinished)

    wrong = []
    for e in entries:
        for index, text in sorted(e.msgstr.items()):
            # Plural forms: the first follows msgid, the others msgid_plural.
            source = e.msgid if index == 0 or e.msgid_plural is None else e.msgid_plural
            if placeholders(text) != placeholders(source):
                wrong.append(
                    f"{e.label()} msgstr[{index}]: {sorted(placeholders(text))} "
                    f"instead of {sorted(placeholders(source))}"
                )
    assert not wrong, "placeholders differ from the English:\n" + "\n".join(wrong)


def _fingerprint(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def _copy_sources(target: Path) -> None:
    """Copy the repository's working tree to ``target``: no dot entries, state or catalogues."""
    ignore_everywhere = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for source in sorted(REPO.iterdir()):
        if source.name.startswith(".") or source.name in NOT_COPIED:
            continue
        if source.is_dir() and not source.is_symlink():
            shutil.copytree(source, target / source.name, symlinks=True, ignore=ignore_everywhere)
        else:
            shutil.copy2(source, target / source.name, follow_symlinks=False)


def test_it_has_every_string_of_the_code_in_the_catalogue(tmp_path):
    """Re-extract the German catalogue as ``make messages`` does, but only in ``tmp_path``.

    ``makemessages`` cannot be pointed at another output directory: besides
    ``settings.LOCALE_PATHS`` it writes to every ``locale`` directory it meets while walking
    the current directory (and to ``./locale``), and it writes the preprocessed copy of each
    template (``name.html.py``) next to the template. Run from the repository root, it would
    therefore rewrite ``locale/de/LC_MESSAGES/django.po`` there, whatever the settings say.
    So the working tree (without dot entries, ``var`` and ``locale``) is copied to
    ``tmp_path``, the committed German catalogue is copied to
    ``tmp_path/locale/de/LC_MESSAGES/django.po``, and makemessages runs with ``cwd=tmp_path``
    under a settings module written there (``from otrs.settings import *`` with
    ``LOCALE_PATHS`` set to ``tmp_path/locale``) and ``OTRS_VAR_DIR`` in ``tmp_path``. The
    repository's ``locale`` files are fingerprinted before and after to prove they were left
    alone (``git status`` cannot show that while ``locale/`` is untracked).
    """
    assert shutil.which("xgettext"), "xgettext is missing: install gettext (make system-packages)"
    before = _fingerprint(LOCALE)
    _copy_sources(tmp_path)
    regenerated = tmp_path / "locale" / "de" / "LC_MESSAGES" / "django.po"
    regenerated.parent.mkdir(parents=True)
    shutil.copyfile(GERMAN, regenerated)
    settings_module = "translation_check_settings"
    (tmp_path / f"{settings_module}.py").write_text(
        "from otrs.settings import *  # noqa: F403\n\n"
        f"LOCALE_PATHS = [{str(tmp_path / 'locale')!r}]\n",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")])),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OTRS_VAR_DIR": str(tmp_path / "var"),
    }
    command = [
        sys.executable,
        "-m",
        "django",
        "makemessages",
        "-l",
        "de",
        "--ignore=.venv",
        "--ignore=var",
        "--ignore=bench",
        "--ignore=tests",
        "--no-obsolete",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert _fingerprint(LOCALE) == before, "makemessages wrote into the repository's locale/"
    assert result.returncode == 0, result.stdout + result.stderr

    committed = {e.key for e in parse_po(GERMAN)}
    current = parse_po(regenerated)
    assert current, f"makemessages found no strings in {tmp_path}:\n{result.stdout}{result.stderr}"
    missing = [e.label() for e in current if e.key not in committed]
    assert not missing, (
        f"{len(missing)} string(s) of the code are not in locale/de/LC_MESSAGES/django.po; "
        "run `make messages` and translate them:\n" + "\n".join(missing)
    )
