"""The FAQ's part of ``manage.py loaddemo`` (found by name, as every app's ``demo`` module)."""

from django.core.management import call_command


def load(stdout) -> None:
    call_command("loaddemo_faq", stdout=stdout)
