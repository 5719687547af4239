"""Admin pages of the email channel. Mail intake (inbound store, quarantine, postmaster
filters) lives in :mod:`otrs.mail.admin_intake`; sections below add the outgoing queue and
the mail accounts."""

from . import admin_intake  # noqa: F401 - registers the intake pages
