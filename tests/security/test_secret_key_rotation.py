"""Rotating the secret key (docs/operations.md): the key file's first line is the key, the lines
after it are old keys (SECRET_KEY_FALLBACKS) that still verify what they signed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client, override_settings
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW = "old-key-" + "a" * 50, "new-key-" + "b" * 50


def test_the_key_file_holds_the_key_then_the_old_keys(tmp_path):
    key_file = tmp_path / "django_secret_key"
    key_file.write_text(f"{NEW}\n{OLD}\n\n")
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env.update(DEBUG="0", SECRET_KEY_FILE=str(key_file), DJANGO_SETTINGS_MODULE="courtflow.settings")
    code = (
        "import json; from django.conf import settings as s; print(json.dumps([s.SECRET_KEY, s.SECRET_KEY_FALLBACKS]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == [NEW, [OLD]]
    key_file.write_text(f"{NEW}\n")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == [NEW, []]


@pytest.mark.django_db
def test_sessions_and_reset_links_survive_a_rotation_only_with_the_old_key_kept(clerk):
    kept, dropped = Client(), Client()
    with override_settings(SECRET_KEY=OLD, SECRET_KEY_FALLBACKS=[]):
        kept.force_login(clerk)
        dropped.force_login(clerk)
        token = default_token_generator.make_token(clerk)
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[OLD]):
        assert kept.get(reverse("cases:list")).status_code == 200
        assert default_token_generator.check_token(clerk, token)
    # A session used while the old key was kept has moved to the new key.
    with override_settings(SECRET_KEY=NEW, SECRET_KEY_FALLBACKS=[]):
        assert kept.get(reverse("cases:list")).status_code == 200
        response = dropped.get(reverse("cases:list"))
        assert (response.status_code, response["Location"].startswith(reverse("login"))) == (302, True)
        assert not default_token_generator.check_token(clerk, token)
