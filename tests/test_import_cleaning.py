"""HTML cleaning of legacy bodies: every dangerous thing goes, every structural thing stays."""

import pytest

from content_models.sanitizer import clean_html

WORD = (
    '<!--[if gte mso 9]><xml><w:WordDocument><w:View>Normal</w:View></w:WordDocument></xml><![endif]-->'
    '<p class="MsoNormal" style="mso-line-height-rule:exactly;font-family:仿宋_GB2312">'
    '<span style="mso-bidi-font-size:16pt">第一条 为规范管理</span><o:p></o:p></p>'
)


@pytest.mark.parametrize(
    ("dirty", "gone"),
    [
        ('<p>正文</p><script>alert("x")</script>', ["<script", "alert"]),
        ('<p>正文</p><iframe src="http://evil.example/">播放器</iframe>', ["<iframe", "evil.example", "播放器"]),
        ('<p onclick="steal()" onmouseover="x()">正文</p>', ["onclick", "onmouseover", "steal"]),
        ('<a href="javascript:alert(1)">打印</a>', ["javascript:"]),
        ('<a href="JaVaScRiPt:alert(1)">打印</a>', ["javascript", "JaVaScRiPt"]),
        ('<img src="a.png" onerror="x()">', ["onerror"]),
        (WORD, ["mso-", "<o:p", "MsoNormal", "WordDocument", "Normal", "<xml", "[if", "style="]),
        ('<p style="color:red">红字</p>', ["style", "color:red"]),
        ("<style>.a{color:red}</style><p>正文</p>", ["<style", "color:red"]),
        ('<object data="x.swf"></object><embed src="x.swf">', ["<object", "<embed", "x.swf"]),
        ('<form action="/x"><input name="a"></form>', ["<form", "<input"]),
    ],
)
def test_dangerous_markup_is_removed(dirty, gone):
    cleaned = clean_html(dirty)
    for needle in gone:
        assert needle not in cleaned, (needle, cleaned)


def test_word_markup_keeps_the_text():
    assert clean_html(WORD) == "<p><span>第一条 为规范管理</span></p>"


@pytest.mark.parametrize(
    "kept",
    [
        "<h2>一、总体要求</h2>",
        "<h3>（一）目标</h3>",
        "<p>段落</p>",
        "<ul><li>一</li><li>二</li></ul>",
        '<ol start="3"><li>三</li></ol>',
        '<table><thead><tr><th>单位</th></tr></thead><tbody><tr><td colspan="2">溪美街道</td></tr></tbody></table>',
        '<a href="https://www.nanan.gov.cn/zwgk/1.htm">链接</a>',
        '<a href="/zwgk/2.htm" title="说明">相对链接</a>',
        '<a href="mailto:zfb@nanan.gov.cn">邮件</a>',
        '<img src="/uploads/a.jpg" alt="现场图片">',
        "<p><strong>加粗</strong><em>强调</em>上标<sup>2</sup></p>",
    ],
)
def test_structure_links_and_images_are_kept(kept):
    assert clean_html(kept) == kept


def test_unclosed_tags_are_repaired():
    cleaned = clean_html("<div><p>第一段<p>第二段<b>加粗<table><tr><td>格")
    assert cleaned == "<div><p>第一段</p><p>第二段<b>加粗</b></p><table><tbody><tr><td>格</td></tr></tbody></table></div>"


def test_cleaning_is_idempotent_and_handles_empty_input():
    dirty = '<p style="x" onclick="y">a<script>b</script><a href="javascript:z">c</a>'
    once = clean_html(dirty)
    assert clean_html(once) == once
    assert clean_html("") == ""
    assert clean_html(None) == ""
