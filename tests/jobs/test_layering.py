"""The jobs app sits under the domain apps: it imports none of them (only Django, Celery, `common`
and, lazily, the project's Celery app), nor does `common` import any app of CourtFlow."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = {"cases", "limits", "alerts", "reports", "audit"}


def imported_packages(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found.update((str(path.relative_to(ROOT)), name.split(".")[0]) for name in names)
    return found


@pytest.mark.parametrize(("package", "forbidden"), [("jobs", DOMAIN), ("common", DOMAIN | {"jobs", "courtflow"})])
def test_a_lower_app_imports_no_higher_one(package, forbidden):
    assert sorted((path, name) for path, name in imported_packages(package) if name in forbidden) == []
