"""The ASGI entry point for uvicorn workers: ``renkei.web.server:app`` (the registry from RENKEI_DATABASE_URL)."""

from .app import create_asgi

app = create_asgi()
