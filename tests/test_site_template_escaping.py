"""A theme's templates escape what they print exactly as Jinja does (``site_generator.escaping``):
the build compiles ``{{ value }}`` to an escape that skips markupsafe's ``Markup`` wrapper, and a
page must not differ by one byte for it, whatever an editor typed or a theme does with the value."""

import jinja2
from markupsafe import Markup

from site_generator.config import BuildConfig
from site_generator.meta_tags import meta_tags
from site_generator.theme import Theme

HOSTILE = [
    '<script>alert("x")</script>', "O'Brien & 子 <b>", "&amp; 已转义？", Markup("<em>可信</em>"), 12, 3.5, None,
    True, "", "南政办〔2024〕12号", ["<a>", "b"], {"k": "<v>"},
]

TEMPLATE = """{% macro m(v) %}[{{ v }}]{% endmacro -%}
{% set captured %}<i>{{ value }}</i>{% endset -%}
{{ value }}|{{ value|e }}|{{ value|safe }}|{{ m(value) }}|{{ captured }}|{{ captured|upper }}|{{ value ~ '<' }}
{%- filter upper %}{{ value }}{% endfilter %}|{% autoescape false %}{{ value }}{% endautoescape %}
{%- for c in [value, value] %}{{ loop.index }}{{ c }}{% endfor %}|{{ value if value else '<无>' }}"""


def test_templates_print_what_jinja_prints(tmp_path):
    override = tmp_path / "override"
    override.mkdir()
    (override / "probe.html").write_text(TEMPLATE, "utf-8")
    ours = Theme(BuildConfig(override_dir=override), "default").env().get_template("probe.html")
    stock = jinja2.Environment(autoescape=True, keep_trailing_newline=True).from_string(TEMPLATE)
    assert "environment.escape_text(" in ours.environment.compile(TEMPLATE, raw=True)  # the build's own escape
    for value in HOSTILE:
        assert ours.render(value=value) == stock.render(value=value), value
    assert "&lt;script&gt;alert(&#34;x&#34;)" in ours.render(value=HOSTILE[0])
    assert "<script>" not in ours.render(value=HOSTILE[0]).split("|")[0]


def test_meta_tags_escape_what_an_editor_typed():
    html = meta_tags({"article_title": 'a"><script>', "keywords": "O'Brien & 子", "canonical": "/x?a=1&b=<2>"},
                     {"base_url": "https://example.gov.cn"})
    assert isinstance(html, Markup)
    assert '<meta name="ArticleTitle" content="a&#34;&gt;&lt;script&gt;">' in html
    assert '<meta name="Keywords" content="O&#39;Brien &amp; 子">' in html
    assert '<link rel="canonical" href="https://example.gov.cn/x?a=1&amp;b=&lt;2&gt;">' in html
