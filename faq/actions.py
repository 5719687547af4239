"""Every change to the FAQ, one function per intent.

Each action checks the actor with :mod:`faq.access`, validates, and writes in one
transaction with the item row locked, so a refusal (:class:`otrs.errors.DomainError`)
leaves nothing half done. Each writes its :class:`~faq.models.FaqHistory` row(s) and records
its event (:class:`faq.events.FaqEvent`) in the same place (:func:`_log`).

Revisions, not overwrites: :func:`create_item`, :func:`update_item` and :func:`revert_item`
each add a :class:`~faq.models.FaqRevision`. With ``submit=False`` it stays a draft. With
``submit=True`` it is published at once in a category without approval, and waits for an
approver (:func:`approve_revision` / :func:`send_back_revision`) in one with approval; the
live revision stays what readers see until then. Rich text is cleaned with the project's
sanitiser (:func:`otrs.html.sanitize_html`) before it is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs import events
from otrs.accounts.models import User
from otrs.errors import DomainError, ErrorCode
from otrs.fields.actions import clean_values, write_values
from otrs.html import sanitize_html

from . import access
from .choices import HistoryType, ItemState, RevisionStatus
from .events import FaqEvent
from .fields import FAQ_ITEM
from .models import (
    FaqAttachment,
    FaqCategory,
    FaqHistory,
    FaqItem,
    FaqNumberCounter,
    FaqRevision,
    FaqSettings,
    FaqTicketLink,
    FaqVote,
    plain_text,
)

#: Attachments larger than this are refused (bytes).
MAX_ATTACHMENT = 10 * 1024 * 1024
#: The FAQ number's prefix: like ticket numbers, each item has its own number.
NUMBER_PREFIX = "F"


@dataclass(frozen=True)
class Content:
    """What one revision holds, as a form or the API gives it (HTML not yet cleaned)."""

    title: str
    keywords: str = ""
    symptom: str = ""
    problem: str = ""
    solution: str = ""
    comment: str = ""


# --- numbers -----------------------------------------------------------------------------------


def next_number() -> str:
    """The next item number (call inside a transaction: the counter row stays locked until
    it ends, so two items never share a number)."""
    counter = FaqNumberCounter.objects.select_for_update().order_by("pk").first()
    if counter is None:
        try:
            with transaction.atomic():
                counter = FaqNumberCounter.objects.create(pk=1, last=0)
        except IntegrityError:
            pass
        counter = FaqNumberCounter.objects.select_for_update().get(pk=1)
    FaqNumberCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{NUMBER_PREFIX}{settings.SYSTEM_ID}{counter.last:06d}"


# --- items and revisions -----------------------------------------------------------------------


def create_item(
    category: FaqCategory,
    content: Content,
    *,
    actor: User,
    language: str,
    state: str = ItemState.INTERNAL,
    translation_of: FaqItem | None = None,
    note: str = "",
    submit: bool = True,
    field_values: dict | None = None,
) -> FaqItem:
    """A new item with its first revision (see the module docstring for ``submit``) and its
    custom fields (``{name: value}``, all or nothing)."""
    _require_category(actor, category, access.EDIT)
    content = _checked(content)
    language = _checked_language(language)
    state = ItemState(state)
    if translation_of is not None:
        if not access.can(actor, translation_of, access.READ):
            raise _not_allowed()
        translation_of = _group_root(translation_of)
        if translation_of.translations.filter(language=language).exists() or (
            translation_of.language == language
        ):
            raise DomainError(
                _("This item already has a translation in that language."),
                code=ErrorCode.NOT_ALLOWED,
                field="language",
            )
    now = timezone.now()
    review_days = FaqSettings.load().review_days
    with transaction.atomic():
        item = FaqItem.objects.create(
            number=next_number(),
            category=category,
            language=language,
            translation_of=translation_of,
            state=state,
            title=content.title,
            keywords=content.keywords,
            review_after=(now + timedelta(days=review_days)).date() if review_days else None,
            created=now,
            changed=now,
            created_by=actor,
            changed_by=actor,
        )
        item.group = translation_of.pk if translation_of is not None else item.pk
        item.save(update_fields=["group"])
        _log(item, HistoryType.CREATED, FaqEvent.ITEM_CREATE, actor, new={"state": state})
        _write_fields(item, field_values, actor)
        _add_revision(item, content, actor=actor, note=note, submit=submit)
    return item


def update_item(
    item: FaqItem,
    content: Content,
    *,
    actor: User,
    note: str = "",
    submit: bool = True,
    expected_revision: int | None = None,
) -> FaqRevision:
    """A new revision of ``item``. ``expected_revision``: the latest revision number the
    editor saw; another save in between is an edit conflict, not a silent overwrite."""
    content = _checked(content)
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        latest = item.latest_revision
        if (
            expected_revision is not None
            and latest is not None
            and latest.number != expected_revision
        ):
            raise DomainError(
                _(
                    "Someone saved a newer revision (%(number)s) while you edited; "
                    "reload the item and apply your change again."
                )
                % {"number": latest.number},
                code=ErrorCode.EDIT_CONFLICT,
            )
        return _add_revision(item, content, actor=actor, note=note, submit=submit)


def revert_item(
    item: FaqItem, number: int, *, actor: User, note: str = "", submit: bool = True
) -> FaqRevision:
    """A new revision holding the content of revision ``number`` (recorded as a revert)."""
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        old = item.revisions.filter(number=number).first()
        if old is None:
            raise DomainError(_("There is no such revision."), code=ErrorCode.STALE)
        content = Content(
            title=old.title,
            keywords=old.keywords,
            symptom=old.symptom,
            problem=old.problem,
            solution=old.solution,
            comment=old.comment,
        )
        note = note or _("Reverted to revision %(number)s") % {"number": number}
        return _add_revision(
            item, content, actor=actor, note=note, submit=submit, reverted_from=number
        )


def submit_revision(revision: FaqRevision, *, actor: User) -> FaqRevision:
    """Hand a draft (or a sent-back revision) to the approvers, or publish it at once in a
    category without approval."""
    with transaction.atomic():
        item = _locked(revision.item, actor, access.EDIT)
        revision = _locked_revision(revision, item)
        if revision.status not in (RevisionStatus.DRAFT, RevisionStatus.RETURNED):
            raise _stale()
        _submit(item, revision, actor)
    return revision


def approve_revision(revision: FaqRevision, *, actor: User, note: str = "") -> FaqRevision:
    """Publish a revision waiting for approval: it becomes the live revision."""
    with transaction.atomic():
        item = _locked(revision.item, actor, access.APPROVE)
        revision = _locked_revision(revision, item)
        if revision.status != RevisionStatus.PENDING:
            raise _stale()
        revision.reviewed_by, revision.reviewed = actor, timezone.now()
        revision.review_note = note[:250]
        revision.save(update_fields=["reviewed_by", "reviewed", "review_note"])
        _publish(item, revision, actor, HistoryType.APPROVED)
    return revision


def send_back_revision(revision: FaqRevision, *, actor: User, note: str) -> FaqRevision:
    """Refuse a waiting revision with a note for its author; the live revision stays."""
    note = (note or "").strip()
    if not note:
        raise DomainError(
            _("Say what should change before sending the revision back."),
            code=ErrorCode.NOT_ALLOWED,
            field="note",
        )
    with transaction.atomic():
        item = _locked(revision.item, actor, access.APPROVE)
        revision = _locked_revision(revision, item)
        if revision.status != RevisionStatus.PENDING:
            raise _stale()
        revision.status = RevisionStatus.RETURNED
        revision.reviewed_by, revision.reviewed = actor, timezone.now()
        revision.review_note = note[:250]
        revision.save(update_fields=["status", "reviewed_by", "reviewed", "review_note"])
        _log(
            item,
            HistoryType.SENT_BACK,
            FaqEvent.SENT_BACK,
            actor,
            new={"revision": revision.number},
            payload={
                "revision": revision.number,
                "note": revision.review_note,
                "author_id": revision.author_id,
            },
        )
    return revision


def change_properties(
    item: FaqItem,
    *,
    actor: User,
    category: FaqCategory,
    state: str,
    is_valid: bool,
    review_after: date | None,
    field_values: dict | None = None,
) -> FaqItem:
    """The item's category, state, validity, review date and custom fields (not content: no
    revision). Moving needs edit rights on the old and the new category."""
    state = ItemState(state)
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        changes: list[tuple[HistoryType, dict, dict]] = []
        if category.pk != item.category_id:
            _require_category(actor, category, access.EDIT)
            changes.append(
                (HistoryType.MOVED, {"category": item.category_id}, {"category": category.pk})
            )
            item.category = category
        if state != item.state:
            changes.append((HistoryType.STATE_CHANGED, {"state": item.state}, {"state": state}))
            item.state = state
        if is_valid != item.is_valid:
            changes.append(
                (HistoryType.VALIDITY_CHANGED, {"valid": item.is_valid}, {"valid": is_valid})
            )
            item.is_valid = is_valid
        if review_after != item.review_after:
            old = item.review_after.isoformat() if item.review_after else None
            new = review_after.isoformat() if review_after else None
            changes.append((HistoryType.UPDATED, {"review_after": old}, {"review_after": new}))
            item.review_after = review_after
        _write_fields(item, field_values, actor)
        if not changes:
            return item
        item.changed, item.changed_by = timezone.now(), actor
        item.save(
            update_fields=["category", "state", "is_valid", "review_after", "changed", "changed_by"]
        )
        for kind, old_values, new_values in changes:
            FaqHistory.objects.create(
                item=item, type=kind, actor=actor, old=old_values, new=new_values
            )
        _event(
            item,
            FaqEvent.ITEM_UPDATE,
            actor,
            {"changes": {k: [o[k], n[k]] for _t, o, n in changes for k in n}},
        )
    return item


def set_field_values(item: FaqItem, values: dict, *, actor: User) -> FaqItem:
    """Set custom fields of ``item`` (the writer registered with the field engine, so the
    engine's callers, such as the API, go through the FAQ's rules too)."""
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        _write_fields(item, values, actor)
    return item


def _write_fields(item: FaqItem, values: dict | None, actor: User) -> None:
    """Validate (all or nothing) and store custom field values under the caller's lock; one
    history row and event for what changed, raw values as text."""
    if not values:
        return
    changes = write_values(FAQ_ITEM, item.pk, clean_values(FAQ_ITEM, values))
    if not changes:
        return
    _log(
        item,
        HistoryType.FIELDS_CHANGED,
        FaqEvent.ITEM_UPDATE,
        actor,
        old={f"field:{c.definition.name}": c.old_text for c in changes},
        new={f"field:{c.definition.name}": c.new_text for c in changes},
    )


def set_related(item: FaqItem, related: list[FaqItem], *, actor: User) -> FaqItem:
    """Replace the items shown as related (each must be readable by the actor)."""
    wanted = {r.pk for r in related if r.pk != item.pk}
    if wanted:
        readable = set(access.visible_to(actor).filter(pk__in=wanted).values_list("pk", flat=True))
        if readable != wanted:
            raise _not_allowed()
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        before = set(item.related.values_list("pk", flat=True))
        if before == wanted:
            return item
        item.related.set(sorted(wanted))
        _log(
            item,
            HistoryType.RELATED_CHANGED,
            FaqEvent.ITEM_UPDATE,
            actor,
            old={"related": sorted(before)},
            new={"related": sorted(wanted)},
        )
    return item


def add_attachment(
    item: FaqItem,
    *,
    actor: User,
    filename: str,
    content_type: str,
    data: bytes,
    inline: bool = False,
) -> FaqAttachment:
    """Attach a file. Its name is kept as given and only ever shown escaped; the download
    sends it as an attachment (never rendered as a page) unless it is an inline image."""
    filename = (filename or "").replace("\x00", "").strip()[:250] or "attachment"
    if len(data) > MAX_ATTACHMENT:
        raise DomainError(
            _("The file is larger than %(size)s MB.") % {"size": MAX_ATTACHMENT // 1024 // 1024},
            code=ErrorCode.NOT_ALLOWED,
            field="file",
        )
    content_type = (content_type or "application/octet-stream")[:100]
    if inline and not content_type.startswith("image/"):
        inline = False
    with transaction.atomic():
        item = _locked(item, actor, access.EDIT)
        attachment = FaqAttachment.objects.create(
            item=item,
            filename=filename,
            content_type=content_type,
            content=data,
            size=len(data),
            inline=inline,
            created_by=actor,
        )
        _log(
            item,
            HistoryType.ATTACHMENT_ADDED,
            FaqEvent.ITEM_UPDATE,
            actor,
            new={"attachment": attachment.pk, "filename": filename},
        )
    return attachment


def readable_item(item: FaqItem, actor: User) -> FaqItem | None:
    """``item`` as the actor may read it now (re-read), or None."""
    return access.visible_to(actor).filter(pk=item.pk).select_related("live_revision").first()


def link_ticket(item: FaqItem, ticket, *, actor: User) -> tuple[FaqTicketLink, bool]:
    """Link ``item`` to ``ticket`` and say whether the link is new. Called by the ticket
    domain's action (:func:`tickets.actions.link_faq_item`), which locked the ticket and
    checked the actor may change it; here the actor must read the item."""
    with transaction.atomic():
        item = _locked(item, actor, access.READ)
        link, created = FaqTicketLink.objects.get_or_create(
            item=item, ticket=ticket, defaults={"created_by": actor}
        )
        if created:
            FaqHistory.objects.create(
                item=item,
                type=HistoryType.TICKET_LINKED,
                actor=actor,
                new={"ticket": ticket.pk},
            )
    return link, created


def unlink_ticket(item: FaqItem, ticket, *, actor: User) -> bool:
    """Remove the link between ``item`` and ``ticket`` (the ticket domain's action checked
    the ticket); whether there was one."""
    with transaction.atomic():
        FaqItem.objects.select_for_update().filter(pk=item.pk).first()
        deleted, _rows = FaqTicketLink.objects.filter(item_id=item.pk, ticket=ticket).delete()
        if deleted:
            FaqHistory.objects.create(
                item_id=item.pk,
                type=HistoryType.TICKET_UNLINKED,
                actor=actor,
                old={"ticket": ticket.pk},
            )
    return bool(deleted)


def vote(item: FaqItem, rating: int, *, user=None, session_key: str = "") -> FaqVote:
    """A reader's rating (a later vote of the same reader replaces the earlier one). The
    caller checked the reader may read the item."""
    scale = FaqSettings.load().vote_scale
    if not (isinstance(rating, int) and 1 <= rating <= scale):
        raise DomainError(
            _("Choose a rating from 1 to %(max)s.") % {"max": scale},
            code=ErrorCode.NOT_ALLOWED,
            field="rating",
        )
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if not signed_in and not session_key:
        raise DomainError(_("Your vote could not be counted."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        FaqItem.objects.select_for_update().filter(pk=item.pk).first()
        if signed_in:
            found, _created = FaqVote.objects.update_or_create(
                item=item, user=user, defaults={"rating": rating, "created": timezone.now()}
            )
        else:
            found, _created = FaqVote.objects.update_or_create(
                item=item,
                user=None,
                session_key=session_key[:64],
                defaults={"rating": rating, "created": timezone.now()},
            )
    return found


def count_prevented_ticket() -> None:
    """A customer opened a suggested item and did not submit the ticket."""
    settings_row = FaqSettings.load()
    FaqSettings.objects.filter(pk=settings_row.pk).update(
        prevented_tickets=F("prevented_tickets") + 1
    )


def uncount_prevented_ticket() -> None:
    """The customer counted by :func:`count_prevented_ticket` submitted the ticket after all."""
    FaqSettings.objects.filter(prevented_tickets__gt=0).update(
        prevented_tickets=F("prevented_tickets") - 1
    )


def record_review_due(today: date | None = None) -> list[int]:
    """Record a review-due event once for each valid item whose review date has passed
    (safe to run twice: an item is announced once per review date)."""
    today = today or timezone.localdate()
    announced = []
    due = FaqItem.objects.filter(is_valid=True, review_after__lte=today).exclude(
        review_event_for=F("review_after")
    )
    for item_id in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            item = FaqItem.objects.select_for_update().filter(pk=item_id).first()
            if (
                item is None
                or item.review_after is None
                or item.review_event_for == item.review_after
            ):
                continue
            item.review_event_for = item.review_after
            item.save(update_fields=["review_event_for"])
            _event(
                item,
                FaqEvent.REVIEW_DUE,
                None,
                {"review_after": item.review_after.isoformat()},
            )
            announced.append(item.pk)
    return announced


# --- inside ------------------------------------------------------------------------------------


def _add_revision(
    item: FaqItem,
    content: Content,
    *,
    actor: User,
    note: str,
    submit: bool,
    reverted_from: int | None = None,
) -> FaqRevision:
    latest = item.latest_revision
    number = (latest.number if latest else 0) + 1
    revision = FaqRevision.objects.create(
        item=item,
        number=number,
        title=content.title,
        keywords=content.keywords,
        symptom=content.symptom,
        problem=content.problem,
        solution=content.solution,
        comment=content.comment,
        note=(note or "").strip()[:250],
        author=actor,
        reverted_from=reverted_from,
    )
    # An older draft or waiting revision is superseded by this one: it can no longer be
    # published over it.
    item.revisions.filter(status=RevisionStatus.PENDING).exclude(pk=revision.pk).update(
        status=RevisionStatus.DRAFT
    )
    item.latest_revision = revision
    item.changed, item.changed_by = timezone.now(), actor
    fields = ["latest_revision", "changed", "changed_by"]
    if item.live_revision_id is None:
        _copy_search_fields(item, revision)
        fields += ["title", "keywords", "search_text", "public_text"]
    item.save(update_fields=fields)
    if number > 1:
        _log(
            item,
            HistoryType.REVERTED if reverted_from else HistoryType.UPDATED,
            FaqEvent.ITEM_UPDATE,
            actor,
            new={"revision": number, **({"reverted_from": reverted_from} if reverted_from else {})},
        )
    if submit:
        _submit(item, revision, actor)
    return revision


def _submit(item: FaqItem, revision: FaqRevision, actor: User) -> None:
    if not item.category.approval_required:
        _publish(item, revision, actor, None)
        return
    revision.status = RevisionStatus.PENDING
    revision.save(update_fields=["status"])
    _log(
        item,
        HistoryType.APPROVAL_REQUESTED,
        FaqEvent.APPROVAL_REQUEST,
        actor,
        new={"revision": revision.number},
        payload={"revision": revision.number, "category_id": item.category_id},
    )


def _publish(item: FaqItem, revision: FaqRevision, actor: User, kind: HistoryType | None) -> None:
    previous = item.live_revision.number if item.live_revision else None
    revision.status = RevisionStatus.PUBLISHED
    revision.save(update_fields=["status"])
    item.live_revision = revision
    _copy_search_fields(item, revision)
    item.changed, item.changed_by = timezone.now(), actor
    item.save(
        update_fields=[
            *("live_revision", "title", "keywords", "search_text", "public_text"),
            *("changed", "changed_by"),
        ]
    )
    if kind is not None:
        FaqHistory.objects.create(
            item=item, type=kind, actor=actor, new={"revision": revision.number}
        )
    _event(item, FaqEvent.ITEM_PUBLISH, actor, {"revision": revision.number, "previous": previous})


def _copy_search_fields(item: FaqItem, revision: FaqRevision) -> None:
    item.title = revision.title
    item.keywords = revision.keywords
    public = [revision.title, revision.keywords]
    public += [plain_text(getattr(revision, f)) for f in FaqRevision.PUBLIC_FIELDS]
    item.public_text = "\n".join(p for p in public if p)
    item.search_text = "\n".join(p for p in (item.public_text, plain_text(revision.comment)) if p)


def _checked(content: Content) -> Content:
    title = " ".join((content.title or "").split())[:250]
    if not title:
        raise DomainError(_("An item needs a title."), code=ErrorCode.TITLE_REQUIRED, field="title")
    keywords = " ".join((content.keywords or "").replace(",", " ").split())[:250]
    cleaned = {
        f: sanitize_html(getattr(content, f) or "", remote_images=False) for f in FaqRevision.FIELDS
    }
    return Content(title=title, keywords=keywords, **cleaned)


def _checked_language(language: str) -> str:
    if language not in dict(settings.LANGUAGES):
        raise DomainError(
            _("Choose one of the offered languages."), code=ErrorCode.NOT_ALLOWED, field="language"
        )
    return language


def _group_root(item: FaqItem) -> FaqItem:
    return item.translation_of if item.translation_of_id else item  # type: ignore[return-value]


def _require_category(actor: User, category: FaqCategory, need: str) -> None:
    if not access.can_in_category(actor, category, need):
        raise _not_allowed()


def _locked(item: FaqItem, actor: User, need: str) -> FaqItem:
    """The item row, locked, if ``actor`` may act on it with ``need``."""
    locked = access.visible_to(actor, need).select_for_update().filter(pk=item.pk).first()
    if locked is None:
        raise _not_allowed()
    return FaqItem.objects.select_related("category", "live_revision", "latest_revision").get(
        pk=locked.pk
    )


def _locked_revision(revision: FaqRevision, item: FaqItem) -> FaqRevision:
    found = FaqRevision.objects.select_for_update().filter(pk=revision.pk, item=item).first()
    if found is None:
        raise _stale()
    return found


def _not_allowed() -> DomainError:
    return DomainError(_("You may not change this FAQ item."), code=ErrorCode.NOT_ALLOWED)


def _stale() -> DomainError:
    return DomainError(_("This revision changed meanwhile; reload the item."), code=ErrorCode.STALE)


def _log(
    item: FaqItem,
    kind: HistoryType,
    event: FaqEvent,
    actor: User,
    *,
    old: dict | None = None,
    new: dict | None = None,
    payload: dict | None = None,
) -> None:
    """One history row and its event, in the caller's transaction."""
    FaqHistory.objects.create(item=item, type=kind, actor=actor, old=old, new=new)
    _event(item, event, actor, payload if payload is not None else {"changes": new or {}})


def _event(item: FaqItem, event: FaqEvent, actor: User | None, payload: dict) -> None:
    events.record(
        events.Event(
            name=event,
            object_type="faq_item",
            object_id=item.pk,
            actor_id=actor.pk if actor is not None else None,
            payload={"number": item.number, "category_id": item.category_id, **payload},
        )
    )
