"""An extension package, as a third party would ship one: a Django app that adds a page and a
menu entry to the agent portal without touching the core. Installed only when the environment
names it (``EXTRA_APPS=tests.extension_example``); ``tests/agent/test_extensions.py`` starts
such a process and runs ``checks.py`` in it."""
