"""Scheduled publishing and expiry run by the build worker's clock and reach the site through the
queue (time moved with time-machine); moderation per department with one or two review steps,
through the admin's approve and reject actions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cms.admin.moderation import reviewers_group
from cms.build.jobs import build_from_database, run_pending
from cms.build.schedule import tick
from cms.models import DepartmentReview, PendingChange
from content_models.models import DisclosureDocument
from tests.helpers.wagtail import ensure_wagtail_roots
from tests.test_cms_admin import _edit_form_data, _fast_password_hasher, _url, make_world  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def site_dir(settings, tmp_path):
    settings.GOVSITE_SITE_DIR = tmp_path / "site"
    settings.DATA_DIR = tmp_path
    settings.GOVSITE_BUILD_PLUGINS = []
    settings.GOVSITE_SERVICE_PAGES = False
    return settings.GOVSITE_SITE_DIR


@pytest.fixture()
def world():
    ensure_wagtail_roots()
    world = make_world()
    build_from_database(full=True)
    PendingChange.objects.all().delete()
    return world


def page_of(site_dir, doc) -> Path:
    doc.refresh_from_db()
    return site_dir / doc.department.slug / str(timezone.localtime(doc.published_at).year) / f"{doc.source_id}.html"


def test_scheduled_and_expiring_documents_change_the_site_when_their_time_comes(client, site_dir, world):
    start = timezone.now().replace(microsecond=0)
    fgj = world["fgj"]
    scheduled = DisclosureDocument.objects.create(
        source_id="fgj-sched", department=fgj, organ=fgj.name, title="定时发布的通知", category="通知公告",
        published_at=start, body="<p>正文</p>", live=False)
    scheduled.go_live_at = start + dt.timedelta(hours=1)
    scheduled.save_revision().publish()
    expiring = world["fgj_docs"][3]
    expiring.expire_at = start + dt.timedelta(hours=2)
    expiring.save_revision().publish()
    run_pending()
    scheduled.refresh_from_db()
    assert not scheduled.live and page_of(site_dir, expiring).is_file()
    assert not page_of(site_dir, scheduled).exists()

    client.force_login(world["alice"])  # the dashboard shows what comes next, to its department's editor
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "定时发布的通知" in html and "到期下线" in html and expiring.title in html

    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        assert "publish_scheduled" in tick()
        assert run_pending() == {"documents": 0, "files": 0}  # nothing due yet
    with time_machine.travel(start + dt.timedelta(hours=1, minutes=1), tick=False):
        tick()
        run_pending()
    scheduled.refresh_from_db()
    assert scheduled.live and "定时发布的通知" in page_of(site_dir, scheduled).read_text("utf-8")
    assert "定时发布的通知" in (site_dir / "list/index.html").read_text("utf-8")
    with time_machine.travel(start + dt.timedelta(hours=2, minutes=1), tick=False):
        assert tick() == ["publish_scheduled"]
        assert tick() == []  # the slot is taken: another worker process would not run it again
        run_pending()
    expiring.refresh_from_db()
    assert not expiring.live and expiring.expired
    assert not page_of(site_dir, expiring).exists()
    html = client.get(_url("list")).content.decode()
    assert "已过期" in html or "expired" in html


def _action(client, doc, action: str) -> None:
    doc.refresh_from_db()
    task_state = doc.current_workflow_state.current_task_state
    response = client.post(_url("workflow_action", doc.pk, action, task_state.pk), {"comment": "意见"})
    assert response.status_code in (200, 302), response.content.decode()[:1000]


def _submit(client, doc, title: str) -> None:
    data = _edit_form_data(doc, title=title)
    data["action-submit"] = "action-submit"
    response = client.post(_url("edit", doc.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_two_step_moderation_through_approve_reject_and_publish(client, site_dir, world):
    fgj = world["fgj"]
    review = DepartmentReview.objects.create(department=fgj, steps=DepartmentReview.Steps.TWO)
    reviewer = get_user_model().objects.create_user("dave", password="x")
    reviewer.groups.add(reviewers_group(fgj))
    doc = world["fgj_docs"][2]
    assert [t.name for t in doc.get_workflow().tasks] == [f"{fgj.name}初审", f"{fgj.name}终审（平台管理员）"]
    assert world["nyj_docs"][0].get_workflow() != review.workflow  # other departments keep theirs

    client.force_login(world["alice"])
    _submit(client, doc, "第一次送审的标题")
    doc.refresh_from_db()
    assert doc.current_workflow_task.name == f"{fgj.name}初审"
    client.force_login(world["bob"])  # another department's editor cannot act
    doc.refresh_from_db()
    task_state = doc.current_workflow_state.current_task_state
    client.post(_url("workflow_action", doc.pk, "approve", task_state.pk), {"comment": ""})
    doc.refresh_from_db()
    assert doc.current_workflow_task.name == f"{fgj.name}初审"

    client.force_login(reviewer)
    _action(client, doc, "approve")
    doc.refresh_from_db()
    assert doc.current_workflow_task.name == f"{fgj.name}终审（平台管理员）"
    client.force_login(world["carol"])
    _action(client, doc, "reject")
    doc.refresh_from_db()
    assert doc.title != "第一次送审的标题" and not PendingChange.objects.exists()
    assert doc.current_workflow_state.status == "needs_changes"

    client.force_login(world["alice"])
    _submit(client, doc, "修改后再次送审的标题")
    client.force_login(reviewer)
    _action(client, doc, "approve")
    client.force_login(world["carol"])
    _action(client, doc, "approve")
    doc.refresh_from_db()
    assert doc.title == "修改后再次送审的标题" and doc.live
    run_pending()
    assert "修改后再次送审的标题" in page_of(site_dir, doc).read_text("utf-8")


def test_one_step_and_no_review(world):
    fgj, nyj = world["fgj"], world["nyj"]
    DepartmentReview.objects.create(department=fgj, steps=DepartmentReview.Steps.ONE)
    none = DepartmentReview.objects.create(department=nyj, steps=DepartmentReview.Steps.NONE)
    assert [t.name for t in world["policy"].get_workflow().tasks] == [f"{fgj.name}初审"]
    assert world["nyj_docs"][0].get_workflow() is None
    none.steps = DepartmentReview.Steps.TWO
    none.save()
    assert len(world["nyj_docs"][0].get_workflow().tasks) == 2
