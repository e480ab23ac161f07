"""The documents JSON API (/api/documents): filters, pagination, detail, Chinese errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from content_models.models import DisclosureDocument
from tests.test_cms_admin import _fast_password_hasher, _when, make_world  # noqa: F401

API = "/api/documents"


@pytest.fixture
def world(db):
    w = make_world()
    # Some variety for the filters: another year, another topic, an expired policy, a draft.
    nyj = w["nyj"]
    w["old"] = DisclosureDocument.objects.create(
        source_id="nyj-old", department=nyj, organ=nyj.name, title="2019年旧政策", published_at=_when(2019, 6, 1),
        category="政策文件", topic="农业、林业、水利", validity="失效", live=True,
    )
    w["draft"] = DisclosureDocument.objects.create(
        source_id="nyj-draft", department=nyj, organ=nyj.name, title="未发布的草稿", published_at=_when(2024, 6, 1),
        category="政策文件", topic="农业、林业、水利", validity="有效", live=False,
    )
    return w


def _get(client, url=API, **params):
    return client.get(url, params)


def test_list_is_paginated_newest_first_with_total(client, world):
    body = _get(client, page_size="3").json()
    live_total = DisclosureDocument.objects.filter(live=True).count()
    assert body["count"] == live_total == 10
    assert body["pages"] == 4 and body["page"] == 1 and len(body["items"]) == 3
    published = [item["published"] for item in body["items"]]
    assert published == sorted(published, reverse=True)
    assert body["items"][0]["title"] == world["policy"].title  # 2024 is the newest
    assert body["items"][0]["published"] == "2024-02-01T09:00:00+08:00"  # site time zone
    seen = []
    for page in range(1, 5):
        seen += [i["id"] for i in _get(client, page_size="3", page=str(page)).json()["items"]]
    assert len(seen) == len(set(seen)) == live_total
    assert world["draft"].pk not in seen


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"site": "fgj"}, 5),
        ({"site": "nyj"}, 5),
        ({"category": "政策文件"}, 2),
        ({"topic": "农业、林业、水利"}, 1),
        ({"year": "2019"}, 1),
        ({"year": "2024"}, 1),
        ({"validity": "失效"}, 1),
        ({"site": "nyj", "validity": "有效"}, 4),
        ({"site": "fgj", "category": "政策解读"}, 1),
    ],
)
def test_each_filter(client, world, params, expected):
    body = _get(client, **params).json()
    assert body["count"] == expected, body
    for item in body["items"]:
        if "site" in params:
            assert item["site"] == params["site"]
        if "category" in params:
            assert item["category"] == params["category"]
        if "year" in params:
            assert item["published"].startswith(params["year"])


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"year": "abc"}, 400, "四位年份"),
        ({"validity": "永久"}, 400, "有效性"),
        ({"topic": "不存在的主题"}, 400, "主题分类"),
        ({"page": "0"}, 400, "正整数"),
        ({"page_size": "1000"}, 400, "不能大于"),
        ({"site": "no-such-site"}, 404, "部门站点"),
        ({"page": "99"}, 404, "页码超出范围"),
        ({"lang": "fr"}, 400, "未知的语言"),
    ],
)
def test_bad_filters_get_chinese_errors(client, world, params, status, message):
    response = _get(client, **params)
    assert response.status_code == status
    assert message in response.json()["message"]


def test_detail_with_attachments_and_interpretations(client, world):
    policy = world["policy"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"{API}/{policy.pk}")
    assert response.status_code == 200
    body = response.json()
    assert len(queries) <= 4
    assert body["doc_no"] == "南政办〔2024〕12号"
    assert body["index_no"] == "113505830001/2024-00012"
    assert body["site"] == "fgj" and body["site_name"] == "南安市发展和改革局"
    assert body["attachments"] == [
        # no stored file behind it: no URL (the site lists it as 暂缺)
        {"title": "附件1：重点任务清单", "file": "/files/a1.pdf", "size_bytes": 204800, "file_type": "pdf", "url": None}
    ]
    assert [i["title"] for i in body["interpretations"]] == [world["interpretation"].title]
    assert body["interprets"] is None

    body = client.get(f"{API}/{world['interpretation'].pk}").json()
    assert body["interprets"]["id"] == policy.pk
    assert body["interprets"]["doc_no"] == "南政办〔2024〕12号"


def test_detail_of_draft_or_unknown_is_404_in_chinese(client, world):
    for doc_id in (world["draft"].pk, 999999, "abc"):
        response = client.get(f"{API}/{doc_id}")
        assert response.status_code == 404
        assert "文件" in response.json()["message"]


def test_list_query_count_is_constant(client, world):
    with CaptureQueriesContext(connection) as queries:
        client.get(API, {"site": "nyj", "page_size": "50"})
    assert len(queries) <= 4  # locale and department lookups, count, page
