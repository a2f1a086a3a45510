"""Web glue: the Flask application around the engine."""
from .app import create_app

__all__ = ["create_app"]
