"""The deployment files: docker-compose.yml is valid Compose, settings refuse bad values."""

import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_matches_the_compose_specification():
    schema = __import__("json").loads((ROOT / "docs/schemas/compose-spec.json").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    jsonschema.Draft7Validator(schema).validate(compose)
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "proxy"} <= set(services)
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert services["web"]["command"][0] == "gunicorn"
    assert "beat" in services["beat"]["command"]
    # Everything the compose file mounts or builds from exists in the repository.
    assert (ROOT / "Dockerfile").exists() and (ROOT / "deploy/Caddyfile").exists()


def _settings_import(env: dict) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    full.update(env)
    full["DJANGO_SETTINGS_MODULE"] = "courtflow.settings"
    full["COURTFLOW_VAR_DIR"] = str(ROOT / "var" / "test-settings")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_settings_refuse_to_start_without_a_secret_key_in_production():
    result = _settings_import({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_refuse_a_malformed_boolean_and_an_unknown_broker():
    assert _settings_import({"DEBUG": "perhaps", "SECRET_KEY": "x"}).returncode != 0
    result = _settings_import({"DEBUG": "1", "CELERY_BROKER_URL": "amqp://x"})
    assert result.returncode != 0 and "CELERY_BROKER_URL" in result.stderr


def test_embedded_defaults_are_sqlite_and_the_filesystem_broker():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.TIME_ZONE, s.USE_TZ, s.LANGUAGE_CODE)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "courtflow.settings",
            "COURTFLOW_VAR_DIR": str(ROOT / "var" / "test-settings"),
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://", "Asia/Shanghai", "True", "zh-hans"]


def test_models_and_migrations_agree():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "DEBUG": "1",
            "DJANGO_SETTINGS_MODULE": "courtflow.settings",
            "COURTFLOW_VAR_DIR": str(ROOT / "var" / "test-settings"),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_wsgi_entry_point_loads_every_view_then_freezes_the_loaded_objects():
    # In a process of its own: freezing would otherwise keep this test run's objects forever.
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gc, sys; import courtflow.wsgi as w; "
            "print(callable(w.application), gc.get_freeze_count() > 10_000, 'reports.views' in sys.modules)",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "courtflow.settings"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]
