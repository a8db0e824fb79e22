"""The public verification portal (FastAPI): :func:`create_app`."""

from .app import create_app

__all__ = ["create_app"]
