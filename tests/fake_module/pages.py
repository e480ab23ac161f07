from cms.service_modules import PageSet, PageSpec


def site_pages() -> list[PageSet]:
    return [PageSet("fake_module", [PageSpec("fake_module/index.html", "fake_module/page.html", {
        "heading": "测试服务首页", "meta": {"title": "测试服务", "column": "政民互动", "canonical": "/fake_module/"},
    })])]
