"""The one error type domain actions raise when a rule forbids a change, and the codes that
name the rules."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Why a domain action refused, for programs (forms, API responses, tests).

    A member may name the input field the refusal is about (``ErrorCode.LOGIN_TAKEN.field ==
    "login"``): a form shows it on that field when it has one, and on the form as a whole
    otherwise. The value is the stable string an API answers with.
    """

    field: str | None

    def __new__(cls, value: str, field: str | None = None):
        member = str.__new__(cls, value)
        member._value_ = value
        member.field = field
        return member

    # --- everywhere
    PERMISSION_DENIED = "permission_denied"
    EDIT_CONFLICT = "edit_conflict"
    STALE = "stale"
    NOT_ALLOWED = "not_allowed"

    # --- custom fields (otrs.fields)
    FIELD_INVALID = "field_invalid"
    FIELD_IN_USE = "field_in_use"
    FIELD_CONFIRM = "field_confirm"

    # --- tickets: fields and states
    TITLE_REQUIRED = "title_required"
    INVALID_OWNER = "invalid_owner", "owner"
    INVALID_RESPONSIBLE = "invalid_responsible", "responsible"
    INVALID_SLA = "invalid_sla", "sla"
    PENDING_TIME_REQUIRED = "pending_time_required", "pending_until"
    NAIVE_DATETIME = "naive_datetime", "pending_until"
    NOT_PENDING_STATE = "not_pending_state"
    NO_STATE_OF_TYPE = "no_state_of_type"
    USE_MERGE = "use_merge"
    TICKET_MERGED = "ticket_merged"
    LOCKED_BY_OTHER = "locked_by_other"
    TICKET_NUMBER = "ticket_number"
    TICKET_HAS_MERGED = "ticket_has_merged"

    # --- tickets: links and merges
    LINK_SELF = "link_self"
    LINK_CONFLICT = "link_conflict"
    MERGE_SELF = "merge_self"
    MERGE_SOURCE_MERGED = "merge_source_merged"
    MERGE_TARGET_MERGED = "merge_target_merged"
    NOT_MERGED = "not_merged"

    # --- tickets: mail
    INVALID_ADDRESS = "invalid_address"
    NO_RECIPIENT = "no_recipient"
    INVALID_MAIL = "invalid_mail"

    # --- tickets: what customers may do
    CUSTOMER_ARTICLE = "customer_article"
    CUSTOMER_NOT_SELF = "customer_not_self"
    CUSTOMER_FIELDS = "customer_fields"
    INVALID_TYPE = "invalid_type", "ticket_type"
    INVALID_SERVICE = "invalid_service", "service"
    FOLLOW_UP_REFUSED = "follow_up_refused"
    INVALID_TIME_UNITS = "invalid_time_units", "time_units"
    ACL_REFUSED = "acl_refused"

    # --- customer users and companies
    LOGIN_REQUIRED = "login_required", "login"
    INVALID_LOGIN = "invalid_login", "login"
    LOGIN_TAKEN = "login_taken", "login"
    LOGIN_OF_AGENT = "login_of_agent", "login"
    INVALID_EMAIL = "invalid_email", "email"
    EMAIL_TAKEN = "email_taken", "email"
    INVALID_PASSWORD = "invalid_password", "password1"
    CUSTOMER_ID_REQUIRED = "customer_id_required", "customer_id"
    CUSTOMER_ID_TAKEN = "customer_id_taken", "customer_id"
    NAME_REQUIRED = "name_required", "name"
    INVALID_URL = "invalid_url", "url"

    # --- CMDB
    CI_INVALID_VALUE = "ci_invalid_value"
    CI_NAME_TAKEN = "ci_name_taken", "name"
    CI_LINK_TYPE = "ci_link_type", "link_type"
    CI_STATE = "ci_state"
    CI_DEFINITION = "ci_definition"


class DomainError(Exception):
    """A change the domain refuses: merging into a merged ticket, moving into a queue the
    actor may not move into, a pending state without a time, ...

    ``message`` is translated and meant for the person who asked; ``code`` (an
    :class:`ErrorCode`) names the rule for programs; ``field`` is the input it is about, if
    any (the code's field unless the action says otherwise). Raised before anything is
    written, or inside the action's transaction, so a refused change leaves nothing half done.
    """

    def __init__(self, message: str, *, code: ErrorCode, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = ErrorCode(code)
        self.field = field if field is not None else self.code.field

    def __str__(self) -> str:
        return str(self.message)
