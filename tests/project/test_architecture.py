"""The apps depend one way: common ← jobs ← cases ← limits ← alerts ← reports (docs/DEVELOPING.md).

Walks every module of every app (migrations aside: they are history) and fails naming the
module and the import that goes against the order. `audit` sits above the domain apps (it
records their models); `courtflow/` only wires and may import anything; an app may import
`courtflow` only for the Celery app.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ORDER = ["common", "jobs", "cases", "limits", "alerts", "reports", "audit"]
RANK = {app: rank for rank, app in enumerate(ORDER)}
ALLOWED_FROM_COURTFLOW = {"courtflow.celery"}


def _modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" not in path.relative_to(ROOT).parts:
            yield path


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    package = list(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def violations() -> list[str]:
    wrong = []
    for app in ORDER:
        if not (ROOT / app).is_dir():
            continue
        for path in _modules(app):
            for line, name in _imports(path):
                top = name.split(".")[0]
                where = f"{path.relative_to(ROOT)}:{line} imports {name}"
                if top in RANK and RANK[top] > RANK[app]:
                    wrong.append(f"{where} ({top} is above {app})")
                elif top == "courtflow" and name not in ALLOWED_FROM_COURTFLOW:
                    wrong.append(f"{where} (courtflow only wires)")
    return wrong


def test_imports_follow_the_dependency_order():
    assert violations() == []


def test_common_has_no_domain():
    domain = [v for v in violations() if v.startswith("common/")]
    assert domain == []
    assert (ROOT / "common").is_dir()


def test_the_walk_sees_an_import_against_the_order(tmp_path, monkeypatch):
    # The check can fail: a module of `cases` that imports `limits` is reported.
    fake_root = tmp_path
    (fake_root / "cases").mkdir()
    (fake_root / "cases" / "bad.py").write_text("from limits import rule\nfrom . import ageing\n")
    (fake_root / "limits").mkdir()
    (fake_root / "limits" / "good.py").write_text("from cases.models import Case\nfrom ..cases import x\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    assert violations() == ["cases/bad.py:1 imports limits (limits is above cases)"]


@pytest.mark.parametrize("app", [app for app in ORDER if app != "common" and (ROOT / app).is_dir()])
def test_every_app_has_an_api_package_or_none(app):
    # An app that serves the API does it from its api/ package (register(router)).
    api_module = ROOT / app / "api.py"
    assert not api_module.exists(), f"{app}/api.py: the API of an app lives in {app}/api/"
