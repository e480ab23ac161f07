"""``govsite demo``: a working portal on a fresh machine with one command.

Migrates the database, creates the administrator and two department editors, loads the
project's own sample documents when the database has none, builds the static site, starts the
build worker and runs the server (``/`` the public site, ``/admin/`` the CMS). Running it again
changes nothing that is already there; passwords are kept in ``<data dir>/demo-accounts.txt``
(readable by the owner only) so they can be printed again.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from wagtail.models import Locale

from cms.admin import permissions
from cms.build.worker import start_worker_thread
from cms.demo.accounts import accounts_file, ensure_accounts
from cms.demo.files import write_sample_files
from cms.demo.sample import generate_sample
from cms.exchange.extraction import extract_pending
from cms.exchange.importer import AttachmentFiles, import_records
from cms.service_modules import load_demo_data
from content_models.filestore import FileStore
from content_models.models import DisclosureDocument

DEFAULT_DOCS = 2400


class Command(BaseCommand):
    help = _("一条命令启动演示站点：初始化数据库、创建管理员和部门编辑账号、导入示例文件、生成静态站点并启动服务。可重复执行。")

    def add_arguments(self, parser):
        parser.add_argument("--docs", type=int, default=DEFAULT_DOCS, help=_("数据库为空时导入的示例文件数量（默认 2400）"))
        parser.add_argument("--port", type=int, default=8000, help=_("服务端口（默认 8000）"))
        parser.add_argument("--host", default="127.0.0.1", help=_("监听地址（默认 127.0.0.1）"))
        parser.add_argument("--no-server", action="store_true", help=_("只完成初始化，不启动服务（用于测试和部署脚本）"))
        parser.add_argument("--no-build", action="store_true", help=_("跳过生成静态站点"))

    def handle(self, *args, docs: int, port: int, host: str, no_server: bool, no_build: bool, **options):
        if docs < 0:
            raise CommandError(_("示例文件数量不能为负数"))
        if not 0 < port < 65536:
            raise CommandError(_("端口应在 1 到 65535 之间"))
        self.step(_("初始化数据库"))
        call_command("migrate", interactive=False, verbosity=0)
        # Static files are served from the apps by WhiteNoise; an existing STATIC_ROOT keeps it quiet.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        self.ensure_locales()
        self.load_sample(docs)
        self.step(_("创建部门编辑用户组和审核工作流"))
        counts = permissions.setup_departments()
        self.stdout.write(_("  %(n)d 个部门站点") % {"n": counts["departments"]})
        self.step(_("创建演示账号"))
        accounts = ensure_accounts()
        self.load_service_samples()
        if not no_build:
            self.build_site()
        self.print_login(accounts, host, port)
        if no_server:
            return
        self.start_worker()
        self.step(_("启动服务（按 Ctrl+C 停止）"))
        call_command("runserver", f"{host}:{port}", use_reloader=False, use_threading=True)

    # -- steps ----------------------------------------------------------------------------------

    def step(self, text: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"==> {text}"))

    def ensure_locales(self) -> None:
        """zh-hans (default) and English exist as Wagtail locales, so documents can be translated."""
        for code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
            Locale.objects.get_or_create(language_code=code)

    def load_sample(self, docs: int) -> None:
        existing = DisclosureDocument.objects.count()
        if existing:
            self.step(_("数据库已有 %(n)d 个文件，不再导入示例文件") % {"n": existing})
            return
        if docs == 0:
            return
        self.step(_("导入 %(n)d 个示例文件") % {"n": docs})
        records = list(generate_sample(docs=docs, seed=1))
        files = Path(settings.DATA_DIR) / "sample-files"
        write_sample_files(records, files)  # real attachment files that open, imported like --files
        summary = import_records((orjson.dumps(r) for r in records),
                                 files=AttachmentFiles(FileStore(settings.GOVSITE_FILES_DIR), files))
        self.stdout.write("  " + summary.as_text())
        self.stdout.write("  " + extract_pending().as_text())

    def load_service_samples(self) -> None:
        """Each enabled service module's sample data (its ``demo_data`` hook), so every page shows something."""
        self.step(_("准备服务模块的示例数据"))
        load_demo_data(self.stdout)

    def build_site(self) -> None:
        self.step(_("生成静态站点"))
        call_command("build_site")

    def start_worker(self) -> None:
        """Run the site-build worker in this process, so publishing in the admin rebuilds the site."""
        start_worker_thread()
        self.stdout.write(_("  构建任务处理程序已在后台启动"))

    def print_login(self, accounts: dict[str, tuple[str, str]], host: str, port: int) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        base = f"http://{shown}:{port}"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("演示站点已就绪")))
        self.stdout.write(_("  门户网站：%(url)s/") % {"url": base})
        self.stdout.write(_("  管理后台：%(url)s/admin/") % {"url": base})
        self.stdout.write(_("  文件接口：%(url)s/api/documents （接口文档 %(url)s/api/docs）") % {"url": base})
        self.stdout.write(_("  登录账号（也保存在 %(file)s）：") % {"file": accounts_file()})
        for username, (password, role) in accounts.items():
            self.stdout.write(_("    用户名 %(user)s  密码 %(password)s  —— %(role)s") % {
                "user": username, "password": password, "role": role,
            })
        self.stdout.write("")
