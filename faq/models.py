"""The knowledge base: categories, items, their revisions, attachments, votes and history.

An item's *content* (title, keywords, the four text fields) lives in revisions: every save
is a new :class:`FaqRevision`, and :attr:`FaqItem.live_revision` names the one readers see.
A draft waiting for approval never replaces the live revision until it is approved. The
item row holds what is not content (category, state, language, validity, review date) and
a plain-text copy of the live (or, before the first publication, the latest) revision for
the full-text search.
"""

from __future__ import annotations

import html

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext_lazy as _

from .choices import HistoryType, InsertFormat, ItemState, RevisionStatus


def plain_text(value: str) -> str:
    """A field's rich text as the plain text that is searched."""
    return html.unescape(strip_tags(value or ""))


class FaqCategory(models.Model):
    """A node of the category tree with the rules for who reads, edits and approves."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)
    agent_read_groups = models.ManyToManyField(
        "accounts.Group",
        blank=True,
        related_name="+",
        verbose_name=_("agent groups that read"),
        help_text=_("Agents with ro on one of these groups read the category; none: every agent."),
    )
    agent_edit_groups = models.ManyToManyField(
        "accounts.Group",
        blank=True,
        related_name="+",
        verbose_name=_("agent groups that edit"),
        help_text=_("Agents with rw on one of these groups edit; none: only superusers."),
    )
    customers_all = models.BooleanField(
        _("all customers read"),
        default=False,
        help_text=_("Every signed-in customer reads the external items of this category."),
    )
    customer_companies = models.ManyToManyField(
        "customers.CustomerCompany",
        blank=True,
        related_name="+",
        verbose_name=_("customer companies that read"),
    )
    approval_required = models.BooleanField(
        _("approval required"),
        default=False,
        help_text=_("Changes are published only after an approver accepts them."),
    )
    approver_groups = models.ManyToManyField(
        "accounts.Group",
        blank=True,
        related_name="+",
        verbose_name=_("approver groups"),
        help_text=_("Agents with rw on one of these groups approve; none: only superusers."),
    )

    class Meta:
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="faq_category_uniq_name")
        ]

    def __str__(self) -> str:
        return self.name

    def path(self) -> list[FaqCategory]:
        """The category and its ancestors, root first (a tree is shallow)."""
        chain: list[FaqCategory] = []
        node: FaqCategory | None = self
        seen: set[int] = set()
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            chain.append(node)
            node = node.parent
        return chain[::-1]


class FaqItem(models.Model):
    """One FAQ article in one language; translations share :attr:`translation_of`."""

    number = models.CharField(_("number"), max_length=40, unique=True)
    category = models.ForeignKey(
        FaqCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    translation_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
        verbose_name=_("translation of"),
    )
    # The id shared by an item and its translations (the first item's own id): what the
    # readers' language choice groups by, through the index below.
    group = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    state = models.CharField(
        _("state"), max_length=16, choices=ItemState.choices, default=ItemState.INTERNAL
    )
    is_valid = models.BooleanField(_("valid"), default=True)
    live_revision = models.ForeignKey(
        "FaqRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published revision"),
    )
    latest_revision = models.ForeignKey(
        "FaqRevision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("latest revision"),
    )
    # What lists show and search matches: the live revision's, or the latest before any
    # publication (only agents see unpublished items).
    title = models.CharField(_("title"), max_length=250)
    keywords = models.CharField(_("keywords"), max_length=250, blank=True)
    # Agents search every field; customers and the public search ``public_text``, the same
    # without the internal comment (so an item is never found by words only it holds).
    search_text = models.TextField(_("search text"), blank=True, editable=False)
    public_text = models.TextField(_("public search text"), blank=True, editable=False)
    related = models.ManyToManyField("self", blank=True, verbose_name=_("related items"))
    review_after = models.DateField(_("needs review after"), null=True, blank=True)
    review_event_for = models.DateField(null=True, blank=True, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now)
    changed = models.DateTimeField(_("last changed"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("FAQ item")
        verbose_name_plural = _("FAQ items")
        ordering = ["-changed", "-pk"]
        indexes = [
            # The explorer's count per category and the portals' lists.
            models.Index(fields=["category", "state"], name="faq_item_category_state"),
            # The language fallback looks up siblings by group and language.
            models.Index(fields=["group", "language"], name="faq_item_group_lang"),
            # The feed: newest changes first.
            models.Index(fields=["-changed"], name="faq_item_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class FaqRevision(models.Model):
    """One saved version of an item's content; never changed afterwards but for its status."""

    item = models.ForeignKey(
        FaqItem, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("item")
    )
    number = models.PositiveIntegerField(_("revision"))
    title = models.CharField(_("title"), max_length=250)
    keywords = models.CharField(_("keywords"), max_length=250, blank=True)
    symptom = models.TextField(_("symptom"), blank=True)
    problem = models.TextField(_("problem"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    note = models.CharField(_("change note"), max_length=250, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RevisionStatus.choices, default=RevisionStatus.DRAFT
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(_("created"), default=timezone.now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed = models.DateTimeField(_("reviewed"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=250, blank=True)
    reverted_from = models.PositiveIntegerField(null=True, blank=True)

    FIELDS = ("symptom", "problem", "solution", "comment")
    #: The fields customers and the public read (and search): all but the internal comment.
    PUBLIC_FIELDS = ("symptom", "problem", "solution")

    class Meta:
        verbose_name = _("FAQ revision")
        verbose_name_plural = _("FAQ revisions")
        ordering = ["item", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="faq_revision_uniq_number")
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.number}"


class FaqAttachment(models.Model):
    """A file of an item (an image shown inline, or listed for download); stored in the
    database like the item itself, so a backup holds both."""

    item = models.ForeignKey(
        FaqItem, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("item")
    )
    filename = models.CharField(_("file name"), max_length=250)
    content_type = models.CharField(_("content type"), max_length=100)
    content = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size"))
    inline = models.BooleanField(_("inline"), default=False)
    created = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("FAQ attachment")
        verbose_name_plural = _("FAQ attachments")
        ordering = ["item", "pk"]

    def __str__(self) -> str:
        return self.filename


class FaqVote(models.Model):
    """One reader's rating of an item; one per signed-in user or per session."""

    item = models.ForeignKey(FaqItem, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"))
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("FAQ vote")
        verbose_name_plural = _("FAQ votes")
        constraints = [
            models.UniqueConstraint(
                fields=["item", "user"],
                condition=models.Q(user__isnull=False),
                name="faq_vote_one_per_user",
            ),
            models.UniqueConstraint(
                fields=["item", "session_key"],
                condition=models.Q(user__isnull=True),
                name="faq_vote_one_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.rating}"


class FaqTicketLink(models.Model):
    """An item linked to a ticket (inserted into an answer, or written from the ticket)."""

    item = models.ForeignKey(FaqItem, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("FAQ ticket link")
        verbose_name_plural = _("FAQ ticket links")
        constraints = [
            models.UniqueConstraint(fields=["item", "ticket"], name="faq_ticket_link_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} -> {self.ticket_id}"


class FaqHistory(models.Model):
    """Append-only history of an item: a type, the actor, the time and raw values."""

    item = models.ForeignKey(FaqItem, on_delete=models.CASCADE, related_name="history")
    type = models.CharField(max_length=32, choices=HistoryType.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("FAQ history entry")
        verbose_name_plural = _("FAQ history")
        ordering = ["item", "created", "pk"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.type}"


class FaqNumberCounter(models.Model):
    """The last FAQ item number handed out (one row, locked while counting)."""

    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.last)


class FaqSettings(models.Model):
    """The FAQ's settings edited in the admin (one row)."""

    insert_format = models.CharField(
        _("insert format"),
        max_length=8,
        choices=InsertFormat.choices,
        default=InsertFormat.BOTH,
        help_text=_("How an item goes into a ticket answer."),
    )
    vote_scale = models.PositiveSmallIntegerField(
        _("vote scale"),
        choices=[(2, _("helpful or not (2)")), (5, _("1 to 5 stars"))],
        default=5,
    )
    review_days = models.PositiveSmallIntegerField(
        _("review after (days)"),
        default=365,
        help_text=_("A new item needs review this many days after it was created; 0: never."),
    )
    prevented_tickets = models.PositiveIntegerField(_("tickets prevented"), default=0)

    class Meta:
        verbose_name = _("FAQ settings")
        verbose_name_plural = _("FAQ settings")

    def __str__(self) -> str:
        return str(_("FAQ settings"))

    @classmethod
    def load(cls) -> FaqSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls.objects.create()
