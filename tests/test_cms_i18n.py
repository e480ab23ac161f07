"""The admin in English: our own labels come from cms/locale/en (Chinese stays the default)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from tests.test_cms_admin import _fast_password_hasher, _url, make_world  # noqa: F401


@pytest.fixture
def world(db):
    return make_world()


def _set_language(user, code: str) -> None:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = code
    profile.save()


def test_admin_defaults_to_chinese_labels(client, world):
    client.force_login(world["alice"])
    html = client.get(_url("list")).content.decode()
    assert "发文字号" in html and "Document number" not in html


def test_switching_admin_language_to_english_shows_english_labels(client, world):
    _set_language(world["alice"], "en")
    client.force_login(world["alice"])
    html = client.get(_url("list")).content.decode()
    for label in ("Disclosure documents", "Document number", "Issuing organ", "Publication date", "Validity"):
        assert label in html, label
    assert "发文字号" not in html

    html = client.get(_url("edit", world["policy"].pk)).content.decode()
    for label in ("Basic information", "Disclosure attributes", "Attachments", "Index number", "Category", "Topic"):
        assert label in html, label
    # Wagtail's own strings switch too.
    assert 'lang="en"' in client.get(reverse("wagtailadmin_home")).content.decode()


def test_account_page_offers_both_languages(client, world):
    client.force_login(world["alice"])
    html = client.get(reverse("wagtailadmin_account")).content.decode()
    assert "English" in html and "简体中文" in html
