"""Customer companies and customer users (the people who write in)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CustomerCompany(models.Model):
    """A company; ``customer_id`` is the string tickets carry in their customer id field."""

    customer_id = models.CharField(_("customer id"), max_length=150, unique=True)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    zip_code = models.CharField(_("zip code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=200, blank=True)
    url = models.URLField(_("URL"), blank=True)
    comment = models.CharField(_("comment"), max_length=250, blank=True)
    is_valid = models.BooleanField(_("valid"), default=True)

    class Meta:
        verbose_name = _("customer company")
        verbose_name_plural = _("customer companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerUserQuerySet(models.QuerySet["CustomerUser"]):
    def for_login(self, login: str) -> CustomerUser | None:
        """The customer user of ``login`` as tickets carry it (``ticket.customer_user``):
        logins match ignoring case, as the customer access rule does; None if unknown."""
        login = (login or "").strip()
        if not login:
            return None
        found = self.select_related("user", "company").filter(user__username__iexact=login)
        return found.order_by("pk").first()


class CustomerUser(models.Model):
    """A customer person; signs in to the customer portal with the linked login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="customer_profile",
        verbose_name=_("login"),
    )
    email = models.EmailField(_("email"), db_index=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    company = models.ForeignKey(
        CustomerCompany,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_users",
        verbose_name=_("company"),
    )
    other_companies = models.ManyToManyField(
        CustomerCompany,
        blank=True,
        related_name="+",
        verbose_name=_("further companies"),
        help_text=_("The user also sees the tickets of these companies."),
    )
    is_valid = models.BooleanField(_("valid"), default=True)

    objects = CustomerUserQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer user")
        verbose_name_plural = _("customer users")
        ordering = ["user__username"]

    def __str__(self) -> str:
        return self.login

    @property
    def login(self) -> str:
        return self.user.username

    def customer_ids(self) -> list[str]:
        ids = [self.company.customer_id] if self.company is not None else []
        ids += [c.customer_id for c in self.other_companies.all()]
        return ids


class CustomerHistory(models.Model):
    """One change to a customer user or a company, append-only (written by
    :mod:`customers.actions` with the event it records). ``changes`` holds raw values,
    ``{field: [old, new]}``; a password change names the field, never the password."""

    event = models.CharField(_("event"), max_length=50)
    customer_user = models.ForeignKey(
        CustomerUser,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("customer user"),
    )
    company = models.ForeignKey(
        CustomerCompany,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history",
        verbose_name=_("company"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("changed by"),
    )
    created_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("customer history entry")
        verbose_name_plural = _("customer history")
        ordering = ["created_at", "id"]
        indexes = [
            # A customer user's or a company's history, in order.
            models.Index(fields=["customer_user", "created_at"], name="customer_history_user"),
            models.Index(fields=["company", "created_at"], name="customer_history_company"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.created_at:%Y-%m-%d %H:%M}"
