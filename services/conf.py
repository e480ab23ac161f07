"""Settings of the service modules, each with a default.

A value is read from Django settings first, then from the environment (so a test server process
can be tuned without editing cms/settings.py), then the default here.
"""

import json
import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # writes allowed per client IP per window (seconds)
    "GOVSITE_SERVICES_RATE_LIMIT": 20,
    "GOVSITE_SERVICES_RATE_WINDOW": 600,
    # cache alias for rate counters and used challenges: give several server processes a shared one
    "GOVSITE_SERVICES_CACHE": "default",
    # seconds a challenge stays valid
    "GOVSITE_SERVICES_CHALLENGE_MAX_AGE": 1800,
    # letters: answer deadline in working days
    "GOVSITE_LETTERS_DEADLINE_DAYS": 15,
    # ratings: working days to verify, rectify and answer a bad rating; days until a missing rating
    # counts as 基本满意; working days an appeal is open
    "GOVSITE_RATINGS_RECTIFY_DAYS": 10,
    "GOVSITE_RATINGS_DEFAULT_AFTER_DAYS": 7,
    "GOVSITE_RATINGS_APPEAL_DAYS": 5,
    # supervision defaults (rules in the database override them per item or department)
    "GOVSITE_SUPERVISION_WARN_DAYS_LEFT": 2,
    "GOVSITE_SUPERVISION_RED_AFTER_DAYS": 5,
    # dotted paths of notifier classes
    "GOVSITE_NOTIFIERS": ["services.notify.EmailNotifier", "services.notify.LoggingSmsGateway"],
    # base URL of the service API as the static pages call it (another domain needs GOVSITE_CORS_ORIGINS)
    "GOVSITE_SERVICES_API_BASE": "/api/services",
}


def get(name: str) -> Any:
    """Return a services setting: Django settings, else the environment, else the default."""
    if hasattr(settings, name):
        return getattr(settings, name)
    default = DEFAULTS[name]
    raw = os.environ.get(name)
    if raw is None:
        return default
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw) if raw.startswith("[") else [x for x in raw.split(",") if x]
    return raw
