"""A document page lists the pages of the site that link to it (the record's ``related_links``,
which service modules contribute): site paths only, whatever a record carries."""

from cms.demo.sample import generate_sample
from site_generator.build import build_site
from tests.test_site_incremental import config


def test_a_document_page_links_back_to_site_pages_only(tmp_path):
    records = [dict(r) for r in generate_sample(docs=3, seed=2)]
    rec = records[0]
    rec["related_links"] = [
        {"kind": "意见征集", "title": "关于草案公开征求意见", "url": "/consultations/ZJ1/", "note": "征集中"},
        {"kind": "意见征集", "title": "脚本", "url": "javascript:alert(1)"},
        {"kind": "意见征集", "title": "别的网站", "url": "//evil.example/x"},
    ]
    out = tmp_path / "site"
    build_site(iter(records), out, full=True, config=config())
    page = (out / f"{rec['site']}/{rec['published'][:4]}/{rec['id']}.html").read_text("utf-8")
    section = page[page.index('class="related-links"'):]
    assert '<a href="/consultations/ZJ1/">关于草案公开征求意见</a>' in section and "（征集中）" in section
    assert "javascript:" not in page and "evil.example" not in page
    other = records[1]
    assert "related-links" not in (out / f"{other['site']}/{other['published'][:4]}/{other['id']}.html").read_text("utf-8")
