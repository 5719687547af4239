"""Process management (issue 15, part 4; Znuny's ProcessManagement): a process ticket moves
through activities; in each, agents (or customers) fill its dialogs; after each dialog the
transitions leaving the activity are checked in their order with the condition language
(:mod:`otrs.conditions`), and the first that holds fires: its actions (GenericAgent's changes,
:mod:`tickets.automation.changes`) run through the ticket actions and the ticket moves on.

Modules: ``dialogs`` (what a dialog may show, its form, applying it), ``engine`` (starting a
process ticket, submitting a dialog, the transitions and their trace), ``definitions``
(checking a process, saving it, YAML import and export), ``diagram`` (the read-only SVG),
``admin`` (the admin pages).
"""
