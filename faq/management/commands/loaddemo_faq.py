"""``manage.py loaddemo_faq``: the FAQ part of the demo (``loaddemo`` runs it too).

Categories with their rules (one for all customers, one for Acme only with approval, an
internal one), and items in every state, in English and German, made through
:mod:`faq.actions` by the demo agents: some published, some waiting for approval, one with
a newer draft waiting over its published text, one sent back, one whose review is due.
Loaded once: a second run finds the first demo item and changes nothing. The agents and
groups come from ``loaddemo``'s master data; without them this command says so and stops.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from customers.models import CustomerCompany
from otrs import events
from otrs.accounts.models import Group, GroupGrant, User
from otrs.permissions import PermissionKey

from ... import actions
from ...choices import ItemState
from ...models import FaqCategory, FaqItem
from ...receivers import HANDLER

MARKER = "How do I reset my password?"

# (name, parent, read groups, customers_all, companies, approval)
CATEGORIES = [
    ("Getting started", None, [], True, [], False),
    ("Accounts and passwords", "Getting started", [], True, [], False),
    ("Printing and hardware", None, [], False, ["ACME"], True),
    ("Internal procedures", None, ["support"], False, [], False),
]

RESET_EN = (
    "<p>You cannot sign in because you forgot your password.</p>",
    "<ol><li>Open the sign-in page.</li><li>Choose <strong>Forgot password</strong>.</li>"
    "<li>Follow the link in the mail we send you.</li></ol>",
)
RESET_DE = (
    "<p>Sie können sich nicht anmelden, weil Sie Ihr Passwort vergessen haben.</p>",
    "<ol><li>Öffnen Sie die Anmeldeseite.</li><li>Wählen Sie <strong>Passwort vergessen</strong>."
    "</li><li>Folgen Sie dem Link in der Mail, die wir Ihnen schicken.</li></ol>",
)


class Command(BaseCommand):
    help = "Load the FAQ demo: categories and items in every state, in English and German."

    def handle(self, *args, **options) -> None:
        if FaqItem.objects.filter(title=MARKER).exists():
            self.stdout.write("FAQ demo items are already loaded.")
            return
        users = {
            u.username: u for u in User.objects.filter(username__in=["admin", "agent1", "agent2"])
        }
        if len(users) < 3:
            raise CommandError("Run loaddemo first: the FAQ demo needs its agents.")
        # Demo data is history, not news: no mails to approvers.
        with events.muting(HANDLER), transaction.atomic():
            self._load(users)
        self.stdout.write(f"FAQ demo: {FaqItem.objects.count()} items.")

    def _load(self, users: dict[str, User]) -> None:
        editors, _c = Group.objects.get_or_create(name="faq", defaults={"comment": "FAQ editors."})
        approvers, _c = Group.objects.get_or_create(
            name="faq-approvers", defaults={"comment": "FAQ approvers."}
        )
        for login in ("agent1", "agent2"):
            GroupGrant.objects.get_or_create(user=users[login], group=editors, key=PermissionKey.RW)
        GroupGrant.objects.get_or_create(
            user=users["agent2"], group=approvers, key=PermissionKey.RW
        )
        GroupGrant.objects.get_or_create(user=users["admin"], group=editors, key=PermissionKey.RW)
        GroupGrant.objects.get_or_create(user=users["admin"], group=approvers, key=PermissionKey.RW)
        cats: dict[str, FaqCategory] = {}
        for name, parent, read, everyone, companies, approval in CATEGORIES:
            cat, _c = FaqCategory.objects.get_or_create(
                name=name,
                parent=cats.get(parent) if parent else None,
                defaults={"customers_all": everyone, "approval_required": approval},
            )
            cat.agent_read_groups.set(Group.objects.filter(name__in=read))
            cat.agent_edit_groups.set([editors])
            cat.approver_groups.set([approvers])
            cat.customer_companies.set(CustomerCompany.objects.filter(customer_id__in=companies))
            cats[name] = cat
        alice, bob = users["agent1"], users["agent2"]

        def make(
            cat,
            title,
            symptom,
            solution,
            *,
            state,
            language="en",
            actor=alice,
            keywords="",
            translation_of=None,
            submit=True,
        ):
            return actions.create_item(
                cats[cat],
                actions.Content(title=title, keywords=keywords, symptom=symptom, solution=solution),
                actor=actor,
                language=language,
                state=state,
                translation_of=translation_of,
                submit=submit,
                note="Demo",
            )

        reset = make(
            "Accounts and passwords",
            MARKER,
            *RESET_EN,
            state=ItemState.PUBLIC,
            keywords="password login sign-in",
        )
        make(
            "Accounts and passwords",
            "Wie setze ich mein Passwort zurück?",
            *RESET_DE,
            state=ItemState.PUBLIC,
            language="de",
            translation_of=reset,
            keywords="Passwort Anmeldung",
        )
        vpn = make(
            "Getting started",
            "Connecting to the VPN",
            "<p>The VPN client says the certificate is not trusted.</p>",
            "<p>Install the company root certificate from the portal, then reconnect.</p>",
            state=ItemState.EXTERNAL,
            keywords="vpn certificate remote access",
        )
        make(
            "Getting started",
            "Mit dem VPN verbinden",
            "<p>Der VPN-Client meldet ein nicht vertrauenswürdiges Zertifikat.</p>",
            "<p>Installieren Sie das Stammzertifikat aus dem Portal und verbinden Sie "
            "sich neu.</p>",
            state=ItemState.EXTERNAL,
            language="de",
            translation_of=vpn,
            keywords="VPN Zertifikat",
        )
        mail = make(
            "Getting started",
            "Setting up mail on a phone",
            "<p>Mail does not arrive on a new phone.</p>",
            "<p>Use IMAP with the server mail.example.com, port 993, SSL.</p>",
            state=ItemState.PUBLIC,
            keywords="email phone imap",
        )
        # A newer draft waits over the published text.
        actions.update_item(
            mail,
            actions.Content(
                title="Setting up mail on a phone",
                keywords="email phone imap smtp",
                symptom="<p>Mail does not arrive on a new phone, or cannot be sent.</p>",
                solution="<p>Use IMAP with the server mail.example.com, port 993, SSL; "
                "for sending, SMTP on port 587 with STARTTLS.</p>",
            ),
            actor=alice,
            note="Add sending",
            submit=False,
        )
        jam = make(
            "Printing and hardware",
            "The printer on floor 2 jams",
            "<p>Paper jams in tray 2 of the floor printer.</p>",
            "<p>Open tray 2, remove the paper, fan it and put it back.</p>",
            state=ItemState.EXTERNAL,
            keywords="printer jam tray",
        )
        actions.approve_revision(jam.latest_revision, actor=bob)
        # Waiting for approval (in a category that needs it).
        make(
            "Printing and hardware",
            "Toner is low",
            '<p>The printer shows "toner low".</p>',
            "<p>Order toner through the portal; it arrives the next day.</p>",
            state=ItemState.EXTERNAL,
            keywords="printer toner",
        )
        make(
            "Printing and hardware",
            "Der Toner ist fast leer",
            '<p>Der Drucker meldet "Toner niedrig".</p>',
            "<p>Bestellen Sie Toner über das Portal.</p>",
            state=ItemState.EXTERNAL,
            language="de",
            keywords="Drucker Toner",
        )
        returned = make(
            "Printing and hardware",
            "Scanner sends empty pages",
            "<p>Scans arrive as empty PDF files.</p>",
            "<p>Clean the glass.</p>",
            state=ItemState.PUBLIC,
            keywords="scanner pdf",
        )
        actions.send_back_revision(
            returned.latest_revision,
            actor=bob,
            note="Please say which scanner model this is about.",
        )
        internal = make(
            "Internal procedures",
            "Escalating a server outage",
            "<p>A server does not answer.</p>",
            "<p>Call the on-duty administrator, then open a ticket in IT::Servers.</p>",
            state=ItemState.INTERNAL,
            keywords="outage escalation on-call",
        )
        make(
            "Internal procedures",
            "Eskalation bei Serverausfall",
            "<p>Ein Server antwortet nicht.</p>",
            "<p>Rufen Sie den diensthabenden Administrator an und eröffnen Sie ein Ticket.</p>",
            state=ItemState.INTERNAL,
            language="de",
            translation_of=internal,
            keywords="Ausfall Eskalation",
        )
        actions.set_related(reset, [vpn, mail], actor=alice)
        # A review that is due.
        FaqItem.objects.filter(pk=internal.pk).update(
            review_after=timezone.localdate() - timedelta(days=3)
        )
        actions.record_review_due()
        for rating, login in ((5, "customer1"), (4, "customer2")):
            voter = User.objects.filter(username=login).first()
            if voter is not None:
                actions.vote(reset, rating, user=voter)
