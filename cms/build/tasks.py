"""Job queue tasks (django-tasks, backend ``builds``; worker: ``govsite db_worker --backend builds
--queue-name builds``)."""

from django_tasks import task


@task(backend="builds", queue_name="builds")
def build_site_changes() -> dict:
    """Rebuild the outputs that depend on the documents changed since the last build."""
    from cms.build.jobs import run_pending

    return run_pending()
