"""The mail transport: parsing raw messages (plain Python, :mod:`.parsing`), fetching mail
accounts over IMAP and POP3 (:mod:`.fetching`), the persistent outgoing queue and its sender
(:mod:`.outbound`, :mod:`.sending`) and loop protection (:mod:`.loop`).

It imports no domain app. What a mail means is the ticket e-mail channel's business
(:mod:`tickets.postmaster`, :mod:`tickets.deliveries`); the two meet only in :mod:`.hooks`,
through plain data (raw bytes, ids, dataclasses).
"""
