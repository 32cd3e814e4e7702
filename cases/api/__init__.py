"""The REST API of the case register (/api/v1/): serializers, filters and viewsets.

`common` holds what every app's API shares (errors, pagination, strict query parameters,
throttling); alerts/api.py and reports/api.py build on it.
"""
