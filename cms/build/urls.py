"""The built site at ``/`` when ``settings.GOVSITE_SERVE_SITE`` is on (included last in cms/urls.py)."""

from django.conf import settings
from django.urls import re_path

from cms.build.serve import serve_site

urlpatterns = [re_path(r"^(?P<path>.*)$", serve_site, name="site")] if getattr(settings, "GOVSITE_SERVE_SITE", False) else []
