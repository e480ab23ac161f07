"""``govsite demo --no-server``: sets everything up, and a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from wagtail.models import Locale, WorkflowContentType

from cms.admin import permissions
from content_models.models import Department, DisclosureDocument


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DATA_DIR = tmp_path  # demo-accounts.txt goes here
    settings.GOVSITE_SITE_DIR = tmp_path / "site"


def _demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", "--no-server", *args, stdout=out)
    return out.getvalue()


def _state() -> tuple:
    return (
        DisclosureDocument.objects.count(),
        Department.objects.count(),
        get_user_model().objects.count(),
        Group.objects.count(),
        WorkflowContentType.objects.count(),
        Locale.objects.count(),
    )


@pytest.mark.django_db
def test_demo_sets_up_and_is_idempotent(client, monkeypatch, tmp_path):
    monkeypatch.delenv("GOVSITE_ADMIN_PASSWORD", raising=False)
    out = _demo("--docs", "120")
    # --docs sets the sample; the modules' demo data publish documents of their own (the annual
    # report, public replies to proposals), which a second run must not repeat (checked below).
    sample = DisclosureDocument.objects.filter(source_id__regex=r"^[a-z]+-[0-9]{4}-[0-9]{6}$")
    assert sample.count() == 120
    assert DisclosureDocument.objects.exclude(pk__in=sample.values("pk")).count() <= 10
    assert Department.objects.count() >= 10
    assert set(Locale.objects.values_list("language_code", flat=True)) == {"zh-hans", "en"}
    assert "/admin/" in out

    # The printed administrator password works.
    line = next(line for line in out.splitlines() if "用户名 admin" in line)
    password = line.split("密码", 1)[1].split()[0]
    assert client.login(username="admin", password=password)
    assert (tmp_path / "demo-accounts.txt").read_text(encoding="utf-8").count("\t") == 3

    # Two department editors, each in their department's group, seeing only its documents.
    editors = get_user_model().objects.filter(username__startswith="editor_")
    assert editors.count() == 2
    for editor in editors:
        dept = Department.objects.get(slug=editor.username.removeprefix("editor_"))
        assert editor.groups.filter(pk=dept.editors_id).exists()
        assert set(permissions.departments_for_user(editor)) == {dept}
    assert Group.objects.filter(name=permissions.PLATFORM_ADMINS_GROUP).exists()
    assert WorkflowContentType.objects.filter(workflow__name=permissions.MODERATION_WORKFLOW).exists()

    before = _state()
    out2 = _demo("--docs", "120")
    assert _state() == before
    assert f"密码 {password}" in out2  # same password printed again
    assert client.login(username="admin", password=password)


@pytest.mark.django_db
def test_demo_admin_password_from_environment(client, monkeypatch):
    monkeypatch.setenv("GOVSITE_ADMIN_PASSWORD", "from-the-env-42")
    out = _demo("--docs", "0", "--no-build")
    assert "from-the-env-42" in out
    assert client.login(username="admin", password="from-the-env-42")


def test_setup_departments_command_repairs_groups(db):
    dept = Department.objects.create(slug="swj", name="南安市商务局")
    Group.objects.filter(pk=Department.objects.get(pk=dept.pk).editors_id).delete()
    assert Department.objects.get(pk=dept.pk).editors is None
    out = io.StringIO()
    call_command("setup_departments", stdout=out)
    dept.refresh_from_db()
    assert dept.editors is not None and dept.editors.name == "南安市商务局编辑"
    assert "1 个部门站点" in out.getvalue()
