"""What every page's header needs: the signed-in person's roles and the menu for them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from cases import permissions
from cases.roles import Role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url: str


# (key, label, url name, roles that see it; None = everyone signed in)
MENU = [
    ("home", _("Home"), "home", None),
    ("cases", _("Cases"), "cases:list", None),
    ("register", _("Register a case"), "cases:register", {Role.CLERK, Role.ADMIN}),
    ("inbox", _("Notifications"), "alerts:inbox", None),
    ("plans", _("Clearance plans"), "alerts:plans", {Role.HANDLER, Role.DIVISION_HEAD, Role.ADMIN}),
    ("dispatch", _("Weekly dispatch"), "alerts:dispatch_list", {Role.DIVISION_HEAD, Role.TRACKING_OFFICER, Role.ADMIN}),
    ("tracking", _("Daily tracking"), "alerts:tracking", {Role.TRACKING_OFFICER, Role.ADMIN}),
    ("jobs", _("Jobs"), "jobs:jobs", {Role.TRACKING_OFFICER, Role.ADMIN}),
    ("hidden_overruns", _("Hidden overruns"), "limits:hidden_overruns", {Role.TRACKING_OFFICER, Role.ADMIN}),
    (
        "overview",
        _("Court overview"),
        "reports:overview",
        {Role.PRESIDENT, Role.VICE_PRESIDENT, Role.TRACKING_OFFICER, Role.ADMIN},
    ),
    ("division", _("My division"), "reports:division_home", {Role.DIVISION_HEAD}),
    ("bulletins", _("Bulletins"), "reports:bulletin_list", None),
    ("import", _("Import"), "cases:import", {Role.CLERK, Role.TRACKING_OFFICER, Role.ADMIN}),
    ("staff", _("Staff changes"), "cases:reassign", {Role.DIVISION_HEAD, Role.ADMIN}),
]


def menu_for(user) -> list[NavItem]:
    if permissions.is_api_only(user):
        return []  # every staff page would send it back to its one page
    items = []
    for key, label, url_name, roles in MENU:
        if roles is not None and not (user.roles & roles):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:  # a page whose app has not shipped it yet
            continue
        items.append(NavItem(key, label, url))
    return items


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_items": menu_for(user),
        "user_role_labels": [Role.LABELS[r] for r in Role.ALL if r in user.roles],
        "user_is_court_wide": permissions.is_court_wide(user),
    }
