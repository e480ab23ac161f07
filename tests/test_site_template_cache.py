"""Compiled templates are kept for the life of the process (a build worker runs many builds), and a
template edited between two builds is compiled again: the next build shows the edit."""

from site_generator.config import BuildConfig
from site_generator.theme import Theme


def test_an_edited_template_is_compiled_again(tmp_path):
    override = tmp_path / "override"
    override.mkdir()
    probe = override / "probe.html"
    probe.write_text("第一版 {{ x }}", "utf-8")
    cfg = BuildConfig(override_dir=override)
    assert Theme(cfg, "default").env().get_template("probe.html").render(x=1) == "第一版 1"
    assert Theme(cfg, "default").env().get_template("probe.html").render(x=2) == "第一版 2"  # from the cache
    probe.write_text("第二版 {{ x }}", "utf-8")
    assert Theme(cfg, "default").env().get_template("probe.html").render(x=3) == "第二版 3"
