"""The events of customer users and companies (OTRS's names), recorded by
:mod:`customers.actions` with each history row; handlers subscribe with
:func:`otrs.events.subscribe`. Payload: ``changes`` (``{field: [old, new]}``, raw values;
a password change names the field only), ``login`` or ``customer_id``."""

from __future__ import annotations

from enum import StrEnum


class CustomerEvent(StrEnum):
    CUSTOMER_USER_ADD = "CustomerUserAdd"
    CUSTOMER_USER_UPDATE = "CustomerUserUpdate"
    CUSTOMER_COMPANY_ADD = "CustomerCompanyAdd"
    CUSTOMER_COMPANY_UPDATE = "CustomerCompanyUpdate"
