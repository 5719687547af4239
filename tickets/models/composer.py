"""What the agent's composer keeps besides the article: drafts of replies and notes in
progress, text modules to insert, and the agents a note mentioned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .article import Article, StoredFile
from .master import Queue, ValidQuerySet
from .ticket import Ticket


class DraftScreen(models.TextChoices):
    """The screens that keep a draft: one per agent, ticket and screen."""

    EMAIL = "email", _("Email answer")
    NOTE = "note", _("Note")


class Draft(models.Model):
    """A reply or note an agent began on a ticket and has not sent yet (saved by the
    composer's "Save draft" button, or by its autosave with JavaScript)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_drafts"
    )
    screen = models.CharField(_("screen"), max_length=20, choices=DraftScreen.choices)
    # The article an answer replies to (the screen's URL needs it to come back).
    article = models.ForeignKey(
        Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    body = models.TextField(_("text"), blank=True)
    # Further fields of the screen as typed (to, cc, bcc ...), raw strings by field name.
    fields = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "user", "screen"], name="uniq_ticket_draft_per_screen"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} drafts {self.screen} on {self.ticket_id}"


class DraftAttachment(StoredFile):
    """A file the agent attached to a draft: it comes back with the draft and goes out with
    the article (its bytes are stored as an article's are, by their hash)."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        verbose_name = _("draft attachment")
        verbose_name_plural = _("draft attachments")
        ordering = ["id"]


class TextModule(models.Model):
    """A snippet agents insert into answers and notes (Znuny's text modules, Zammad's
    ``::`` trigger); offered in the queues it names, in every queue if it names none."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    keyword = models.SlugField(
        _("keyword"),
        max_length=50,
        unique=True,
        help_text=_(
            "Typing ::keyword and a space in the text inserts the module (with JavaScript)."
        ),
    )
    text = models.TextField(_("text"))
    queues = models.ManyToManyField(
        Queue,
        blank=True,
        related_name="text_modules",
        verbose_name=_("queues"),
        help_text=_("Empty: offered in every queue."),
    )
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = ValidQuerySet.as_manager()

    class Meta:
        verbose_name = _("text module")
        verbose_name_plural = _("text modules")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Mention(models.Model):
    """An agent named with @login in a note: they were told, and the ticket is in their
    "Mentioned" list."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="mentions")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ticket_mentions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="uniq_article_mention")
        ]
        # The "Mentioned" overview: a user's mentions, by ticket.
        indexes = [models.Index(fields=["user", "ticket"], name="mention_user")]

    def __str__(self) -> str:
        return f"{self.user_id} mentioned on {self.ticket_id}"
