"""The build does not clean a body the import cleaned (issue 19 item 4): ``public_html`` recognises
a body already in the published form with one regular expression (``is_public_form``) instead of
parsing it. That shortcut must never change what is published: wherever it answers yes, the
parser's answer is the body itself."""

from __future__ import annotations

import random

import pytest

from content_models import sanitizer
from content_models.sanitizer import clean_html, is_public_form, public_html


def parsed(html: str) -> str:
    """``public_html`` without the shortcut: the allow-list's parse, then the published-form steps."""
    cleaned = sanitizer._public.clean(html)
    if "<a" in cleaned:
        cleaned = sanitizer._ANCHOR_WITHOUT_HREF.sub(r"\1", cleaned)
    if "<h1" in cleaned:
        cleaned = sanitizer._H1.sub(r"<\1h2", cleaned)
    return cleaned.strip(sanitizer._HTML_SPACE)


PLAIN = [
    "<p>第一条　为规范管理，制定本办法。</p><p>第二条 本办法自印发之日起施行。</p>",
    "<h2>一、主要任务</h2><p>正文<br>第二行 a&amp;b &lt;c&gt; &nbsp;</p><ol><li>甲</li><li>乙</li></ol>",
    "<table><thead><tr><th>单位</th><th>金额</th></tr></thead><tbody><tr><td>南安</td><td><p>385</p></td></tr>"
    "</tbody></table>",
    "<p><strong>重点</strong>与<em>说明</em></p>\n<ul>\n<li>一</li>\n</ul>",
]
NOT_KNOWN = [
    "<p>未闭合", "<p>a</p><script>x()</script>", '<p class="MsoNormal">x</p>', "<h1>标题</h1>",
    '<a href="https://www.nanan.gov.cn/">链接</a>', "<table><tr><td>x</td></tr></table>", "<p>a\r\nb</p>",
    "<p>a\xa0b</p>", "<p>&quot;</p>", "<p>&#60;</p>", " <p>x</p>", "<p>x</p>\n", "<p>1 < 2</p>", "<br/>",
    "<b><i>错</b></i>", "<p>a\x00b</p>", "<ol>x<li>y</li></ol>", "<table>字</table>",
]


@pytest.mark.parametrize("body", PLAIN)
def test_plain_stored_bodies_are_published_as_stored(body):
    assert is_public_form(body)
    assert clean_html(body) == body
    assert public_html(body) == parsed(body) == body


@pytest.mark.parametrize("body", NOT_KNOWN)
def test_anything_else_is_parsed(body):
    assert not is_public_form(body)
    assert public_html(body) == parsed(body)


PIECES = [
    "<p>", "</p>", "<h2>", "</h2>", "<h3>", "</h6>", "<br>", "<strong>", "</strong>", "<em>", "</em>", "<span>",
    "</span>", "<ol>", "</ol>", "<ul>", "</ul>", "<li>", "</li>", "<table>", "</table>", "<thead>", "</thead>",
    "<tbody>", "</tbody>", "<tr>", "</tr>", "<td>", "</td>", "<th>", "</th>", "文字", "abc", " ", "\n", "\t",
    "&amp;", "&lt;", "&nbsp;", "&quot;", "&#60;", "\xa0", "\r", "\x0c", "\u3000", "&", "<", ">", '"', "\x00",
    "<caption>", "<p >", "<br/>", "\x85",
]


def test_the_shortcut_agrees_with_the_parser_on_random_markup():
    rng = random.Random(19)
    known = 0
    for _ in range(20000):
        body = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 12)))
        if is_public_form(body):
            known += 1
            assert parsed(body) == body, body
    assert known > 100  # the generator does reach the shortcut


@pytest.mark.parametrize("multiline", [False, True])
def test_needs_cleaning_answers_whether_clean_text_changes_a_value(multiline):
    """The importer skips cleaning a field when ``needs_cleaning`` says no: it must never miss one."""
    rng = random.Random(7)
    alphabet = ["关", "于", "a", " ", "\t", "\r", "\n", "\x00", "\x07", "\x1f", "\x7f", "\u3000", "\u2028", "\ufffe", "〔"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert sanitizer.needs_cleaning(text, multiline=multiline) == (sanitizer.clean_text(text, multiline=multiline)
                                                                      != text), repr(text)
