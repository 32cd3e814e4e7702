"""The roles of the API tests' court (tests/api/conftest.py `org`) and what each may do with the
case register: one table for the permission matrices of every endpoint."""

ROLES = [
    None,
    "clerk",
    "handler",
    "other_handler",
    "head",
    "vice_president",
    "president",
    "tracking_officer",
    "integration",
    "admin",
    "nobody",
]
COURT_WIDE = {"vice_president", "president", "tracking_officer", "integration", "admin"}
SEES_CIVIL_1 = {"clerk", "handler", "head"} | COURT_WIDE
EDITS_CIVIL_1_CASE = {"clerk", "handler", "head", "integration", "admin"}
