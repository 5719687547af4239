"""One upload field with one configured limit, enforced while the upload streams in.

``UPLOAD_MAX_FILE_BYTES`` bounds each file and ``UPLOAD_MAX_REQUEST_BYTES`` all files of one
request together, for every form of both portals. :class:`LimitedUploadHandler` runs first
among Django's upload handlers (:func:`install_upload_limits`, called by
:class:`UploadLimitsMiddleware`, before anything reads the body). It counts
each file's bytes as they arrive; past a limit it passes no further chunk to Django's own
handlers (memory up to ``FILE_UPLOAD_MAX_MEMORY_SIZE``, then a temporary file), so nothing past
the limit is kept anywhere, and the file arrives as a :class:`RejectedUpload`. The parser
still reads (and drops) the rest of the body to reach the fields after the file: the form
keeps the agent's text and shows which file was too large. The reverse proxy's request
size limit (``client_max_body_size``) bounds what is read at all.

:class:`UploadField` turns a rejected upload into a form error, and checks the sizes again
for files that did not come through the handler (a form used from code).
"""

from __future__ import annotations

import io

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

FILE_TOO_LARGE = "file_too_large"
TOTAL_TOO_LARGE = "total_too_large"


def file_limit() -> int:
    """The most one uploaded file may have, in bytes (read at call time)."""
    return settings.UPLOAD_MAX_FILE_BYTES


def request_limit() -> int:
    """The most all files of one request may have together, in bytes."""
    return settings.UPLOAD_MAX_REQUEST_BYTES


class RejectedUpload(UploadedFile):
    """A file the handler stopped keeping: ``reason`` is :data:`FILE_TOO_LARGE` or
    :data:`TOTAL_TOO_LARGE`; ``size`` is what arrived before that (the file is larger)."""

    def __init__(self, name: str, size: int, content_type: str, reason: str):
        super().__init__(io.BytesIO(), name, content_type, size)
        self.reason = reason


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of each file and of all files; keeps nothing past a limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.accepted_total = 0
        self.size = 0
        self.reason = ""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.size = 0
        self.reason = ""

    def receive_data_chunk(self, raw_data, start):
        if self.reason:
            return None  # later handlers never see a byte past the limit
        self.size += len(raw_data)
        if self.size > file_limit():
            self.reason = FILE_TOO_LARGE
        elif self.accepted_total + self.size > request_limit():
            self.reason = TOTAL_TOO_LARGE
        return None if self.reason else raw_data

    def file_complete(self, file_size):
        if self.reason:
            return RejectedUpload(self.file_name, self.size, self.content_type, self.reason)
        self.accepted_total += self.size
        return None  # the next handler (memory or temporary file) hands out the file


class UploadLimitsMiddleware:
    """Puts :class:`LimitedUploadHandler` before Django's upload handlers. Must sit above
    the CSRF middleware, which reads the body of every post."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.upload_handlers.insert(0, LimitedUploadHandler(request))
        return self.get_response(request)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


def _too_large(name: str) -> forms.ValidationError:
    return forms.ValidationError(
        _("“%(name)s” is too large; a file may be at most %(limit)s."),
        code=FILE_TOO_LARGE,
        params={"name": name, "limit": filesizeformat(file_limit())},
    )


def _total_too_large() -> forms.ValidationError:
    return forms.ValidationError(
        _("The attachments are too large together; at most %(limit)s."),
        code=TOTAL_TOO_LARGE,
        params={"limit": filesizeformat(request_limit())},
    )


def _upload_help() -> str:
    return gettext("Each file at most %(file)s, all files together at most %(total)s.") % {
        "file": filesizeformat(file_limit()),
        "total": filesizeformat(request_limit()),
    }


# Lazy: formatted when the form renders, in the reader's language and with today's limits.
upload_help = lazy(_upload_help, str)


class UploadField(forms.FileField):
    """Any number of files in one input (optional by default); cleans to a list of
    uploaded files within the limits, or a form error naming the file that is too large.
    Subclasses turn the files into what their action takes (:meth:`convert`)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.help_text = self.help_text or upload_help()

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        errors, files = [], []
        for upload in uploads:
            if isinstance(upload, RejectedUpload):
                errors.append(
                    _too_large(upload.name)
                    if upload.reason == FILE_TOO_LARGE
                    else _total_too_large()
                )
            elif upload.size > file_limit():
                errors.append(_too_large(upload.name))
            else:
                files.append(super().clean(upload, initial))
        if not errors and sum(f.size for f in files) > request_limit():
            errors.append(_total_too_large())
        if errors:
            raise forms.ValidationError(_dedupe(errors))
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [self.convert(f) for f in files]

    def convert(self, upload: UploadedFile):
        return upload


def _dedupe(errors: list[forms.ValidationError]) -> list[forms.ValidationError]:
    seen, kept = set(), []
    for error in errors:
        key = (error.code, tuple(sorted((error.params or {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept
