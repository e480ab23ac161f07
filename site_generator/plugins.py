"""Build plugins: modules with optional ``on_render(ctx)`` and ``on_live(ctx)`` (MkDocs-style events).

The contract other areas build to (search index, services, publish) is in docs/site-generator.md.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger("site_generator")


@dataclass
class BuildContext:
    out_dir: Path
    full: bool
    records: Iterable[dict]
    removed_ids: set[str]
    state_dir: Path
    site: dict
    _writer: object = field(repr=False, default=None)
    _renderer: object = field(repr=False, default=None)
    _changed: Callable[[], list[str]] | None = field(repr=False, default=None)
    _changed_cache: list[str] | None = field(repr=False, default=None)

    def write_file(self, relpath: str, data: bytes) -> None:
        """Add a file to the build being written (replaced atomically; unchanged bytes are skipped)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._writer.write(relpath, data)

    def delete_file(self, relpath: str) -> None:
        """Remove a file of an earlier build from the build being written (listed in changed_paths,
        so publishing deletes it too)."""
        self._writer.delete(relpath)

    def render(self, template_name: str, context: dict) -> str:
        """Render a theme template with the site's header/footer and meta context."""
        ctx = {"meta": {"title": None, "column": ""}}
        ctx.update(context)
        return self._renderer.render_page(template_name, ctx).decode("utf-8")

    def asset_url(self, name: str) -> str:
        return self._renderer.asset_url(name)

    @property
    def changed_paths(self) -> list[str]:
        """Relative paths written or deleted by this build (computed on first use for full builds)."""
        if self._changed_cache is None:
            self._changed_cache = sorted(self._changed()) if self._changed else []
        return self._changed_cache


def load_plugins(names: list[str]) -> list[tuple[str, object]]:
    plugins = []
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                logger.warning("构建插件 %s 不存在，已跳过", name)
                continue
            raise
        plugins.append((name, module))
    return plugins


def run_event(plugins: list[tuple[str, object]], event: str, ctx: BuildContext, *, strict: bool = True) -> list[str]:
    """Call ``event`` on every plugin that has it.

    ``on_render`` is strict: an error fails the build and the previous site stays live.
    ``on_live`` runs after the switch, so an error there (e.g. an upload) is logged and
    returned, and the other plugins still run.
    """
    errors: list[str] = []
    for name, module in plugins:
        hook = getattr(module, event, None)
        if hook is None:
            continue
        os.makedirs(ctx.state_dir, exist_ok=True)
        if strict:
            hook(ctx)
            continue
        try:
            hook(ctx)
        except Exception as exc:  # the site is already live; report, do not undo
            logger.exception("构建插件 %s 的 %s 出错", name, event)
            errors.append(f"{name}: {exc}")
    return errors
