"""GenericAgent (spec section 9): jobs that select tickets with the condition language
(:mod:`otrs.conditions`) and change them through the ticket actions, on a schedule, on
ticket events or by hand, with a dry run and a stored trace of every run.

Modules: ``attributes`` (the ticket's attributes for conditions), ``changes`` (what a job
may change: checked, planned, applied), ``engine`` (a run), ``schedule`` (cron expressions
and the beat schedule), ``receivers`` (event-triggered jobs), ``actions`` (writing jobs),
``admin`` (the admin pages).
"""
