"""Build plugin: record what each build changed, and publish automatically after a build goes
live when ``GOVSITE_AUTO_PUBLISH`` is set.

The site builder calls ``on_live(ctx)`` with ``ctx.out_dir`` (the live release) and
``ctx.changed_paths``. Those paths go to the change log of the site directory, so the publish
that follows (this one, or a later ``govsite publish_site``) hashes only them instead of
walking the tree; the target's manifest still decides what is sent, so a publish that failed
after an earlier build is completed by this one. A failed publish is logged and does not fail
the build: the local site is already live.
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import cli, conf
from .changes import ChangeLog
from .errors import PublishError, _

logger = logging.getLogger("govsite.publish")


def on_live(ctx) -> None:
    to = conf.auto_publish_target()
    out_dir = Path(getattr(ctx, "out_dir", None) or conf.default_site_dir())
    site_dir = conf.default_site_dir()
    # The change log belongs to the configured site directory; a build written elsewhere
    # (build_site --out DIR) is published by walking it.
    ours = _same_dir(out_dir, site_dir)
    state = conf.publish_state_dir(site_dir) if ours else None
    if state is not None:
        try:
            ChangeLog(state / "changes").record(None if getattr(ctx, "full", False) else ctx.changed_paths)
        except OSError as exc:
            logger.warning("publish change log not written (%s): the next publish walks the site", exc)
            state = None
    if not to:
        return
    try:
        summary = cli.run(
            {"to": to, "site": str(out_dir), "quiet": True},
            conf.publish_settings(),
            out=_LogWriter(),
            state_dir_for=(lambda _site: state) if state else None,
            trust_changes=state is not None,
            lock_dir=conf.publish_lock_dir(),
        )
    except PublishError as exc:
        logger.error(_("自动发布到 %(target)s 失败：%(error)s"), {"target": to, "error": exc})
        return
    logger.info("auto-publish to %s: %s", to, summary.text())


def _same_dir(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class _LogWriter:
    def write(self, text: str) -> None:
        if text.strip():
            logger.info(text.strip())
