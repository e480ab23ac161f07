"""Build plugin: record what each build changed, and publish automatically after a build goes
live when an auto-publish target is set (``GOVSITE_AUTO_PUBLISH``).

The site builder calls ``on_live(ctx)`` with ``ctx.out_dir`` (the live release) and
``ctx.changed_paths``. Those paths go to the change log of the site directory, so the publish
that follows (this one, or a later ``govsite publish_site``) hashes only them instead of
walking the tree; the target's manifest still decides what is sent, so a publish that failed
after an earlier build is completed by this one. A failed publish is logged and does not fail
the build: the local site is already live.

The plugin reads no settings: whoever makes it passes them (the CMS: ``cms.publishing``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from site_generator.plugins import BasePlugin, BuildContext

from . import cli
from .changes import ChangeLog
from .errors import PublishError, _

logger = logging.getLogger("govsite.publish")


@dataclass
class PublishPlugin(BasePlugin):
    name: ClassVar[str] = "publish"

    # The configured site directory: only its builds have a change log (a build written elsewhere,
    # ``build_site --out DIR``, is published by walking it).
    site_dir: Path
    # Publish settings (``publish.conf.merge_settings``).
    settings: dict[str, Any] = field(default_factory=dict)
    # Where to publish after every build (a ``--to`` URL), or None: only keep the change log.
    to: str | None = None
    # The site directory's publish state (``publish.conf.state_dir_under``), or None: no change log.
    state_dir: Path | None = None
    # The machine's lock files of bucket targets (``publish.conf.lock_dir_under``).
    lock_dir: Path | None = None

    def on_live(self, ctx: BuildContext) -> None:
        out_dir = Path(ctx.out_dir or self.site_dir)
        state = self.state_dir if _same_dir(out_dir, self.site_dir) else None
        if state is not None:
            try:
                ChangeLog(state / "changes").record(None if ctx.full else ctx.changed_paths)
            except OSError as exc:
                logger.warning("publish change log not written (%s): the next publish walks the site", exc)
                state = None
        if not self.to:
            return
        try:
            summary = cli.run(
                {"to": self.to, "site": str(out_dir), "quiet": True},
                self.settings,
                out=_LogWriter(),
                state_dir_for=(lambda _site: state) if state else None,
                trust_changes=state is not None,
                lock_dir=self.lock_dir,
            )
        except PublishError as exc:
            logger.error(_("自动发布到 %(target)s 失败：%(error)s"), {"target": self.to, "error": exc})
            return
        logger.info("auto-publish to %s: %s", self.to, summary.text())


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class _LogWriter:
    def write(self, text: str) -> None:
        if text.strip():
            logger.info(text.strip())
