"""Settings of the services framework and of the modules, each with a default.

A value is read from Django settings first, then from the environment (so a test server process
can be tuned without editing cms/settings.py), then the default: the framework's are here, a
module gives its own where it reads it (``conf.get("GOVSITE_LETTERS_DEADLINE_DAYS", 15)``).
"""

import json
import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # writes allowed per client IP per window (seconds)
    "GOVSITE_SERVICES_RATE_LIMIT": 20,
    "GOVSITE_SERVICES_RATE_WINDOW": 600,
    # cache alias for counters and challenges; must be shared by every server process [0079]
    "GOVSITE_SERVICES_CACHE": "default",
    # lookups by number and query code: wrong codes allowed per case number and per client
    # before both are locked out for GOVSITE_LOOKUP_LOCK_SECONDS (services.throttle)
    "GOVSITE_LOOKUP_FAILURES_PER_NUMBER": 5,
    "GOVSITE_LOOKUP_FAILURES_PER_CLIENT": 20,
    "GOVSITE_LOOKUP_LOCK_SECONDS": 900,
    # reverse proxies (addresses or networks) whose X-Forwarded-For names the client; none: ignored
    "GOVSITE_TRUSTED_PROXIES": [],
    # seconds a challenge stays valid
    "GOVSITE_SERVICES_CHALLENGE_MAX_AGE": 1800,
    # dotted paths of notifier classes
    "GOVSITE_NOTIFIERS": ["services.notify.EmailNotifier", "services.notify.LoggingSmsGateway"],
    # base URL of the service API as the static pages call it (another domain needs GOVSITE_CORS_ORIGINS)
    "GOVSITE_SERVICES_API_BASE": "/api/services",
}


_FRAMEWORK = object()


def get(name: str, default: Any = _FRAMEWORK) -> Any:
    """Return a setting: Django settings, else the environment, else the default (the framework's
    own from ``DEFAULTS``; a module's given by the module)."""
    if hasattr(settings, name):
        return getattr(settings, name)
    if default is _FRAMEWORK:
        default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw) if raw.startswith("[") else [x for x in raw.split(",") if x]
    return raw


def api_base() -> str:
    """The service API's base URL as the static pages call it (``GOVSITE_SERVICES_API_BASE``)."""
    return get("GOVSITE_SERVICES_API_BASE").rstrip("/")
