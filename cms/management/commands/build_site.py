"""govsite build_site [--out DIR] [--full] [--from-jsonl FILE]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cms.build import jobs
from cms.build.config import from_settings
from content_models.files import human_size
from content_models.record import ExchangeFormatError, read_jsonl
from site_generator.build import BuildError, NeedsFullBuild, build_site
from site_generator.docinfo import RecordError
from site_generator.output import BuildLocked


def _check_readable(path: Path) -> None:
    try:
        open(path, "rb").close()
    except OSError as exc:
        raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from None


class Command(BaseCommand):
    help = "生成静态站点（默认增量生成，只重写受变更影响的文件）"

    def add_arguments(self, parser):
        parser.add_argument("--out", type=Path, help="输出目录（默认 settings.GOVSITE_SITE_DIR）")
        parser.add_argument("--full", action="store_true", help="全量生成")
        parser.add_argument("--from-jsonl", type=Path, dest="jsonl", help="从 JSONL 导出文件生成，而不是从数据库")
        parser.add_argument("--processes", type=int, default=None, help="渲染进程数（默认 2）")
        parser.add_argument("--no-plugins", action="store_true", help="不运行构建插件（搜索索引、自动发布）")

    def handle(self, *args, out=None, full=False, jsonl=None, processes=None, no_plugins=False, **options):
        out = (out or jobs.site_dir()).absolute()
        overrides = {"progress": (lambda msg: self.stdout.write(msg)) if options["verbosity"] > 1 else None}
        if processes:
            overrides["processes"] = processes
        if no_plugins:
            overrides["plugins"] = []
        cfg = from_settings(**overrides)
        if jsonl:
            _check_readable(jsonl)
        snapshot = None if jsonl else jobs.pending_snapshot()
        records = read_jsonl(jsonl, changes=True) if jsonl else jobs.all_records()
        # the service modules' pages come from the database in every build (also from a JSONL file)
        try:
            try:
                result = build_site(records, out, full=full, config=cfg, state_dir=jobs.state_dir_for(out),
                                    page_sets=jobs.page_sets())
            except NeedsFullBuild:
                records = read_jsonl(jsonl, changes=True) if jsonl else jobs.all_records()
                result = build_site(records, out, full=True, config=cfg, state_dir=jobs.state_dir_for(out),
                                    page_sets=jobs.page_sets())
        except ExchangeFormatError as exc:
            raise CommandError(str(exc)) from None
        except (RecordError, BuildError, BuildLocked) as exc:
            raise CommandError(f"站点生成失败，原站点保持不变：{exc}") from None
        if not jsonl:
            jobs.clear_covered(snapshot, out)
        kind = "全量" if result.full else "增量"
        self.stdout.write(self.style.SUCCESS(
            f"{kind}生成完成：{result.documents} 个文件，写入 {result.files_written} 个文件"
            f"（{human_size(result.bytes_written)}），"
            + ("" if result.full else f"变更 {len(result.changed_paths)} 个路径，")
            + f"用时 {result.seconds:.2f} 秒；输出目录 {out}"
        ))
        if no_plugins and result.full:
            self.stderr.write(
                "注意：这次是不运行构建插件的全量生成，新版本中没有搜索索引（search/）；"
                "请再运行一次不带 --no-plugins 的 govsite build_site --full"
            )
        for err in result.plugin_errors:
            self.stderr.write(f"插件出错：{err}")
