"""Security: who acts (actors) and what they may do (permissions from role metadata)."""
from .actor import SYSTEM, Actor, UnknownUser, load_actor
from .permissions import AccessDenied, EntityPolicy

__all__ = ["SYSTEM", "AccessDenied", "Actor", "EntityPolicy", "UnknownUser", "load_actor"]
