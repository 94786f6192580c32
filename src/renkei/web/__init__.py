"""The web site, JSON API and signed-in area (FastAPI + Jinja2; htmx vendored; no CDN, no outside tiles)."""

from .app import create_app

__all__ = ["create_app"]
