"""The ticket domain's models."""

from .article import Article, ArticleFlag, ArticleRaw, Attachment, message_id_hash
from .history import TicketHistory
from .mail import (
    Dispatch,
    FilterMatch,
    FilterSet,
    InboundMessage,
    InboundSource,
    InboundStatus,
    MailAccountDispatch,
    MailDelivery,
    Outcome,
    PostmasterFilter,
)
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
from .ticket import (
    MAX_MERGE_HOPS,
    MergeRecord,
    Ticket,
    TicketFlag,
    TicketLink,
    TicketNumberCounter,
    TicketWatcher,
    merge_target_id,
)

__all__ = [
    "MAX_MERGE_HOPS",
    "SLA",
    "Article",
    "ArticleFlag",
    "ArticleRaw",
    "Attachment",
    "AutoResponse",
    "Dispatch",
    "FilterMatch",
    "FilterSet",
    "InboundMessage",
    "InboundSource",
    "InboundStatus",
    "MailAccountDispatch",
    "MailDelivery",
    "MergeRecord",
    "Outcome",
    "PersonalQueue",
    "PostmasterFilter",
    "Priority",
    "Queue",
    "QueueAutoResponse",
    "Salutation",
    "SavedSearch",
    "Service",
    "Signature",
    "StandardTemplate",
    "State",
    "SystemAddress",
    "Ticket",
    "TicketFlag",
    "TicketHistory",
    "TicketLink",
    "TicketNumberCounter",
    "TicketType",
    "TicketWatcher",
    "merge_target_id",
    "message_id_hash",
]
