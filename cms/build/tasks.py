"""The build queue's task (django-tasks, backend ``builds``; worker: ``govsite db_worker --backend
builds --queue-name builds``) and how it is enqueued."""

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from cms.build.jobs import run_pending
from cms.exchange.extraction import extract_pending

TASK_PATH = "cms.build.tasks.build_site_changes"


@task(backend="builds", queue_name="builds")
def build_site_changes() -> dict:
    """Rebuild the outputs that depend on the documents changed since the last build; when a build
    plugin has work of its own left (the search index's delta merge), queue the build that does it."""
    result = run_pending()
    if result.get("follow_up"):
        enqueue_build()
    return result


@task(backend="builds", queue_name="builds")
def extract_attachment_texts() -> dict:
    """Read the words of newly stored attachment files (an upload); queues the build it needs."""
    summary = extract_pending(processes=1)
    return {"files": summary.files, "failed": summary.failed, "problems": summary.problems[:20]}


def enqueue_extraction() -> None:
    """Enqueue text extraction unless one is already waiting (it takes every file not read yet)."""
    waiting = DBTaskResult.objects.ready().filter(
        task_path="cms.build.tasks.extract_attachment_texts", backend_name="builds").exists()
    if not waiting:
        extract_attachment_texts.enqueue()


def enqueue_build() -> None:
    """Enqueue the build task unless one is already waiting (it will take all pending changes)."""
    waiting = DBTaskResult.objects.ready().filter(task_path=TASK_PATH, backend_name="builds").exists()
    if not waiting:
        build_site_changes.enqueue()
