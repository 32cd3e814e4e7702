"""REST API of the alerts app (built on its models and services as they land)."""


def register(router) -> None:
    """Add this app's viewsets to the /api/v1/ router."""
