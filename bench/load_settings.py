"""Settings of the load test's gunicorn: production settings (DEBUG off), static files hashed
but not compressed, so that preparing a fresh database copy does not spend a minute compressing."""

from courtflow.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"  # noqa: F405
