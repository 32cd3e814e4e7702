"""The REST API of the case register (/api/v1/): serializers, filters and viewsets.

`common.api` holds what every app's API shares (errors, pagination, strict query parameters,
throttling). Every app adds its resources with its api/ package's `register(router)`.
"""

from .views import register

__all__ = ["register"]
