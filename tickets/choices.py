"""Named choices of the ticket domain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StateType(models.TextChoices):
    NEW = "new", _("new")
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")
    PENDING_REMINDER = "pending reminder", _("pending reminder")
    PENDING_AUTO = "pending auto", _("pending auto")
    REMOVED = "removed", _("removed")
    MERGED = "merged", _("merged")


# The state types whose tickets show in queue views (OTRS Ticket::ViewableStateType).
VIEWABLE_STATE_TYPES = (
    StateType.NEW,
    StateType.OPEN,
    StateType.PENDING_REMINDER,
    StateType.PENDING_AUTO,
)
PENDING_STATE_TYPES = (StateType.PENDING_REMINDER, StateType.PENDING_AUTO)
# States a ticket may be merged into: anything but merged (and removed).
UNMERGEABLE_STATE_TYPES = (StateType.MERGED, StateType.REMOVED)


class LockState(models.TextChoices):
    UNLOCK = "unlock", _("unlocked")
    LOCK = "lock", _("locked")
    TMP_LOCK = "tmp_lock", _("temporarily locked")


class FollowUpOption(models.TextChoices):
    """What a mail follow-up to a closed ticket of a queue does."""

    POSSIBLE = "possible", _("possible (reopen)")
    REJECT = "reject", _("reject")
    NEW_TICKET = "new ticket", _("new ticket")


class AutoResponseType(models.TextChoices):
    """The auto response types of spec section 4 ("auto remove" is never sent, so absent)."""

    AUTO_REPLY = "auto reply", _("auto reply")
    AUTO_REJECT = "auto reject", _("auto reject")
    AUTO_FOLLOW_UP = "auto follow up", _("auto follow up")
    AUTO_REPLY_NEW_TICKET = "auto reply/new ticket", _("auto reply/new ticket")


class TemplateType(models.TextChoices):
    ANSWER = "Answer", _("answer")
    CREATE = "Create", _("create")
    EMAIL = "Email", _("new email ticket")
    FORWARD = "Forward", _("forward")
    NOTE = "Note", _("note")
    PHONE_CALL = "PhoneCall", _("phone call")
    SNIPPET = "Snippet", _("snippet")


class Channel(models.TextChoices):
    EMAIL = "email", _("email")
    PHONE = "phone", _("phone")
    INTERNAL = "internal", _("internal")
    WEB = "web", _("web")


class SenderType(models.TextChoices):
    AGENT = "agent", _("agent")
    SYSTEM = "system", _("system")
    CUSTOMER = "customer", _("customer")


class LinkType(models.TextChoices):
    NORMAL = "normal", _("normal")
    PARENT_CHILD = "parent_child", _("parent/child")


class TicketFlagKey(models.TextChoices):
    SEEN = "seen", _("seen")


class HistoryType(models.TextChoices):
    """The OTRS history type names (their ids' order), plus our own Unmerged."""

    NEW_TICKET = "NewTicket", _("new ticket")
    FOLLOW_UP = "FollowUp", _("follow-up")
    SEND_AUTO_REJECT = "SendAutoReject", _("auto reject sent")
    SEND_AUTO_REPLY = "SendAutoReply", _("auto reply sent")
    SEND_AUTO_FOLLOW_UP = "SendAutoFollowUp", _("auto follow-up sent")
    FORWARD = "Forward", _("forward")
    BOUNCE = "Bounce", _("bounce")
    SEND_ANSWER = "SendAnswer", _("answer sent")
    SEND_AGENT_NOTIFICATION = "SendAgentNotification", _("agent notification sent")
    SEND_CUSTOMER_NOTIFICATION = "SendCustomerNotification", _("customer notification sent")
    EMAIL_AGENT = "EmailAgent", _("email from agent")
    EMAIL_CUSTOMER = "EmailCustomer", _("email from customer")
    PHONE_CALL_AGENT = "PhoneCallAgent", _("phone call to customer")
    PHONE_CALL_CUSTOMER = "PhoneCallCustomer", _("phone call from customer")
    ADD_NOTE = "AddNote", _("note added")
    MOVE = "Move", _("moved")
    LOCK = "Lock", _("locked")
    UNLOCK = "Unlock", _("unlocked")
    REMOVE = "Remove", _("removed")
    TIME_ACCOUNTING = "TimeAccounting", _("time accounted")
    CUSTOMER_UPDATE = "CustomerUpdate", _("customer changed")
    PRIORITY_UPDATE = "PriorityUpdate", _("priority changed")
    OWNER_UPDATE = "OwnerUpdate", _("owner changed")
    LOOP_PROTECTION = "LoopProtection", _("loop protection")
    MISC = "Misc", _("miscellaneous")
    SET_PENDING_TIME = "SetPendingTime", _("pending time set")
    STATE_UPDATE = "StateUpdate", _("state changed")
    TICKET_DYNAMIC_FIELD_UPDATE = "TicketDynamicFieldUpdate", _("field changed")
    WEB_REQUEST_CUSTOMER = "WebRequestCustomer", _("web request from customer")
    TICKET_LINK_ADD = "TicketLinkAdd", _("link added")
    TICKET_LINK_DELETE = "TicketLinkDelete", _("link removed")
    SYSTEM_REQUEST = "SystemRequest", _("system request")
    MERGED = "Merged", _("merged")
    RESPONSIBLE_UPDATE = "ResponsibleUpdate", _("responsible changed")
    SUBSCRIBE = "Subscribe", _("watching started")
    UNSUBSCRIBE = "Unsubscribe", _("watching stopped")
    TYPE_UPDATE = "TypeUpdate", _("type changed")
    SERVICE_UPDATE = "ServiceUpdate", _("service changed")
    SLA_UPDATE = "SLAUpdate", _("SLA changed")
    ARCHIVE_FLAG_UPDATE = "ArchiveFlagUpdate", _("archive flag changed")
    ESCALATION_SOLUTION_TIME_STOP = "EscalationSolutionTimeStop", _("solution time stopped")
    ESCALATION_RESPONSE_TIME_START = "EscalationResponseTimeStart", _("response time escalated")
    ESCALATION_UPDATE_TIME_START = "EscalationUpdateTimeStart", _("update time escalated")
    ESCALATION_SOLUTION_TIME_START = "EscalationSolutionTimeStart", _("solution time escalated")
    ESCALATION_RESPONSE_TIME_NOTIFY_BEFORE = (
        "EscalationResponseTimeNotifyBefore",
        _("response time escalation warning"),
    )
    ESCALATION_UPDATE_TIME_NOTIFY_BEFORE = (
        "EscalationUpdateTimeNotifyBefore",
        _("update time escalation warning"),
    )
    ESCALATION_SOLUTION_TIME_NOTIFY_BEFORE = (
        "EscalationSolutionTimeNotifyBefore",
        _("solution time escalation warning"),
    )
    ESCALATION_RESPONSE_TIME_STOP = "EscalationResponseTimeStop", _("response time stopped")
    ESCALATION_UPDATE_TIME_STOP = "EscalationUpdateTimeStop", _("update time stopped")
    TITLE_UPDATE = "TitleUpdate", _("title changed")
    EMAIL_RESEND = "EmailResend", _("email resent")
    BULK = "Bulk", _("bulk action")
    # Not in OTRS, which cannot undo a merge.
    UNMERGED = "Unmerged", _("unmerged")
    # Not in OTRS either (Znuny records a process ticket's activity as a dynamic field).
    PROCESS_UPDATE = "ProcessUpdate", _("process step")
