"""The customer portal's forms: ``accounts`` and ``tickets``."""
