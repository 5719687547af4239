"""The customer portal's views: ``accounts`` (sign-in, password, registration, preferences)
and ``tickets``."""
