"""Theme loading: Jinja2 environments with per-department overrides, and content-hashed assets.

Search order for a template rendered for department ``<site>`` with theme ``<t>``:
``<override>/sites/<site>/``, ``themes/<t>/sites/<site>/``, ``<override>/``,
``themes/<t>/templates/``, ``themes/default/templates/`` (so a theme only overrides what it changes),
then ``BuildConfig.template_dirs`` (the default templates of contributed pages).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import jinja2
from jinja2.compiler import CodeGenerator

from site_generator.config import BuildConfig
from site_generator.escaping import escape_text
from site_generator.meta_tags import meta_tags


def _find_theme(cfg: BuildConfig, name: str) -> Path:
    for base in cfg.themes_dirs:
        if (base / name).is_dir():
            return base / name
    raise FileNotFoundError(f"找不到主题 {name!r}（在 {', '.join(str(d) for d in cfg.themes_dirs)} 中）")


def hashed_name(rel: str, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()[:10]
    stem, dot, ext = rel.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{rel}.{digest}"


class _ProcessBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by template file and checked
    against the source's checksum by Jinja (an edited template compiles again).

    Every build makes new environments; without this a long-running build worker parsed and
    compiled every template it renders again for each build (0.56 s of a 0.98 s pages-only build).
    """

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self._store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


# One per process; every environment is made with the same options (below), so compiled code fits all.
_BYTECODE = _ProcessBytecodeCache()


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _CodeGenerator(CodeGenerator):
    """Compiles ``{{ value }}`` of an autoescaped template to ``escape_text(value)`` instead of
    Jinja's ``escape(value)``: the same characters as a plain ``str``, not a ``Markup`` built for
    each (``site_generator.escaping``). The escaped value only ever joins the output: a block, a
    macro or a ``{% set %}`` capture wraps its joined output in ``Markup`` itself, so nothing
    escapes it twice. Templates that switch autoescaping at run time keep Jinja's code."""

    def _output_child_pre(self, node, frame, finalize) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_text(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(jinja2.Environment):
    """``getattr`` of a plain dict (the build's contexts: ``{{ doc.title }}``) looks the key up at
    once instead of first failing an attribute lookup: the AttributeError Jinja raised and caught
    for each of them was ~7 % of a document page's render time. The result is the same: a plain
    dict has no attribute but its class's (those still win, as in Jinja).

    Its templates escape their output with ``escape_text`` (``_CodeGenerator``)."""

    code_generator_class = _CodeGenerator
    escape_text = staticmethod(escape_text)

    def getattr(self, obj, attribute: str):
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Theme:
    """One theme chain (a theme over the default theme) with its hashed assets."""

    def __init__(self, cfg: BuildConfig, name: str):
        self.cfg = cfg
        self.name = name
        self.dirs = [_find_theme(cfg, name)]
        if name != "default":
            self.dirs.append(_find_theme(cfg, "default"))
        self.assets: dict[str, tuple[str, Path]] = {}  # logical name -> (output relpath, source)
        for d in reversed(self.dirs):  # the theme's own files win over the default's
            static = d / "static"
            if static.is_dir():
                for path in sorted(static.rglob("*")):
                    if path.is_file():
                        rel = path.relative_to(static).as_posix()
                        out = "static/" + hashed_name(rel, path.read_bytes())
                        self.assets[rel] = (out, path)
        self._envs: dict[str | None, jinja2.Environment] = {}

    def asset_url(self, name: str) -> str:
        try:
            return "/" + self.assets[name][0]
        except KeyError:
            raise KeyError(f"主题 {self.name!r} 中没有静态文件 {name!r}") from None

    def template_dirs(self, site: str | None) -> list[Path]:
        dirs: list[Path] = []
        override = self.cfg.override_dir
        if site:
            if override:
                dirs.append(override / "sites" / site)
            dirs += [d / "sites" / site for d in self.dirs]
        if override:
            dirs.append(override)
        dirs += [d / "templates" for d in self.dirs]
        dirs += self.cfg.template_dirs
        return [d for d in dirs if d.is_dir()]

    def env(self, site: str | None = None) -> jinja2.Environment:
        key = site if site and any((d / "sites" / site).is_dir() for d in self._site_roots()) else None
        env = self._envs.get(key)
        if env is None:
            env = _Environment(
                loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs(key)]),
                autoescape=True,
                auto_reload=False,
                cache_size=-1,
                undefined=jinja2.Undefined,
                keep_trailing_newline=True,
                bytecode_cache=_BYTECODE,
            )
            env.globals["asset_url"] = self.asset_url
            env.globals["meta_tags"] = meta_tags
            self._envs[key] = env
        return env

    def _site_roots(self) -> list[Path]:
        roots = list(self.dirs)
        if self.cfg.override_dir:
            roots.insert(0, self.cfg.override_dir)
        return roots

    def page_names(self) -> list[str]:
        """Standalone pages: every ``templates/pages/<name>.html`` of the theme chain."""
        names: set[str] = set()
        for d in self.template_dirs(None):
            if d in self.cfg.template_dirs:  # contributed pages' templates make no standalone pages
                continue
            pages = d / "pages"
            if pages.is_dir():
                names.update(p.stem for p in pages.glob("*.html"))
        return sorted(names)

    def fingerprint(self) -> str:
        """Changes whenever a template or asset this theme can use changes (forces a full build)."""
        h = hashlib.sha256()
        roots = self._site_roots() + list(self.cfg.template_dirs)
        for root in roots:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    h.update(str(path).encode())
                    h.update(path.read_bytes())
        return h.hexdigest()


class Themes:
    """The themes a build uses: the configured one, plus any per-department switch."""

    def __init__(self, cfg: BuildConfig):
        self.cfg = cfg
        self.default = Theme(cfg, cfg.theme)
        self._by_name = {cfg.theme: self.default}
        for name in sorted(set(cfg.site_themes.values())):
            if name not in self._by_name:
                self._by_name[name] = Theme(cfg, name)

    def for_site(self, site: str | None) -> Theme:
        if site and site in self.cfg.site_themes:
            return self._by_name[self.cfg.site_themes[site]]
        return self.default

    def env(self, site: str | None = None) -> jinja2.Environment:
        return self.for_site(site).env(site)

    def all(self) -> list[Theme]:
        return list(self._by_name.values())

    def fingerprint(self) -> str:
        return hashlib.sha256("".join(t.fingerprint() for t in self.all()).encode()).hexdigest()
