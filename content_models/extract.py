"""The words inside an attachment, so that search finds a policy published only as a PDF.

Read once per stored file (files are named by content: the same bytes are never read twice), in
a step of their own (``govsite extract_attachments``, and after an upload), never inside an
import's batch. What each format needs:

- PDF: pypdf (pure Python; reads the standard Chinese fonts' CMaps, e.g. UniGB-UCS2-H);
- Word .docx, Excel .xlsx, OFD (GB/T 33190): ZIP packages of XML; the text nodes are read with
  lxml (``w:t``; shared and inline strings; ``ofd:TextCode``), no library of their own needed;
- anything else (scans, .doc/.xls/.wps, archives): nothing to index, not an error.

A file that cannot be read raises ``ExtractError`` with a Chinese reason; the caller reports it
and goes on. Plain Python (no Django).
"""

from __future__ import annotations

import io
import logging
import zipfile
from pathlib import Path

from lxml import etree
from pypdf import PdfReader
from pypdf.errors import PdfReadError

MAX_CHARS = 200_000  # what a document's search entry takes from its attachments, at most
MAX_PAGES = 500
EXTRACTABLE = frozenset({"pdf", "docx", "xlsx", "ofd"})
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files are reported by us, once


class ExtractError(ValueError):
    """The file could not be read; the message (Chinese) says why."""


def extract_text(path: str | Path, kind: str, *, limit: int = MAX_CHARS) -> str:
    """The text of the stored file at ``path`` of type ``kind`` (``pdf``…); "" when it has none."""
    if kind not in EXTRACTABLE:
        return ""
    try:
        if kind == "pdf":
            text = _pdf(path, limit)
        else:
            with zipfile.ZipFile(path) as zf:
                text = {"docx": _docx, "xlsx": _xlsx, "ofd": _ofd}[kind](zf, limit)
    except (PdfReadError, zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError) as exc:
        raise ExtractError(f"文件已损坏或格式不正确（{type(exc).__name__}）") from None
    except OSError as exc:
        raise ExtractError(f"无法读取文件（{exc.strerror or exc}）") from None
    except RecursionError:
        raise ExtractError("文件结构过深，无法读取") from None
    return text[:limit]


def _pdf(path, limit: int) -> str:
    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:  # noqa: BLE001 - pypdf raises several kinds for a password it lacks
            raise ExtractError("文件已加密，无法读取文字") from None
    parts: list[str] = []
    size = 0
    for page in reader.pages[:MAX_PAGES]:
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
        if size >= limit:
            break
    return "\n".join(parts)


def _xml_texts(data: bytes, tags: set[str]) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.parse(io.BytesIO(data), parser).getroot()
    return [el.text for el in root.iter(*tags) if el.text]


def _docx(zf: zipfile.ZipFile, limit: int) -> str:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.parse(io.BytesIO(zf.read("word/document.xml")), parser).getroot()
    return "\n".join("".join(t.text or "" for t in p.iter(f"{_W}t")) for p in root.iter(f"{_W}p"))


def _xlsx(zf: zipfile.ZipFile, limit: int) -> str:
    parts: list[str] = []
    names = zf.namelist()
    if "xl/sharedStrings.xml" in names:
        parts += _xml_texts(zf.read("xl/sharedStrings.xml"), {f"{_S}t"})
    for name in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        parts += _xml_texts(zf.read(name), {f"{_S}t"})  # inline strings
        if sum(map(len, parts)) >= limit:
            break
    return "\n".join(parts)


def _ofd(zf: zipfile.ZipFile, limit: int) -> str:
    parts: list[str] = []
    for name in sorted(n for n in zf.namelist() if n.endswith("Content.xml")):
        parts += _xml_texts(zf.read(name), {"{http://www.ofdspec.org/2016}TextCode"})
        if sum(map(len, parts)) >= limit:
            break
    return "\n".join(parts)
