"""The statutory clock's part of the REST API: excluded periods and extensions."""

from .views import register

__all__ = ["register"]
