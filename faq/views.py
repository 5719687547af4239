"""The agent's FAQ screens under /agent/faq/: the explorer (categories with counts, search),
the item page (live revision, waiting draft, revisions, diff, history, votes), the editors
and the approval buttons, the dashboard (waiting approvals, reviews due, prevented tickets).

Who may do what is :mod:`faq.access`; every change is one call into :mod:`faq.actions`.
Missing and forbidden answer 404 alike.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from otrs.accounts.decorators import agent_required
from otrs.action_flow import button_action, form_screen
from otrs.search.highlight import for_page
from otrs.web.pagination import paginate

from . import access, actions, selectors
from .choices import RevisionStatus
from .forms import (
    AttachmentForm,
    ContentForm,
    DiffForm,
    ItemForm,
    NoteForm,
    PropertiesForm,
    RelatedForm,
    SearchForm,
)
from .models import FaqItem, FaqRevision, FaqSettings

T = "faq/agent/"
#: Image types shown inline; anything else (SVG among them: it can hold script) downloads.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def _render(request, template: str, context: dict, *, status: int = 200):
    return render(request, T + template, {"nav": "faq", **context}, status=status)


def _item_url(item: FaqItem) -> str:
    return reverse("agent:faq_item", args=[item.pk])


# --- explorer and dashboard --------------------------------------------------------------------


@agent_required
@require_safe
def explorer(request):
    form = SearchForm(request.GET)
    params = form.cleaned_data if form.is_valid() else {}
    visible = access.visible_to(request.user)
    items = visible
    category = None
    if params.get("category"):
        category = access.categories_for(request.user).filter(pk=params["category"]).first()
        if category is None:
            raise Http404("No such category.")
        items = items.filter(category=category)
    if params.get("language"):
        items = items.filter(language=params["language"])
    if params.get("state"):
        items = items.filter(state=params["state"])
    items = selectors.search(items, params.get("q", ""), internal=True)
    page = paginate(
        items.select_related("category").order_by("-changed", "-pk"),
        number=request.GET.get("page"),
        per_page=min(max(request.user.rows_per_page or 25, 1), 100),
    )
    return _render(
        request,
        "explorer.html",
        {
            "form": form,
            "category": category,
            "rows": selectors.category_rows(request.user, visible),
            "page": page,
            "may_create": access.categories_for(request.user, access.EDIT).exists(),
            "highlighted": for_page(
                "faq_item",
                params.get("q", ""),
                page.rows,
                url=_item_url,
                label=lambda i: f"{i.number} {i.title}",
                internal=True,
            ),
        },
    )


@agent_required
@require_safe
def dashboard(request):
    approvable = access.visible_to(request.user, access.APPROVE)
    waiting = (
        FaqRevision.objects.filter(item__in=approvable.values("pk"), status=RevisionStatus.PENDING)
        .select_related("item", "author")
        .order_by("created")[:50]
    )
    editable = access.visible_to(request.user, access.EDIT)
    due = editable.filter(is_valid=True, review_after__lte=timezone.localdate()).order_by(
        "review_after"
    )[:50]
    mine = (
        FaqRevision.objects.filter(
            author=request.user, status__in=[RevisionStatus.RETURNED, RevisionStatus.DRAFT]
        )
        .filter(item__in=editable.values("pk"))
        .select_related("item")
        .order_by("-created")[:50]
    )
    return _render(
        request,
        "dashboard.html",
        {
            "waiting": waiting,
            "due": due,
            "mine": mine,
            "prevented": FaqSettings.load().prevented_tickets,
        },
    )


# --- the item ----------------------------------------------------------------------------------


@agent_required
@require_safe
def item(request, pk: int):
    found = access.get_or_404(request.user, pk)
    revisions = list(found.revisions.select_related("author", "reviewed_by"))
    latest = found.latest_revision
    return _render(
        request,
        "item.html",
        {
            "item": found,
            "live": found.live_revision,
            "waiting": latest if latest and latest.pk != found.live_revision_id else None,
            "revisions": revisions,
            "history": found.history.select_related("actor").order_by("-created", "-pk")[:100],
            "votes": selectors.votes(found),
            "custom_fields": selectors.custom_fields(found),
            "attachments": found.attachments.defer("content"),
            "related": selectors.related(found, access.visible_to(request.user)),
            "translations": selectors.translations(found, access.visible_to(request.user)),
            "may_edit": access.can(request.user, found, access.EDIT),
            "may_approve": access.can(request.user, found, access.APPROVE),
            "related_form": RelatedForm(
                user=request.user,
                initial={"numbers": " ".join(found.related.values_list("number", flat=True))},
            ),
            "attachment_form": AttachmentForm(),
            "diff_form": DiffForm(),
            "review_overdue": bool(
                found.review_after and found.review_after <= timezone.localdate()
            ),
        },
    )


@agent_required
@require_safe
def revision(request, pk: int, number: int):
    found = access.get_or_404(request.user, pk)
    rev = found.revisions.select_related("author").filter(number=number).first()
    if rev is None:
        raise Http404("No such revision.")
    return _render(request, "revision.html", {"item": found, "revision": rev})


@agent_required
@require_safe
def diff(request, pk: int):
    found = access.get_or_404(request.user, pk)
    form = DiffForm(request.GET)
    if not form.is_valid():
        raise Http404("No such revisions.")
    revs = {r.number: r for r in found.revisions.filter(number__in=form.cleaned_data.values())}
    old, new = revs.get(form.cleaned_data["a"]), revs.get(form.cleaned_data["b"])
    if old is None or new is None:
        raise Http404("No such revisions.")
    return _render(
        request,
        "diff.html",
        {"item": found, "old": old, "new": new, "rows": selectors.diff(old, new)},
    )


@agent_required
def item_add(request):
    translation_of = None
    raw = request.GET.get("translation_of", "")
    if raw.isdigit():
        translation_of = access.get_or_404(request.user, int(raw))
    initial = {}
    if translation_of is not None:
        initial = {"category": translation_of.category_id, "state": translation_of.state}
    elif request.GET.get("category", "").isdigit():
        initial = {"category": int(request.GET["category"])}
    form = ItemForm(request.POST or None, user=request.user, initial=initial)

    def act(data):
        return actions.create_item(
            data["category"],
            form.content(),
            actor=request.user,
            language=data["language"],
            state=data["state"],
            translation_of=translation_of,
            note=data["note"],
            submit=form.submit(),
            field_values=form.field_values(),
        )

    return form_screen(
        request,
        form,
        act,
        done=lambda new: (_("The FAQ item was saved."), _item_url(new)),
        render=lambda form, status=200, error=None: _render(
            request,
            "item_form.html",
            {"form": form, "translation_of": translation_of},
            status=status,
        ),
    )


@agent_required
def item_edit(request, pk: int):
    found = access.get_or_404(request.user, pk, access.EDIT)
    base = found.latest_revision
    initial = {"expected_revision": base.number if base else None}
    if base is not None:
        initial |= {f: getattr(base, f) for f in ("title", "keywords", *FaqRevision.FIELDS)}
    form = ContentForm(request.POST or None, initial=initial)

    def act(data):
        return actions.update_item(
            found,
            form.content(),
            actor=request.user,
            note=data["note"],
            submit=form.submit(),
            expected_revision=data["expected_revision"],
        )

    return form_screen(
        request,
        form,
        act,
        done=lambda rev: (_("Revision %(n)s was saved.") % {"n": rev.number}, _item_url(found)),
        render=lambda form, status=200, error=None: _render(
            request, "item_form.html", {"form": form, "item": found}, status=status
        ),
    )


@agent_required
def properties(request, pk: int):
    found = access.get_or_404(request.user, pk, access.EDIT)
    form = PropertiesForm(
        request.POST or None,
        user=request.user,
        item=found,
        initial={
            "category": found.category_id,
            "state": found.state,
            "valid": found.is_valid,
            "review_after": found.review_after,
        },
    )
    return form_screen(
        request,
        form,
        lambda data: actions.change_properties(
            found,
            actor=request.user,
            category=data["category"],
            state=data["state"],
            is_valid=data["valid"],
            review_after=data["review_after"],
            field_values=form.field_values(),
        ),
        done=lambda changed: (_("The FAQ item was changed."), _item_url(changed)),
        render=lambda form, status=200, error=None: _render(
            request, "properties.html", {"form": form, "item": found}, status=status
        ),
    )


def _revision_of(request, pk: int, number: int, need: str) -> FaqRevision:
    found = access.get_or_404(request.user, pk, need)
    rev = found.revisions.filter(number=number).first()
    if rev is None:
        raise Http404("No such revision.")
    return rev


@agent_required
@require_POST
def submit(request, pk: int, number: int):
    rev = _revision_of(request, pk, number, access.EDIT)
    return button_action(
        request,
        lambda: actions.submit_revision(rev, actor=request.user),
        done=lambda r: (_("Revision %(n)s was submitted.") % {"n": r.number}, _item_url(r.item)),
        back=_item_url(rev.item),
    )


@agent_required
@require_POST
def approve(request, pk: int, number: int):
    rev = _revision_of(request, pk, number, access.APPROVE)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return button_action(
        request,
        lambda: actions.approve_revision(rev, actor=request.user, note=note),
        done=lambda r: (_("Revision %(n)s is published.") % {"n": r.number}, _item_url(r.item)),
        back=_item_url(rev.item),
    )


@agent_required
@require_POST
def send_back(request, pk: int, number: int):
    rev = _revision_of(request, pk, number, access.APPROVE)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return button_action(
        request,
        lambda: actions.send_back_revision(rev, actor=request.user, note=note),
        done=lambda r: (_("Revision %(n)s was sent back.") % {"n": r.number}, _item_url(r.item)),
        back=_item_url(rev.item),
    )


@agent_required
@require_POST
def revert(request, pk: int, number: int):
    rev = _revision_of(request, pk, number, access.EDIT)
    return button_action(
        request,
        lambda: actions.revert_item(rev.item, rev.number, actor=request.user),
        done=lambda r: (
            _("Revision %(n)s restores revision %(old)s.") % {"n": r.number, "old": number},
            _item_url(r.item),
        ),
        back=_item_url(rev.item),
    )


@agent_required
@require_POST
def related(request, pk: int):
    found = access.get_or_404(request.user, pk, access.EDIT)
    form = RelatedForm(request.POST, user=request.user)
    if not form.is_valid():
        for error in form.errors.get("numbers", []):
            messages.error(request, str(error))
        return redirect(_item_url(found))
    return button_action(
        request,
        lambda: actions.set_related(found, form.cleaned_data["numbers"], actor=request.user),
        done=lambda i: (_("The related items were saved."), _item_url(i)),
        back=_item_url(found),
    )


@agent_required
@require_POST
def attachment_add(request, pk: int):
    found = access.get_or_404(request.user, pk, access.EDIT)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to attach."))
        return redirect(_item_url(found))
    upload = form.cleaned_data["file"]
    return button_action(
        request,
        lambda: actions.add_attachment(
            found,
            actor=request.user,
            filename=upload.name,
            content_type=upload.content_type,
            data=upload.read(),
            inline=form.cleaned_data["inline"],
        ),
        done=lambda a: (_("The file was attached."), _item_url(found)),
        back=_item_url(found),
    )


def attachment_response(found: FaqItem, attachment_id: int) -> HttpResponse:
    """A file of an item the caller already may read: images of safe types inline, all
    else as a download; never sniffed into a page."""
    attachment = found.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    inline = attachment.inline and attachment.content_type in INLINE_TYPES
    response = HttpResponse(
        bytes(attachment.content),
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment", attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _disposition(kind: str, filename: str) -> str:
    ascii_name = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


@agent_required
@require_safe
def attachment(request, pk: int, attachment_id: int):
    return attachment_response(access.get_or_404(request.user, pk), attachment_id)
