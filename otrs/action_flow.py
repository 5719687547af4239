"""The one flow of an action screen: parse a form, call one action, report.

* :func:`form_screen`: GET shows the form; POST validates it (invalid: shown again, 400),
  calls the screen's action with the cleaned data, and on success adds a message and
  redirects. A :class:`~otrs.errors.DomainError` from the action (which rolled back all it
  did) is shown on the form, on the field its code names when the form has that field, else
  above the form, with status 400 (409 for an edit conflict).
* :func:`button_action`: the same for a form-less button (close, valid/invalid): a refusal
  becomes a page message, and either way the browser goes back to the page.

Views supply three small callables, so the flow knows nothing of any domain: ``act``
(calls the action, returns what it made), ``done`` (what to say and where to go afterwards)
and ``render`` (the page, given the form, a status and the refusal if there was one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .errors import DomainError, ErrorCode

# (message, URL): what the agent or customer is told after a success, and where they go.
Done = tuple[str | None, str]


class Render(Protocol):
    def __call__(
        self, form: forms.Form, *, status: int = 200, error: DomainError | None = None
    ) -> HttpResponse: ...


def add_refusal(form: forms.Form, error: DomainError) -> None:
    """Show ``error`` on the field it is about when ``form`` has it, else on the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def refusal_status(error: DomainError, refused: int = 400) -> int:
    return 409 if error.code == ErrorCode.EDIT_CONFLICT else refused


def form_screen(
    request: HttpRequest,
    form: forms.Form,
    act: Callable[[dict], Any],
    *,
    done: Callable[[Any], Done],
    render: Render,
    refused_status: int = 400,
) -> HttpResponse:
    """GET: the empty form; POST: parse, call ``act``, then redirect or show the form
    again (see the module docstring)."""
    if request.method != "POST":
        return render(form)
    if not form.is_valid():
        return render(form, status=400)
    try:
        outcome = act(form.cleaned_data)
    except DomainError as error:
        add_refusal(form, error)
        return render(form, status=refusal_status(error, refused_status), error=error)
    message, url = done(outcome)
    if message:
        messages.success(request, message)
    return redirect(url)


def button_action(
    request: HttpRequest, act: Callable[[], Any], *, done: Callable[[Any], Done], back: str
) -> HttpResponse:
    """A POST without a form: call ``act``; a refusal is a page message and the browser
    returns to ``back``."""
    try:
        outcome = act()
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(back)
    message, url = done(outcome)
    if message:
        messages.success(request, message)
    return redirect(url)
