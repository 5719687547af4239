"""Business calendars (spec section 6): working hours per weekday, holidays, a time zone,
and the two working-time functions everything that counts business time uses
(:func:`otrs.calendars.worktime.add_working_minutes`,
:func:`otrs.calendars.worktime.working_minutes_between`).

A feature package: it imports no domain app. Queues and SLAs name their calendar by
:attr:`~otrs.calendars.models.Calendar.name` (an empty name means the default calendar).
"""
