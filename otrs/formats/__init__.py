"""Date and time formats of the project's languages where Django's own do not fit a help desk
(``FORMAT_MODULE_PATH``).

English: Django's ``en`` formats are the United States' ("10/03/2026 10 a.m."), read the other
way round by most of the English-speaking world, and "a.m." ends a sentence with a second full
stop. Agents and customers writing English anywhere get dates nobody misreads: "7 Dec 2026",
"2026-12-07 14:30", 24-hour times. German keeps Django's ``de`` formats (07.12.2026 14:30).
"""
