"""The ``govsite`` console script: Django's manage.py with the settings preset."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line
from django.db.utils import OperationalError, ProgrammingError


def _is_missing_table(exc: BaseException) -> bool:
    text = str(exc)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings")

    args = sys.argv[1:] if argv is None else argv
    try:
        execute_from_command_line(["govsite", *args])
    except ImproperlyConfigured as exc:
        # a deployment setting is missing or unsafe (GOVSITE_ENV=production): say which, no traceback
        sys.stderr.write(f"配置错误：{exc}\n")
        sys.exit(1)
    except (OperationalError, ProgrammingError) as exc:
        # A database that was never migrated is the commonest first-run mistake: say what to do
        # instead of printing a traceback.
        if not _is_missing_table(exc):
            raise
        sys.stderr.write(f"数据库尚未初始化（{exc}），请先运行 govsite migrate\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
