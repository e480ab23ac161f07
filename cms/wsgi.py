"""WSGI entry point for gunicorn/granian: ``gunicorn cms.wsgi``.

The service modules' hot GET endpoints are answered ahead of Django's routing (``cms.fastpath``,
[0085]); every other request goes through Django's handler as usual.
"""

import os

from django.core.wsgi import get_wsgi_application

from cms import fastpath
from cms.service_modules import server_started

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")
application = fastpath.wrap(get_wsgi_application())
server_started.send(sender=None)  # e.g. the demo SMS gateway's warning: said by servers, not by commands
