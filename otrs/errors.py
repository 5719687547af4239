"""The one error type domain actions raise when a rule forbids a change."""

from __future__ import annotations


class DomainError(Exception):
    """A change the domain refuses: merging into a merged ticket, moving into a queue the
    actor may not move into, a pending state without a time, ...

    ``message`` is translated and meant for the person who asked; ``code`` names the rule
    for programs (API responses, tests). Raised before anything is written, or inside the
    action's transaction, so a refused change leaves nothing half done.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)
