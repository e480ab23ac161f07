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


# What a file is, read from its first bytes: a legacy export's extension is often wrong (a PDF
# named .doc, a scan named .jpg.pdf), and readers must be told what they will get. Containers
# say what they hold: a ZIP is Word, Excel, PowerPoint or OFD (GB/T 33190) by its member names;
# an OLE2 compound file is Word, Excel, PowerPoint or their WPS Office twins (.wps, .et, .dps),
# which share the format, so there the extension decides among the family.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"{\\rtf", "rtf"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE2_KINDS = frozenset({"doc", "xls", "ppt", "wps", "et", "dps", "dot", "xlt", "pot"})
_ZIP = b"PK\x03\x04"
_ZIP_KINDS = (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"), ("OFD.xml", "ofd"))


def sniff_type(head: bytes, name: str = "", zip_names: list[str] | None = None) -> str:
    """The type of a file from its first bytes (``pdf``, ``docx``, ``ofd``…), else from ``name``.

    ``zip_names`` are the member names when the file is a ZIP (the caller opens it: only it has
    the file); without them a ZIP keeps the type its name gives, or ``zip``.
    """
    by_name = file_type(name)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_OLE2):
        return by_name if by_name in _OLE2_KINDS else "doc"
    if head.startswith(_ZIP):
        for member in zip_names or ():
            for prefix, kind in _ZIP_KINDS:
                if member == prefix or member.startswith(prefix):
                    return kind
        return by_name or "zip"
    return by_name
