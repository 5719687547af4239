"""Turning committed events into webhook deliveries, and sending them.

1. *Making deliveries*: :func:`handle` is subscribed to the durable outbox
   (:mod:`otrs.events`), so it hears of every committed change in the daemon, at least once
   and even after a worker crash. For each event it finds the active hooks that chose the
   event and whose filters the object passes, and stores one
   :class:`~otrs.webhooks.models.WebhookDelivery` per hook with the JSON body to send, in the
   same transaction that marks the event delivery done (a hook and an event make one delivery:
   a unique constraint, so a redelivered batch adds nothing). After the commit the new
   deliveries are handed to a worker (:func:`otrs.webhooks.tasks.send_deliveries`).
2. *Sending*: :func:`send` claims a due delivery with a conditional UPDATE (one worker wins),
   POSTs the body with the signature headers (:mod:`otrs.webhooks.signing`), and records the
   attempt (response code, duration, the start of the response body, or the error). A 2xx
   answer is success; anything else waits 1, 2, 4 ... minutes (``WEBHOOK_RETRY_BASE_SECONDS``
   doubled, at most ``WEBHOOK_RETRY_MAX_SECONDS``) until the hook's ``retry_hours`` have run
   out, and then the delivery has failed for good.
3. *Disabling*: after ``WEBHOOK_DISABLE_AFTER_FAILURES`` deliveries of one hook failed for good
   one after the other, the hook is disabled and the administrators (and its creator) get one
   mail; a success in between starts the count again.

:func:`send_due` is the sweep (the beat schedule "Webhook delivery", every minute): retries
that are due, and deliveries whose sender died. :func:`redeliver` is the admin's "send again".
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from otrs import events
from otrs.events.models import OutboxEvent
from otrs.mail.outbound import queue_system_mail

from . import addresses, registry, signing
from .models import Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryStatus

logger = logging.getLogger(__name__)

HANDLER = "webhooks.deliver"
# How long one attempt may take before the sweep may take the delivery over.
CLAIM_DURATION = timedelta(minutes=5)
SWEEP_LIMIT = 500
# How much of a response body the log keeps.
EXCERPT_CHARS = 1000

Status = WebhookDeliveryStatus


# --- making deliveries ----------------------------------------------------------------------


def handle(batch: events.Batch) -> None:
    """Store a delivery per event and interested hook; send them after the commit."""
    hooks = [hook for hook in Webhook.objects.filter(active=True).order_by("pk") if hook.events]
    wanted = [
        event
        for event in batch.events
        if event.id is not None
        and registry.source_for(event.object_type) is not None
        and any(hook.wants(str(event.name)) for hook in hooks)
    ]
    if not wanted:
        return
    facts = _Facts(wanted)
    made: list[int] = []
    for event in wanted:
        source = registry.source_for(event.object_type)
        assert source is not None and event.id is not None
        for hook in hooks:
            if not hook.wants(str(event.name)) or not _passes(hook, source, event, facts):
                continue
            if WebhookDelivery.objects.filter(hook=hook, event_id=event.id).exists():
                continue  # a redelivered batch
            delivery = WebhookDelivery(
                hook=hook,
                event_id=event.id,
                event=str(event.name),
                object_type=event.object_type,
                object_id=event.object_id,
                retry_until=timezone.now() + timedelta(hours=hook.retry_hours),
            )
            delivery.body = _body(delivery, hook, event, facts)
            delivery.save()
            made.append(delivery.pk)
    if made:
        # Imported here: the tasks module imports this one.
        from .tasks import send_deliveries

        transaction.on_commit(lambda: send_deliveries.delay(made))


class _Facts:
    """What the batch's objects look like now: filter values and descriptions, fetched once
    per object type for all of the batch's objects."""

    def __init__(self, wanted: list[events.Event]):
        self.ids: dict[str, set[int]] = {}
        for event in wanted:
            if event.object_id is not None:
                self.ids.setdefault(event.object_type, set()).add(event.object_id)
        self._values: dict[str, Any] = {}
        self._described: dict[str, Any] = {}
        self.created = dict(
            OutboxEvent.objects.filter(pk__in=[e.id for e in wanted]).values_list(
                "pk", "created_at"
            )
        )

    def value(self, source: registry.Source, flt: registry.Filter, object_id: int | None):
        key = source.filter_key(flt)
        if key not in self._values:
            self._values[key] = dict(flt.values(self.ids.get(source.object_type, set())))
        return self._values[key].get(object_id)

    def describe(self, source: registry.Source, object_id: int | None):
        if source.describe is None or object_id is None:
            return None
        if source.object_type not in self._described:
            ids = self.ids.get(source.object_type, set())
            self._described[source.object_type] = dict(source.describe(ids))
        return self._described[source.object_type].get(object_id)


