"""Production settings for the app under fault tests, with one change: static files are hashed
but not compressed (compressing every file took over a minute of the suite's time)."""

from courtflow.settings import *  # noqa: F403

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"  # noqa: F405
