"""Shared console output of the import commands: progress and problems on stderr, summary on stdout."""

import time

from django.utils.translation import gettext as _

from cms.exchange.importer import ImportSummary, Problem


class ImportReporter:
    """Prints each bad line (and warning) as it is found and a progress line every few seconds."""

    def __init__(self, stderr, *, quiet: bool = False, every: float = 2.0) -> None:
        self.stderr = stderr
        self.quiet = quiet
        self.every = every
        self._last = time.monotonic()

    def problem(self, kind: str, problem: Problem) -> None:
        if kind == "warning" and self.quiet:
            return
        label = _("错误") if kind == "error" else _("警告")
        self.stderr.write(f"{label} {problem}")

    def progress(self, summary: ImportSummary) -> None:
        if self.quiet or time.monotonic() - self._last < self.every:
            return
        self._last = time.monotonic()
        self.stderr.write(
            _("已处理 %(lines)d 行：新增 %(created)d，更新 %(updated)d，错误 %(bad)d；每秒 %(rate).0f 行")
            % {
                "lines": summary.lines, "created": summary.created, "updated": summary.updated,
                "bad": summary.bad, "rate": summary.rate,
            }
        )
