"""Admin building blocks shared by the apps (common registers no models of its own)."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyPermissions:
    """Nobody adds, changes or deletes these rows in the admin: services and jobs write them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    """Records written by services and jobs: looked at in the admin, never edited there."""


class ReadOnlyInline(ReadOnlyPermissions, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
