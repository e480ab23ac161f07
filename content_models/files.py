"""What a reader is told about a file before opening it: how big it is and what type it is.

One convention for every place that shows a size or a file type: the static site's attachment
list, the admin's preview, the importer (which stores the type) and the publish report. Plain
Python (no Django), so the site generator and publish use it too.
"""

import re

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
UNKNOWN_TYPE = "文件"  # the label of a file whose name has no extension

_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})$")


def human_size(size: int | None) -> str:
    """A byte count as the site shows it: ``512 字节``, ``12 KB``, ``1.5 MB``, ``2.0 GB``.

    Binary units (1 KB = 1,024 bytes), as file managers on Windows show them; kilobytes are whole,
    larger units have one decimal. ``None`` (size not known) gives an empty string.
    """
    if size is None:
        return ""
    if size < KIB:
        return f"{size} 字节"
    if size < MIB:
        return f"{size / KIB:.0f} KB"
    if size < GIB:
        return f"{size / MIB:.1f} MB"
    return f"{size / GIB:.1f} GB"


def file_type(name: str) -> str:
    """The lowercase extension of a file name, path or URL (``pdf``); empty when it has none."""
    path = (name or "").split("?", 1)[0].split("#", 1)[0]
    m = _EXTENSION.search(path.rsplit("/", 1)[-1])
    return m.group(1).lower() if m else ""


def type_label(kind: str) -> str:
    """The type a reader sees (``PDF``, ``DOCX``) from a stored or derived type; ``文件`` when none."""
    return kind.upper() if kind else UNKNOWN_TYPE
