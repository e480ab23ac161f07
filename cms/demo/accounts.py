"""The demo's accounts: the administrator and one editor for each of the first two departments.

Passwords are kept in ``<data dir>/demo-accounts.txt`` (readable by the owner only), so running
``govsite demo`` again reuses them and can print them again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from content_models.atomic import atomic_write
from content_models.models import Department

ADMIN_USERNAME = "admin"
EDITOR_DEPARTMENTS = 2


def accounts_file() -> Path:
    return Path(settings.DATA_DIR) / "demo-accounts.txt"


def read_accounts() -> dict[str, str]:
    path = accounts_file()
    if not path.exists():
        return {}
    accounts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "\t" in line and not line.startswith("#"):
            user, password = line.split("\t", 1)
            accounts[user] = password
    return accounts


def write_accounts(accounts: dict[str, str]) -> None:
    """Replace the accounts file whole, owner-readable only."""
    lines = ["# govsite demo accounts: username<TAB>password"] + [f"{u}\t{p}" for u, p in accounts.items()]
    atomic_write(accounts_file(), ("\n".join(lines) + "\n").encode("utf-8"), private=True)


@transaction.atomic
def ensure_accounts() -> dict[str, tuple[str, str]]:
    """The administrator and one editor for each of the first two departments.

    Returns username → (password, role). A password given in GOVSITE_ADMIN_PASSWORD wins;
    otherwise a generated one is kept in demo-accounts.txt and reused on the next run.
    """
    User = get_user_model()
    saved = read_accounts()
    result: dict[str, tuple[str, str]] = {}

    env_password = os.environ.get("GOVSITE_ADMIN_PASSWORD", "")
    admin = User.objects.filter(username=ADMIN_USERNAME).first()
    password = env_password or saved.get(ADMIN_USERNAME)
    if admin is None:
        password = password or secrets.token_urlsafe(9)
        User.objects.create_superuser(ADMIN_USERNAME, email="", password=password)
    elif env_password:
        admin.set_password(env_password)
        admin.save(update_fields=["password"])
    result[ADMIN_USERNAME] = (password or _("（已有账号，密码未改动）"), _("平台管理员（超级用户）"))
    if password:
        saved[ADMIN_USERNAME] = password

    departments = (
        Department.objects.exclude(editors=None).order_by("sort_order", "slug").select_related("editors")
    )
    departments = [d for d in departments if d.documents.exists()][:EDITOR_DEPARTMENTS] or list(
        departments[:EDITOR_DEPARTMENTS]
    )
    for dept in departments:
        username = f"editor_{dept.slug}"
        password = saved.get(username)
        user = User.objects.filter(username=username).first()
        if user is None:
            password = password or secrets.token_urlsafe(9)
            user = User.objects.create_user(username, password=password, first_name=dept.name, last_name=_("编辑"))
        user.groups.add(dept.editors)
        if password:
            saved[username] = password
        role = _("%(dept)s编辑（只能编辑本部门文件）") % {"dept": dept.name}
        result[username] = (password or _("（已有账号，密码未改动）"), role)
    write_accounts(saved)
    return result
