from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # Last: the built static site (only when GOVSITE_SERVE_SITE is on, as in the demo).
    path("", include("cms.build.urls")),
]
