"""Attachment text extraction: a step of its own, after an import or an upload, never inside one.

``extract_pending`` reads every stored file whose words are not known yet (by content hash, so
each file once), in worker processes (``content_models.extract`` needs no Django), stores the text
or the reason it could not be read (``AttachmentText``), and queues a build of the live documents
that attach those files, so the search index learns their words. A file that cannot be read is
reported and skipped; it is not tried again unless its row is deleted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from cms.exchange.importer import documents_imported
from content_models.extract import EXTRACTABLE, ExtractError, extract_text
from content_models.filestore import FileStore
from content_models.models import Attachment, AttachmentText, DisclosureDocument
from site_generator.processes import fork_pool

BATCH = 200


@dataclass
class ExtractSummary:
    files: int = 0
    with_text: int = 0
    without_text: int = 0
    failed: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds > 0 else 0.0

    def as_text(self) -> str:
        return (f"附件文字提取完成：{self.files} 个文件，有文字 {self.with_text}，无文字 {self.without_text}，"
                f"无法读取 {self.failed}；用时 {self.seconds:.1f} 秒，每秒 {self.rate:.0f} 个文件")


def _extract_one(job: tuple[str, str, str]) -> tuple[str, str, str]:
    """(sha256, text, error) of one stored file; runs in a worker process."""
    sha, path, kind = job
    try:
        return sha, extract_text(path, kind), ""
    except ExtractError as exc:
        return sha, "", str(exc)[:200]


def pending_files(limit: int = BATCH, after: str = "") -> list[tuple[str, str, str]]:
    """(sha256, type, a file name for reports) of stored files not read yet, in hash order."""
    rows = (
        Attachment.objects.filter(file_type__in=EXTRACTABLE, sha256__gt=after)
        .exclude(sha256="")
        .exclude(sha256__in=AttachmentText.objects.values("sha256"))
        .order_by("sha256")
        .values_list("sha256", "file_type", "file")[: limit * 4]
    )
    out: dict[str, tuple[str, str, str]] = {}
    for sha, kind, name in rows:
        out.setdefault(sha, (sha, kind, name))
        if len(out) >= limit:
            break
    return list(out.values())


def extract_pending(
    *, processes: int = 2, progress: Callable[[ExtractSummary], None] | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> ExtractSummary:
    """Read every stored attachment file not read yet; see the module docstring."""
    summary = ExtractSummary()
    store = FileStore(settings.GOVSITE_FILES_DIR)
    started = time.perf_counter()
    pool = fork_pool(processes) if processes > 1 else None
    after = ""
    try:
        while True:
            batch = pending_files(after=after)
            if not batch:
                break
            after = batch[-1][0]
            names = {sha: name for sha, _kind, name in batch}
            jobs = [(sha, str(store.path(sha)), kind) for sha, kind, _name in batch]
            results = pool.map(_extract_one, jobs, chunksize=8) if pool else list(map(_extract_one, jobs))
            for sha, text, error in results:
                summary.files += 1
                if error:
                    summary.failed += 1
                    message = f"附件“{names[sha]}”无法提取文字，已跳过：{error}"
                    if len(summary.problems) < 1000:
                        summary.problems.append(message)
                    if on_problem:
                        on_problem(message)
                elif text.strip():
                    summary.with_text += 1
                else:
                    summary.without_text += 1
            _save(results)
            summary.seconds = time.perf_counter() - started
            if progress:
                progress(summary)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    summary.seconds = time.perf_counter() - started
    return summary


def _save(results: list[tuple[str, str, str]]) -> None:
    """Store the texts and queue a build of the live documents that attach files with words."""
    with transaction.atomic():
        AttachmentText.objects.bulk_create(
            [AttachmentText(sha256=sha, text=text, error=error) for sha, text, error in results],
            ignore_conflicts=True,
        )
        with_words = [sha for sha, text, _error in results if text.strip()]
        if not with_words:
            return
        docs = list(
            DisclosureDocument.objects.filter(live=True, attachments__sha256__in=with_words)
            .distinct().values_list("pk", "source_id")
        )
        if docs:
            pks, ids = [d[0] for d in docs], [d[1] for d in docs]
            transaction.on_commit(lambda: documents_imported.send(
                sender=DisclosureDocument, created=[], changed=pks, withdrawn=[], source_ids=ids))
