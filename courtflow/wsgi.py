"""The WSGI entry point (gunicorn courtflow.wsgi).

Once the application is loaded (settings, apps, every view module through the URLconf), its objects
live as long as the process. `gc.freeze()` moves them out of the collector's sight, so a full
collection no longer walks them: measured in-process on the case list API, a full collection took
80–120 ms before and 13–26 ms after, which was the slowest request of every 200 (bench/RESULTS.md).
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courtflow.settings")
application = get_wsgi_application()

from django.urls import get_resolver  # noqa: E402 - needs the settings above

get_resolver().url_patterns  # noqa: B018 - imports every view module now, before the freeze
gc.freeze()
