"""``govsite search QUERY [--json]``: the search API's answer on the command line."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from search_index.query import IndexMissing, Query, search


class Command(BaseCommand):
    help = "在已生成的站点搜索索引中检索（与 /api/search 结果相同）"

    def add_arguments(self, parser):
        parser.add_argument("query", nargs="*", help="关键词、文号或索引号")
        parser.add_argument("--organ", default="", help="发布机构")
        parser.add_argument("--category", default="", help="信息类别")
        parser.add_argument("--topic", default="", help="主题分类")
        parser.add_argument("--year", default="", help="年份")
        parser.add_argument("--validity", default="", help="有效性：有效/失效/废止")
        parser.add_argument("--sort", default="relevance", choices=["relevance", "date"], help="排序")
        parser.add_argument("--page", type=int, default=1)
        parser.add_argument("--site-dir", default=None, help="站点目录（默认 GOVSITE_SITE_DIR）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **opts):
        query = Query(q=" ".join(opts["query"]), organ=opts["organ"], category=opts["category"],
                      topic=opts["topic"], year=opts["year"], validity=opts["validity"], sort=opts["sort"],
                      page=opts["page"])
        try:
            result = search(query, opts["site_dir"] or settings.GOVSITE_SITE_DIR)
        except IndexMissing as exc:
            raise CommandError(str(exc)) from None
        data = result.as_dict()
        if opts["json"]:
            for r in data["results"]:
                r.pop("title_html", None)
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        if not result.results:
            self.stdout.write(result.message or "没有找到相关信息")
            if result.suggestions:
                self.stdout.write("建议搜索：" + "、".join(result.suggestions))
            return
        approx = "" if result.total_exact else "约"
        self.stdout.write(f"共{approx} {result.total} 条结果，第 {result.page}/{result.pages} 页")
        for i, r in enumerate(result.results, start=(result.page - 1) * query.size + 1):
            no = f" {r['doc_no']}" if r["doc_no"] else ""
            self.stdout.write(f"{i}. {r['title']}{no}\n   {r['organ']} {r['published']} {r['url']}")
