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


def pending_files() -> dict[str, tuple[str, str, list[int]]]:
    """sha256 -> (type, a file name for reports, the documents that attach it) of every stored
    file not read yet, from one query. (Asking for the next 200 each time scanned and sorted the
    whole attachment table per batch, which has no index on the hash: the parent process, not
    the readers, was the bottleneck at 200,000 files.)"""
    rows = (
        Attachment.objects.filter(file_type__in=EXTRACTABLE)
        .exclude(sha256="")
        .exclude(sha256__in=AttachmentText.objects.values("sha256"))
        .order_by()
        .values_list("sha256", "file_type", "file", "document_id")
    )
    out: dict[str, tuple[str, str, list[int]]] = {}
    for sha, kind, name, doc in rows.iterator(chunk_size=5000):
        entry = out.get(sha)
        if entry is None:
            out[sha] = (kind, name, [doc])
        else:
            entry[2].append(doc)
    return out


def extract_pending(
    *, processes: int = 2, progress: Callable[[ExtractSummary], None] | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> ExtractSummary:
    """Read every stored attachment file not read yet; see the module docstring."""
    summary = ExtractSummary()
    store = FileStore(settings.GOVSITE_FILES_DIR)
    started = time.perf_counter()
    pool = fork_pool(processes) if processes > 1 else None
    pending = pending_files()
    jobs = ((sha, str(store.path(sha)), pending[sha][0]) for sha in sorted(pending))

    def save(results: list[tuple[str, str, str]]) -> None:
        for sha, text, error in results:
            summary.files += 1
            if error:
                summary.failed += 1
                message = f"附件“{pending[sha][1]}”无法提取文字，已跳过：{error}"
                if len(summary.problems) < 1000:
                    summary.problems.append(message)
                if on_problem:
                    on_problem(message)
            elif text.strip():
                summary.with_text += 1
            else:
                summary.without_text += 1
        _save(results, {doc for sha, text, _e in results if text.strip() for doc in pending[sha][2]})
        summary.seconds = time.perf_counter() - started
        if progress:
            progress(summary)

    try:
        # The readers go on with the next files while a batch is saved (imap, not a map per batch).
        batch: list[tuple[str, str, str]] = []
        for result in pool.imap(_extract_one, jobs, chunksize=8) if pool else map(_extract_one, jobs):
            batch.append(result)
            if len(batch) >= BATCH:
                save(batch)
                batch = []
        if batch:
            save(batch)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    summary.seconds = time.perf_counter() - started
    return summary


def _save(results: list[tuple[str, str, str]], documents: set[int]) -> None:
    """Store the texts and queue a build of the live ones of ``documents`` (those that attach a
    file with words), so the search index learns them."""
    with transaction.atomic():
        AttachmentText.objects.bulk_create(
            [AttachmentText(sha256=sha, text=text, error=error) for sha, text, error in results],
            ignore_conflicts=True,
        )
        if not documents:
            return
        docs = list(DisclosureDocument.objects.filter(pk__in=documents, live=True).values_list("pk", "source_id"))
        if docs:
            pks, ids = [d[0] for d in docs], [d[1] for d in docs]
            transaction.on_commit(lambda: documents_imported.send(
                sender=DisclosureDocument, created=[], changed=pks, withdrawn=[], source_ids=ids))
