"""Build plugins: the typed contract between the generator and the parts it runs (MkDocs-style events).

A plugin is an object the caller puts in ``BuildConfig.plugins`` (the CMS makes them from
``settings.GOVSITE_BUILD_PLUGINS`` in ``cms.build.config``; tests and benchmarks construct them).
The generator never imports a plugin by name and never reads settings. Two events:

- ``on_render(ctx)``: the new release is written but not live. Write or delete files with
  ``ctx.write_file``/``ctx.delete_file``. An error fails the build and the previous site stays
  live; raising ``NeedsFullBuild`` asks the caller for a full build.
- ``on_live(ctx)``: the release is live; ``ctx.changed_paths`` lists what it changed. An error is
  logged and returned in ``BuildResult.plugin_errors``; the other plugins still run.

Subclass ``BasePlugin`` and override the events you need. docs/site-generator.md describes the
contract with examples.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:  # the build passes them in; importing them here would make a cycle
    from site_generator.output import Writer
    from site_generator.render import Renderer

logger = logging.getLogger("site_generator")


class NeedsFullBuild(RuntimeError):
    """A targeted build cannot be done (no state yet, theme/settings changed): run a full one."""


def _no_progress(message: str) -> None:
    """The default progress report: nobody listens."""


@dataclass
class BuildContext:
    """Everything a plugin may read about the build it runs in, and the only ways it may write."""

    # The release being written (in ``on_live``: the release that just went live).
    out_dir: Path
    # True for a full build: ``records`` is every live record. False: only the added or changed ones.
    full: bool
    # Re-iterable and up to 200k on a full build: never materialise it.
    records: Iterable[dict]
    # Ids of the documents an incremental build withdrew or deleted.
    removed_ids: set[str]
    # The plugins' own state, kept with the build state (``<state dir>/plugins``).
    state_dir: Path
    # The portal: name, domain, base_url, site_id_code.
    site: dict
    # Report a step to whoever runs the build (``govsite build_site -v 2`` prints it).
    progress: Callable[[str], None] = _no_progress
    # Search records of contributed pages (``site_generator.pages``: ``PageSpec.search``), shaped like
    # document records with the id ``page:<path>``: every page's on a full build, else those of the
    # pages rendered again. ``page_removed_ids``: pages that left their set or lost their record.
    page_records: list[dict] = field(default_factory=list)
    page_removed_ids: set[str] = field(default_factory=set)
    _writer: Writer | None = field(repr=False, default=None)
    _renderer: Renderer | None = field(repr=False, default=None)
    _changed: Callable[[], Iterable[str]] | None = field(repr=False, default=None)
    _changed_cache: list[str] | None = field(repr=False, default=None)

    def write_file(self, relpath: str, data: bytes | str) -> None:
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
        """The URL of a theme asset (content-hashed name), e.g. ``css/site.css``."""
        return self._renderer.asset_url(name)

    @property
    def changed_paths(self) -> list[str]:
        """Relative paths written or deleted by this build (computed on first use for full builds)."""
        if self._changed_cache is None:
            self._changed_cache = sorted(self._changed()) if self._changed else []
        return self._changed_cache


@runtime_checkable
class BuildPlugin(Protocol):
    """What the generator calls. ``name`` appears in logs and in ``BuildResult.plugin_errors``."""

    name: str

    def on_render(self, ctx: BuildContext) -> None: ...

    def on_live(self, ctx: BuildContext) -> None: ...


class BasePlugin:
    """A plugin that does nothing: subclass it and override the events you need."""

    name: str = "plugin"
    #: ``on_render`` neither reads the release's files nor writes a path the generator writes (the
    #: search index: its own files from the records): a full build then runs it while its list pages
    #: are still being written (ADR 0163). False, the default, keeps the contract: every document and
    #: list page is written when ``on_render`` runs.
    beside_lists: bool = False

    def on_render(self, ctx: BuildContext) -> None:
        """Write files into the release before it goes live."""

    def on_live(self, ctx: BuildContext) -> None:
        """Act on the release that just went live."""

    def wants_build(self, state_dir: Path) -> bool:
        """True when the plugin has work of its own for a build in which nothing changed (the search
        index's delta merge, ADR 0145): such a build then makes a release and runs the events.
        ``state_dir`` is the plugins' state directory (``BuildContext.state_dir``)."""
        return False


def beside_lists(plugin: BuildPlugin) -> bool:
    """Whether a full build may run the plugin's ``on_render`` while its list pages are still being
    written: it says so (``BasePlugin.beside_lists``), or its ``on_render`` is ``BasePlugin``'s,
    which does nothing (the publish plugin acts in ``on_live``)."""
    return bool(getattr(plugin, "beside_lists", False)) or getattr(type(plugin), "on_render", None) is BasePlugin.on_render


def run_event(plugins: Sequence[BuildPlugin], event: Literal["on_render", "on_live"], ctx: BuildContext, *,
              strict: bool = True) -> list[str]:
    """Call ``event`` on every plugin, in order.

    ``on_render`` is strict: an error fails the build and the previous site stays live.
    ``on_live`` runs after the switch, so an error there (e.g. an upload) is logged and
    returned, and the other plugins still run.
    """
    errors: list[str] = []
    for plugin in plugins:
        hook = getattr(plugin, event)
        os.makedirs(ctx.state_dir, exist_ok=True)
        if strict:
            hook(ctx)
            continue
        try:
            hook(ctx)
        except Exception as exc:  # the site is already live; report, do not undo
            logger.exception("构建插件 %s 的 %s 出错", plugin.name, event)
            errors.append(f"{plugin.name}: {exc}")
    return errors
