"""Build plugin: publish automatically after a build goes live, when ``GOVSITE_AUTO_PUBLISH`` is set.

The site builder calls ``on_live(ctx)`` with ``ctx.out_dir`` (the live site). The whole tree is
compared with the target's manifest rather than only ``ctx.changed_paths``: the stat cache
makes that cheap, and a publish that failed after an earlier build is completed by this one.
A failed publish is logged and does not fail the build (the local site is already live).
"""

from __future__ import annotations

import logging

from . import cli, conf
from .errors import PublishError, _

logger = logging.getLogger("govsite.publish")


def on_live(ctx) -> None:
    to = conf.auto_publish_target()
    if not to:
        return
    site = str(getattr(ctx, "out_dir", None) or conf.default_site_dir())
    try:
        summary = cli.run(
            {"to": to, "site": site, "quiet": True},
            conf.publish_settings(),
            out=_LogWriter(),
            # one stat cache for the site, whichever release directory ctx.out_dir names
            cache_path_for=lambda _site: conf.hash_cache_path(conf.default_site_dir()),
        )
    except PublishError as exc:
        logger.error(_("自动发布到 %(target)s 失败：%(error)s"), {"target": to, "error": exc})
        return
    changed = getattr(ctx, "changed_paths", None)
    logger.info(
        "auto-publish to %s done (%d paths changed in the build): %s", to, len(changed or ()), summary
    )


class _LogWriter:
    def write(self, text: str) -> None:
        if text.strip():
            logger.info(text.strip())
