"""The alerts app's part of the REST API (`register(router)`)."""

from .views import register

__all__ = ["register"]
