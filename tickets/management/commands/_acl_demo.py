"""The ACL part of ``loaddemo`` beyond the composer's: one rule on a custom field's values
and one on actions, to try in the ACL debugger (created once; an admin's edits stay)."""

from __future__ import annotations

from tickets.automation import portable
from tickets.models import AclRule, Queue

PORTAL_PRODUCTS = "Portal: no ERP tickets"
RAW_ACTIONS = "Raw: no merging or bulk"
ACL_YAML = f"""format: 1
acls:
- name: "{PORTAL_PRODUCTS}"
  description: >-
    ERP questions go through the account manager, so customers do not pick the product
    ERP in the portal (the custom field Product keeps its other values).
  properties: screen = customer_new_ticket
  changes: {{"field:Product": {{possible_not: [erp]}}}}
- name: "{RAW_ACTIONS}"
  description: >-
    Tickets in Raw are sorted one by one: the zoom offers no merge, and the bulk
    action refuses them.
  properties: queue = Raw
  changes: {{action: {{possible_not: [merge, bulk]}}}}
"""


def load(stdout) -> None:
    names = {PORTAL_PRODUCTS, RAW_ACTIONS}
    if AclRule.objects.filter(name__in=names).exists():
        return
    if not Queue.objects.filter(full_name="Raw").exists():
        return
    portable.import_acls(ACL_YAML)
    stdout.write(f"ACLs: {PORTAL_PRODUCTS}; {RAW_ACTIONS}")
