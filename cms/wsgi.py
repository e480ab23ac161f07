"""WSGI entry point for gunicorn/granian: ``gunicorn cms.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

from services.notify import warn_if_demo_only

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
application = get_wsgi_application()
warn_if_demo_only()  # said when a server starts, not by every management command