def _passes(hook: Webhook, source: registry.Source, event: events.Event, facts: _Facts) -> bool:
    """Every filter the hook set for this object type holds the object's current value."""
    for flt in source.filters:
        chosen = (hook.filters or {}).get(source.filter_key(flt)) or []
        if not chosen:
            continue
        value = facts.value(source, flt, event.object_id)
        if value is None or str(value) not in {str(v) for v in chosen}:
            return False
    return True


def _body(delivery: WebhookDelivery, hook: Webhook, event: events.Event, facts: _Facts) -> str:
    source = registry.source_for(event.object_type)
    assert source is not None
    payload = {
        "delivery": str(delivery.uuid),
        "hook": {"id": hook.pk, "name": hook.name},
        "event": str(event.name),
        "event_id": event.id,
        "occurred_at": facts.created.get(event.id) if event.id is not None else None,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "actor_id": event.actor_id,
        "data": dict(event.payload),
        "object": facts.describe(source, event.object_id),
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


def interested(names: frozenset[str]) -> bool:
    """Whether an active hook chose one of these events (asked once per batch: a site without
    webhooks gets no deliveries at all)."""
    return any(
        names.intersection(chosen or [])
        for chosen in Webhook.objects.filter(active=True).values_list("events", flat=True)
    )


def subscribe() -> None:
    events.subscribe(HANDLER, handle, interested=interested)


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(hook: Webhook, delivery: WebhookDelivery, *, timestamp: int) -> Outcome:
    """One signed POST of the delivery's body; never raises for what the network does."""
    body = delivery.body.encode()
    headers = signing.headers(
        hook.secret,
        delivery=str(delivery.uuid),
        event=delivery.event,
        body=body,
        timestamp=timestamp,
    )
    started = time.monotonic()
    code: int | None = None
    error = excerpt = ""
    proxy = addresses.proxy_for(hook.url)
    try:
        # Resolved and checked again now, and that address is the one connected to: the name
        # may resolve elsewhere than when the hook was saved (DNS rebinding).
        target = addresses.check(hook.url)
    except addresses.Unresolved as exc:
        if proxy is None:
            return _refused(hook, exc, started)
        target = None  # the proxy resolves it
    except addresses.Refused as exc:
        return _refused(hook, exc, started)
    if proxy is not None:
        session, url, host = addresses.proxied(hook.url, proxy)
    else:
        assert target is not None
        session, url, host = addresses.pinned(target)
    try:
        with (
            session,
            session.post(
                url,
                data=body,
                headers={**headers, **host},
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                # A redirect is an answer (3xx: not delivered), never followed with the body.
                allow_redirects=False,
                stream=True,
            ) as response,
        ):
            code = response.status_code
            raw = response.raw.read(EXCERPT_CHARS * 4, decode_content=True) or b""
            excerpt = _clean(raw.decode("utf-8", errors="replace"))[:EXCERPT_CHARS]
    except (requests.RequestException, OSError, ValueError) as exc:
        error = _clean(f"{type(exc).__name__}: {exc}")[:2000]
    duration = int((time.monotonic() - started) * 1000)
    if code is not None and not 200 <= code < 300:
        error = _("The endpoint answered %(code)d.") % {"code": code}
    return Outcome(code, error, excerpt, duration)


def _refused(hook: Webhook, reason: Exception, started: float) -> Outcome:
    refused = _("Not sent: %(reason)s") % {"reason": reason}
    logger.warning("Webhook %s: %s", hook.name, refused)
    return Outcome(None, refused, "", int((time.monotonic() - started) * 1000))


def _clean(text: str) -> str:
    # PostgreSQL refuses NUL in text columns.
    return text.replace("\x00", "")


def send(pk: int, *, now: datetime | None = None) -> str | None:
    """Try delivery ``pk`` if it is due; its status afterwards, or None when it was not due
    (done, failed, or being sent by another worker)."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=pk, status__in=[Status.PENDING, Status.RUNNING], next_attempt_at__lte=now
    ).update(
        status=Status.RUNNING, attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_DURATION
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("hook").get(pk=pk)
    hook = delivery.hook
    mine = WebhookDelivery.objects.filter(pk=pk, status=Status.RUNNING, attempts=delivery.attempts)
    if not hook.active:
        mine.update(
            status=Status.FAILED,
            finished_at=now,
            next_attempt_at=now,
            last_error=_("The webhook is disabled; send the delivery again once it is active."),
        )
        return Status.FAILED
    outcome = post(hook, delivery, timestamp=int(now.timestamp()))
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=now,
            duration_ms=outcome.duration_ms,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        if outcome.succeeded:
            mine.update(
                status=Status.SUCCEEDED,
                finished_at=now,
                next_attempt_at=now,
                last_status_code=outcome.status_code,
                last_error="",
            )
            Webhook.objects.filter(pk=hook.pk, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
            return Status.SUCCEEDED
        retry_at = now + backoff(delivery.attempts)
        final = retry_at > delivery.retry_until
        mine.update(
            status=Status.FAILED if final else Status.PENDING,
            finished_at=now if final else None,
            next_attempt_at=now if final else retry_at,
            last_status_code=outcome.status_code,
            last_error=outcome.error,
        )
        if final:
            logger.warning(
                "Webhook %s: delivery %s failed for good after %d attempts: %s",
                hook.name,
                delivery.uuid,
                delivery.attempts,
                outcome.error,
            )
            _count_failure(hook.pk, now)
    return Status.FAILED if final else Status.PENDING


def backoff(attempts: int) -> timedelta:
    """The pause after the ``attempts``-th failed attempt: the base, doubled each time."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    seconds = base * 2 ** min(max(attempts - 1, 0), 30)
    return timedelta(seconds=min(seconds, settings.WEBHOOK_RETRY_MAX_SECONDS))


def send_many(pks: Iterable[int], *, now: datetime | None = None) -> int:
    return sum(send(pk, now=now) == Status.SUCCEEDED for pk in pks)


def send_due(*, now: datetime | None = None, limit: int = SWEEP_LIMIT) -> int:
    """The sweep: deliveries due again (retries, and claims of senders that died)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        status__in=[Status.PENDING, Status.RUNNING], next_attempt_at__lte=now
    ).order_by("next_attempt_at", "pk")
    return send_many(list(due.values_list("pk", flat=True)[:limit]), now=now)


# --- failing hooks ---------------------------------------------------------------------------


def _count_failure(hook_id: int, now: datetime) -> None:
    hook = Webhook.objects.select_for_update().get(pk=hook_id)
    hook.consecutive_failures += 1
    fields = ["consecutive_failures"]
    if hook.active and hook.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        hook.active = False
        hook.disabled_at = now
        hook.disabled_reason = _(
            "%(count)d deliveries in a row failed after every retry; the last one: %(error)s"
        ) % {
            "count": hook.consecutive_failures,
            "error": WebhookDelivery.objects.filter(hook=hook, status=Status.FAILED)
            .order_by("-finished_at", "-pk")
            .values_list("last_error", flat=True)
            .first()
            or "",
        }
        fields += ["active", "disabled_at", "disabled_reason"]
        _alert(hook)
        logger.error("Webhook %s disabled: %s", hook.name, hook.disabled_reason)
    hook.save(update_fields=fields)


def _alert(hook: Webhook) -> None:
    """One mail per disabling to each administrator and the hook's creator (the key makes
    a second one for the same disabling impossible)."""
    for address in alert_addresses(hook):
        queue_system_mail(
            to=address,
            subject=_("Webhook %(name)s was disabled") % {"name": hook.name},
            body=_(
                "The webhook %(name)s (%(url)s) was disabled: %(reason)s\n\n"
                "No events are sent to it until an administrator enables it again in the "
                "administration (Webhooks); failed deliveries can be sent again from its "
                "delivery log."
            )
            % {"name": hook.name, "url": hook.url, "reason": hook.disabled_reason},
            idempotency_key=f"webhook-disabled:{hook.pk}:{hook.disabled_at:%Y%m%d%H%M%S}:{address}"[
                :255
            ],
        )


def alert_addresses(hook: Webhook) -> list[str]:
    if settings.WEBHOOK_ALERT_TO:
        found = {a.strip() for a in settings.WEBHOOK_ALERT_TO.split(",") if a.strip()}
    else:
        users = get_user_model().objects.filter(is_active=True, is_superuser=True)
        found = set(users.exclude(email="").values_list("email", flat=True))
    if hook.created_by is not None and hook.created_by.email and hook.created_by.is_active:
        found.add(hook.created_by.email)
    return sorted(found)


# --- the admin's actions --------------------------------------------------------------------


def redeliver(pks: Iterable[int], *, now: datetime | None = None) -> list[int]:
    """Send these deliveries again (same body and id, a new signature and retry period) after
    the commit; those being sent right now are left alone. The ids chosen."""
    now = now or timezone.now()
    chosen = []
    with transaction.atomic():
        rows = (
            WebhookDelivery.objects.select_for_update()
            .select_related("hook")
            .filter(pk__in=list(pks))
            .exclude(status=Status.RUNNING)
            .order_by("pk")
        )
        for row in rows:
            row.status = Status.PENDING
            row.next_attempt_at = now
            row.retry_until = now + timedelta(hours=row.hook.retry_hours)
            row.finished_at = None
            row.save(update_fields=["status", "next_attempt_at", "retry_until", "finished_at"])
            chosen.append(row.pk)
        if chosen:
            # Imported here: the tasks module imports this one (a cycle).
            from .tasks import send_deliveries

            transaction.on_commit(lambda: send_deliveries.delay(chosen))
    return chosen


def enable(hook: Webhook) -> None:
    """Take a disabled hook back into service with a clean count of failures."""
    Webhook.objects.filter(pk=hook.pk).update(
        active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )
