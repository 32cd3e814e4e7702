"""Staff roles. Each role is a Django group of the same name; permissions.py reads them."""

from django.utils.translation import gettext_lazy as _


class Role:
    CLERK = "clerk"
    HANDLER = "handler"
    DIVISION_HEAD = "division_head"
    VICE_PRESIDENT = "vice_president"
    PRESIDENT = "president"
    TRACKING_OFFICER = "tracking_officer"
    INTEGRATION = "integration"
    ADMIN = "admin"

    CHOICES = [
        (CLERK, _("Clerk")),
        (HANDLER, _("Case handler")),
        (DIVISION_HEAD, _("Division head")),
        (VICE_PRESIDENT, _("Vice-president in charge")),
        (PRESIDENT, _("President")),
        (TRACKING_OFFICER, _("Tracking officer")),
        (INTEGRATION, _("Integration")),
        (ADMIN, _("Administrator")),
    ]
    ALL = [code for code, _label in CHOICES]
    LABELS = dict(CHOICES)

    # Roles that see every division's cases.
    COURT_WIDE = {VICE_PRESIDENT, PRESIDENT, TRACKING_OFFICER, INTEGRATION, ADMIN}
    # Roles that work within a division: the ones an integration may give or take (cases.permissions).
    DIVISION_ROLES = frozenset({CLERK, HANDLER, DIVISION_HEAD})
