"""The process part of ``loaddemo``: a change request with approval (issue 15, part 4).

Its transitions also show the moves after changes made elsewhere: "Approved" and
"Rejected" hold as soon as the approval field is set anywhere, "Implemented" as soon as the
ticket is closed in any screen (:mod:`tickets.processes.receivers`).

Imported from YAML as an administrator would (the same code as admin → *Processes* →
*Import YAML*), once; an administrator's later edits stay. It needs the custom field
``ChangeApproval`` (a dropdown: approved, rejected), which it creates when missing.
"""

from __future__ import annotations

from otrs.fields.actions import save_definition
from otrs.fields.models import FieldDefinition
from tickets.models import Process
from tickets.processes.definitions import import_process

NAME = "Change request"

DEMO = """
process: Change request
description: >-
  A change to a system is described, approved or rejected by the change manager, then
  carried out and reported. The steps need not go through the dialogs: setting the
  approval field anywhere (the ticket's custom fields, the API) or closing the ticket in
  any screen moves the process on as well.
state: active
queue: Support
start_activity: Recorded
start_dialog: Describe the change
dialogs:
  - name: Describe the change
    description: What should change, why, and by when.
    interface: agent
    submit_text: Request approval
    fields:
      - {name: title, required: true}
      - {name: priority, required: false}
      - {name: customer_user, required: false}
      - {name: article, required: true}
  - name: Decide
    description: Approve or reject the change; say why.
    interface: agent
    submit_text: Record the decision
    fields:
      - {name: "field:ChangeApproval", required: true}
      - {name: article, required: false}
  - name: Report implementation
    description: What was done, and the ticket's state after it (a closed state ends it).
    interface: agent
    submit_text: Report
    fields:
      - {name: article, required: true}
      - {name: state, required: true}
activities:
  - {name: Recorded, dialogs: []}
  - {name: Awaiting approval, dialogs: [Decide]}
  - {name: Implementation, dialogs: [Report implementation]}
  - {name: Done, dialogs: []}
  - {name: Rejected, dialogs: []}
transitions:
  - name: Submitted for approval
    from: Recorded
    to: Awaiting approval
    condition: ""
    actions: {state: open}
  - name: Approved
    from: Awaiting approval
    to: Implementation
    condition: "field:ChangeApproval = approved"
    actions:
      note: {subject: Change approved, body: "The change was approved; it can be carried out."}
  - name: Rejected
    from: Awaiting approval
    to: Rejected
    condition: "field:ChangeApproval = rejected"
    actions: {state: closed unsuccessful}
  - name: Implemented
    from: Implementation
    to: Done
    condition: "state_type = closed"
    actions:
      note: {subject: Change carried out, body: "The change request is done."}
"""


def _approval_field() -> None:
    if FieldDefinition.objects.filter(name="ChangeApproval").exists():
        return
    save_definition(
        FieldDefinition(
            name="ChangeApproval",
            label="Change approval",
            labels={"de": "Genehmigung der Änderung"},
            object_type="ticket",
            field_type="dropdown",
            order=20,
            screens={"zoom": "shown", "search_list": "shown"},
        ),
        [
            {"key": "approved", "label": "approved", "labels": {"de": "genehmigt"}},
            {"key": "rejected", "label": "rejected", "labels": {"de": "abgelehnt"}},
        ],
    )


def load(stdout) -> None:
    if Process.objects.filter(name=NAME).exists():
        return
    _approval_field()
    import_process(DEMO)
    stdout.write(f"Process (active): {NAME}")
