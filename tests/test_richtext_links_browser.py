"""In the real editor (Chromium): the 公开文件 button opens the chooser and the chosen document
becomes a link in the body's value, by id (``cms/static/cms/js/richtext-links.js``, ADR 0104)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from wagtail.models import Locale

from cms.admin import permissions
from content_models.models import Department, DisclosureDocument
from tests.helpers.browser import Chromium, chromium_available

pytestmark = [
    pytest.mark.skipif(not chromium_available(), reason="chromium is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]


def test_an_editor_chooses_a_document_link_in_the_editor(live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GOVSITE_SERVICE_PAGES = False
    Locale.objects.get_or_create(language_code="zh-hans")
    own = Department.objects.create(slug="fgj", name="南安市发展和改革局", organ_code="113505830001")
    target = DisclosureDocument.objects.create(
        source_id="fgj-policy", department=own, organ=own.name, title="现行政策文件", body="<p>正文</p>", live=True,
        published_at=timezone.now(), category="通知公告")
    editor = get_user_model().objects.create_user("editor", password="x")
    editor.groups.add(permissions.ensure_department_group(own))
    client = Client()
    client.force_login(editor)
    session = client.cookies["sessionid"].value

    with Chromium() as chromium:
        chromium.send("Network.enable")
        chromium.send("Network.setCookie", name="sessionid", value=session, url=live_server.url)
        chromium.navigate(live_server.url + "/admin/snippets/content_models/disclosuredocument/add/")
        editor = ".public-DraftEditor-content"
        chromium.wait(f"!!document.querySelector('{editor}')", timeout=60)
        chromium.evaluate(f"document.querySelector('{editor}').focus()")
        # the block toolbar's "+" lists every command, the two link types with their labels
        chromium.evaluate("document.querySelector('.Draftail-BlockToolbar__trigger').click()")
        # (labels in the browser's language: 公开文件 / 栏目单页, or their English names)
        option = "[...document.querySelectorAll('[role=option]')].find(e => {}.includes(e.textContent.trim()))"
        disclosure = option.format('["公开文件", "Disclosure documents"]')
        standalone = option.format('["栏目单页", "Standalone pages"]')
        try:
            chromium.wait(f"!!{disclosure} && !!{standalone}", timeout=30)
        except TimeoutError:
            raise AssertionError(chromium.evaluate("JSON.stringify([...document.querySelectorAll('[role=option]')]"
                                                   ".map(e => e.textContent.trim()).slice(0, 60))")) from None
        chromium.evaluate(f"{disclosure}.click()")
        choice = f"document.querySelector('.modal a[data-chooser-modal-choice][href*=\"/{target.pk}/\"]')"
        chromium.wait(f"!!{choice}", timeout=60)
        chromium.evaluate(f"{choice}.click()")
        value = f"document.querySelector('[name=\"body\"]').value.includes({json.dumps('DISCLOSURE')})"
        chromium.wait(value, timeout=30)
        stored = json.loads(chromium.evaluate("document.querySelector('[name=\"body\"]').value"))
    entity = next(iter(stored["entityMap"].values()))
    assert entity["type"] == "DISCLOSURE" and str(entity["data"]["id"]) == str(target.pk)
