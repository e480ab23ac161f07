"""Small real attachment files for the demo, the tests and the benchmarks: files that open.

A PDF (text in the standard Chinese font STSong-Light, which every PDF reader has, so nothing is
embedded), a Word .docx, an Excel .xlsx and an OFD (GB/T 33190) package: each a few hundred bytes
to a few kilobytes, built from text, deterministic (same text, same bytes), written with the
standard library only.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

_FIXED_TIME = (2025, 1, 1, 0, 0, 0)  # zip member times: the same text always gives the same bytes


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF showing ``lines`` (Chinese and Latin) in STSong-Light, UCS-2 encoded."""
    ops = ["BT", "/F1 14 Tf", "18 TL", "56 780 Td"]
    for line in lines:
        ops.append(f"<{line.encode('utf-16-be').hex().upper()}> Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [5 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % n + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _zip(members: list[tuple[str, str]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members:
            zf.writestr(zipfile.ZipInfo(name, _FIXED_TIME), text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    """A Word document with one paragraph per item."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{escape(p)}</w:t></w:r></w:p>" for p in paragraphs)
    return _zip([
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
         'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
         '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
         'document.main+xml"/></Types>'),
        ("_rels/.rels",
         '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
         '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
        ("word/document.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{w}"><w:body>{body}</w:body></w:document>'),
    ])


def make_xlsx(rows: list[list[str]]) -> bytes:
    """An Excel workbook with one sheet of text cells (inline strings)."""
    def cell(col: int, r: int, text: str) -> str:
        return f'<c r="{chr(65 + col)}{r}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'

    sheet_rows = "".join(
        f'<row r="{r}">' + "".join(cell(c, r, v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    return _zip([
        ("[Content_Types].xml",
         '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
         'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
         'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
         '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
         'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
         'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        ("_rels/.rels",
         f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         f'2006/relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
         '</Relationships>'),
        ("xl/workbook.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="{rel}"><sheets>'
         '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        ("xl/_rels/workbook.xml.rels",
         f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         f'2006/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
         '</Relationships>'),
        ("xl/worksheets/sheet1.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{sheet_rows}</sheetData>'
         '</worksheet>'),
    ])


def make_ofd(lines: list[str]) -> bytes:
    """An OFD package (GB/T 33190) with one page of text objects."""
    ns = "http://www.ofdspec.org/2016"
    texts = "".join(
        f'<ofd:TextObject ID="{10 + i}" Boundary="20 {20 + 8 * i} 170 8" Font="2" Size="5">'
        f'<ofd:TextCode X="0" Y="5">{escape(line)}</ofd:TextCode></ofd:TextObject>'
        for i, line in enumerate(lines)
    )
    return _zip([
        ("OFD.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{ns}" Version="1.0" DocType="OFD">'
         '<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml'
         '</ofd:DocRoot></ofd:DocBody></ofd:OFD>'),
        ("Doc_0/Document.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{ns}"><ofd:CommonData><ofd:MaxUnitID>'
         '99</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
         '<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages><ofd:Page ID="1" '
         'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>'),
        ("Doc_0/PublicRes.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{ns}" BaseLoc="Res"><ofd:Fonts>'
         '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'),
        ("Doc_0/Pages/Page_0/Content.xml",
         f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{ns}"><ofd:Content><ofd:Layer ID="3">'
         f'{texts}</ofd:Layer></ofd:Content></ofd:Page>'),
    ])


def sample_file(kind: str, title: str, lines: list[str]) -> bytes:
    """A file of ``kind`` showing ``title`` and ``lines`` (the sample's attachments)."""
    if kind == "docx":
        return make_docx([title, *lines])
    if kind == "xlsx":
        return make_xlsx([[title], *[[line] for line in lines]])
    if kind == "ofd":
        return make_ofd([title, *lines])
    return make_pdf([title, *lines])


def write_sample_files(records: Iterable[dict], root: str | os.PathLike) -> int:
    """Write a real file for every attachment of ``records`` under ``root`` (their ``file`` paths,
    relative to it): import them with ``--files root``. Returns how many were written."""
    root = Path(root)
    count = 0
    for record in records:
        for att in record.get("attachments") or []:
            file = str(att.get("file") or "")
            if not file or file.startswith(("http://", "https://")):
                continue
            path = root / file.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            kind = file.rsplit(".", 1)[-1].lower()
            path.write_bytes(sample_file(kind, att.get("title") or "", [record.get("title") or "",
                                                                          record.get("organ") or ""]))
            count += 1
    return count
