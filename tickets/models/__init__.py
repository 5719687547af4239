"""The ticket domain's models."""

from .article import Article, ArticleFlag, ArticleRaw, Attachment, message_id_hash
from .history import TicketHistory
from .master import SLA, Priority, Queue, Service, State, TicketType
from .search import SavedSearch
from .texts import (
    AutoResponse,
    PersonalQueue,
    QueueAutoResponse,
    Salutation,
    Signature,
    StandardTemplate,
    SystemAddress,
)
from .ticket import MergeRecord, Ticket, TicketFlag, TicketLink, TicketNumberCounter, TicketWatcher

__all__ = [
    "SLA",
    "Article",
    "AutoResponse",
    "PersonalQueue",
    "QueueAutoResponse",
    "Salutation",
    "Signature",
    "StandardTemplate",
    "SystemAddress",
    "ArticleFlag",
    "ArticleRaw",
    "Attachment",
    "MergeRecord",
    "Priority",
    "Queue",
    "SavedSearch",
    "Service",
    "State",
    "Ticket",
    "TicketFlag",
    "TicketHistory",
    "TicketLink",
    "TicketNumberCounter",
    "TicketType",
    "TicketWatcher",
    "message_id_hash",
]
