"""Every error in one shape: RFC 9457 problem details (``application/problem+json``)::

    {"type": "about:blank", "title": "Bad Request", "status": 400,
     "detail": "...", "code": "invalid",
     "errors": [{"field": "queue", "code": "does_not_exist", "detail": "..."}]}

``errors`` names each refused input field (dotted for nested ones: ``article.body``,
``items.2.state``); a domain rule (:class:`otrs.errors.DomainError`) answers 409 with its
stable ``code``, an edit conflict 412 with the current ``version``.
"""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from otrs.errors import DomainError, ErrorCode

from .unavailable import Unavailable

PROBLEM_TYPE = "application/problem+json"


def flatten(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error details as a flat list of ``{field, code, detail}``."""
    found: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = prefix if key == "non_field_errors" else f"{prefix}{key}"
            found += flatten(value, f"{name}." if name else "")
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                found += flatten(item, prefix)
        else:
            for index, item in enumerate(detail):
                found += flatten(item, f"{prefix}{index}.")
    else:
        found.append(
            {
                "field": prefix.rstrip(".") or None,
                "code": getattr(detail, "code", "invalid"),
                "detail": str(detail),
            }
        )
    return found


def problem(status_code: int, detail: str, *, code: str, errors=(), **extra) -> Response:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": list(errors),
        **extra,
    }
    return Response(body, status=status_code, content_type=PROBLEM_TYPE)


def domain_problem(error: DomainError) -> Response:
    if error.code == ErrorCode.EDIT_CONFLICT:
        return problem(
            status.HTTP_412_PRECONDITION_FAILED,
            error.message,
            code=error.code,
            version=getattr(error, "version", None),
        )
    if error.code == ErrorCode.PERMISSION_DENIED:
        return problem(status.HTTP_403_FORBIDDEN, error.message, code=error.code)
    field_errors = getattr(error, "errors", None)
    errors: list[dict[str, Any]]
    if field_errors:
        # Custom-field values refused by their types: invalid input, each field named.
        errors = [
            {"field": f"custom_fields.{name}", "code": error.code, "detail": str(text)}
            for name, text in field_errors.items()
        ]
        return problem(status.HTTP_400_BAD_REQUEST, error.message, code=error.code, errors=errors)
    errors = [{"field": error.field, "code": error.code, "detail": error.message}]
    return problem(status.HTTP_409_CONFLICT, error.message, code=error.code, errors=errors)


def unavailable_problem(exc: Unavailable) -> Response:
    until = exc.until
    response = problem(
        exc.status_code,
        str(exc.detail),
        code=exc.default_code,
        until=until.isoformat() if until else None,
    )
    seconds = (until - timezone.now()).total_seconds() if until else 300
    response["Retry-After"] = str(max(math.ceil(seconds), 1))
    return response


def exception_handler(exc, context):
    """DRF's handler, answering in the problem-details shape."""
    if isinstance(exc, DomainError):
        return domain_problem(exc)
    if isinstance(exc, Unavailable):
        return unavailable_problem(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten(exc.detail)
        detail = _("The request has invalid fields.")
        code = "invalid"
    else:
        detail_value = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        detail = str(detail_value)
        code = getattr(detail_value, "code", None) or getattr(exc, "default_code", "error")
        errors = []
    result = problem(response.status_code, detail, code=code, errors=errors)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
