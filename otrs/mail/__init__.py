"""The email channel: the raw store and quarantine of inbound mail, mail accounts and fetching,
postmaster filters, parsing raw messages, and the persistent outgoing queue.

Turning a parsed mail into tickets is the ticket domain's job (:mod:`tickets.postmaster`).
"""
