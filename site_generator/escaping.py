"""HTML escaping for the build's hot paths: markupsafe's escape, returned as a plain ``str``.

``markupsafe.escape`` wraps every result in ``Markup``, whose Python-level constructor costs about
1 µs; a document page prints about 40 escaped values, so the wrappers alone were some 8 CPU-s of a
200,000-document build. Where the escaped text only joins the page's output (a template's
``{{ value }}``, a meta tag) nothing reads the wrapper, so these functions return the same
characters (markupsafe's own C routine) without it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import escape

try:
    from markupsafe import _escape_inner  # the routine markupsafe.escape wraps (3.0, pinned in setup.cfg)
except ImportError:  # pragma: no cover - another markupsafe: the public function, as fast as before

    def _escape_inner(text: str, /) -> str:
        return str(escape(text))


def escape_text(value: Any, /) -> str:
    """``str(markupsafe.escape(value))``: ``&<>'"`` escaped in a plain string; a value with
    ``__html__`` (``Markup``) is taken as it is, anything else converted with ``str()`` first."""
    if type(value) is str:
        return _escape_inner(value)
    return str(escape(value))
