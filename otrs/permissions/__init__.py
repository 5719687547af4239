"""Permission keys and the resolution of an agent's effective group grants."""

from .grants import GroupGrants, agents_holding, grants_for
from .keys import PermissionKey

__all__ = ["GroupGrants", "PermissionKey", "agents_holding", "grants_for"]
