"""Documents translate through wagtail-localize: zh-Hans is the source, English the second locale."""

from __future__ import annotations

from django.urls import reverse
from wagtail.models import Locale

from content_models.models import DisclosureDocument
from tests.test_cms_admin import PASSWORD, _fast_password_hasher, make_world  # noqa: F401


def test_admin_offers_translation_and_the_english_copy_is_served_by_the_api(client, db):
    world = make_world()
    english = Locale.objects.get_or_create(language_code="en")[0]
    policy = world["policy"]
    client.login(username="root", password=PASSWORD)

    submit = reverse(
        "wagtail_localize:submit_snippet_translation",
        args=["content_models", "disclosuredocument", policy.pk],
    )
    page = client.get(submit)
    assert page.status_code == 200
    assert "English" in page.content.decode()

    response = client.post(submit, {"locales": [english.pk]})
    assert response.status_code == 302
    translated = DisclosureDocument.objects.get(translation_key=policy.translation_key, locale=english)
    assert translated.source_id == policy.source_id
    assert translated.department_id == policy.department_id

    translated.title = "Opinions on Comprehensively Promoting Rural Revitalization"
    translated.save()
    translated.save_revision().publish()

    english_list = client.get("/api/documents", {"lang": "en"}).json()
    assert [item["title"] for item in english_list["items"]] == [translated.title]
    chinese_titles = [item["title"] for item in client.get("/api/documents", {"page_size": 50}).json()["items"]]
    assert policy.title in chinese_titles and translated.title not in chinese_titles
