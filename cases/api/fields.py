"""Serializer fields that name the register's people and divisions."""

from __future__ import annotations

from rest_framework import serializers


class UsernameField(serializers.SlugRelatedField):
    """A person by username."""

    def __init__(self, **kwargs):
        from cases.models import User

        kwargs.setdefault("queryset", User.objects.all())
        super().__init__(slug_field="username", **kwargs)


class DivisionCodeField(serializers.SlugRelatedField):
    """A division by code."""

    def __init__(self, **kwargs):
        from cases.models import Division

        kwargs.setdefault("queryset", Division.objects.all())
        super().__init__(slug_field="code", **kwargs)
