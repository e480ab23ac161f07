"""Wagtail hooks: registrations only (what is registered lives in ``cms.admin``)."""

from wagtail.snippets.models import register_snippet

from cms.admin.viewsets import DisclosureGroup

register_snippet(DisclosureGroup)
