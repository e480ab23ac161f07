"""A database made before issue 12 keeps its build queue when the queue moves to the cms app."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tasks_db.models import DBTaskResult

from cms.build.tasks import build_site_changes
from cms.models import PendingChange

OLD_TASK_PATH = "site_generator.tasks.build_site_changes"


def _migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _old_queue(with_kind: bool) -> None:
    """The table as site_generator's migrations 0001 (and 0002, with_kind) left it."""
    q = connection.ops.quote_name
    kind = f", {q('kind')} varchar(16) NOT NULL" if with_kind else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {q('site_generator_pendingchange')} ({q('id')} bigint PRIMARY KEY, "
            f"{q('source_id')} varchar(128) NOT NULL, {q('created_at')} timestamp with time zone NOT NULL{kind})"
            if connection.vendor == "postgresql" else
            f"CREATE TABLE {q('site_generator_pendingchange')} ({q('id')} integer PRIMARY KEY, "
            f"{q('source_id')} varchar(128) NOT NULL, {q('created_at')} datetime NOT NULL{kind})"
        )
        rows = [(7, "doc-7", "document"), (9, "信件已答复", "plugins")] if with_kind else [(7, "doc-7"), (9, "doc-9")]
        for row in rows:
            marks = ", ".join(["%s"] * (len(row) + 1))
            columns = "id, source_id, created_at" + (", kind" if with_kind else "")
            values = (row[0], row[1], "2025-01-02 03:04:05+00:00", *row[2:])
            cursor.execute(f"INSERT INTO site_generator_pendingchange ({columns}) VALUES ({marks})", values)


@pytest.mark.parametrize("with_kind", [True, False])
@pytest.mark.django_db(transaction=True)
def test_the_old_queue_is_copied_and_dropped(with_kind):
    build_site_changes.enqueue()
    DBTaskResult.objects.update(task_path=OLD_TASK_PATH)  # a task waiting since before the move
    _migrate([("cms", None)])
    _old_queue(with_kind)
    _migrate([("cms", "0001_pending_change")])

    rows = list(PendingChange.objects.order_by("pk").values_list("pk", "source_id", "kind"))
    if with_kind:
        assert rows == [(7, "doc-7", "document"), (9, "信件已答复", "plugins")]
    else:
        assert rows == [(7, "doc-7", "document"), (9, "doc-9", "document")]
    assert "site_generator_pendingchange" not in connection.introspection.table_names()
    assert PendingChange.objects.create(source_id="new").pk > 9  # the id sequence follows the copied rows
    assert set(DBTaskResult.objects.values_list("task_path", flat=True)) == {"cms.build.tasks.build_site_changes"}
    # the worker can run the adopted task
    assert DBTaskResult.objects.get().task.func is build_site_changes.func
    # issue 12, step 2: a waiting "plugins" request becomes a "pages" request
    _migrate([("cms", "0002_pending_change_pages")])
    kinds = dict(PendingChange.objects.values_list("source_id", "kind"))
    assert kinds["doc-7"] == "document" and kinds["信件已答复" if with_kind else "doc-9"] == (
        "pages" if with_kind else "document")
    # later migrations of the app apply on top (and the next tests find the whole schema)
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes("cms"))
    assert "cms_standalonepage" in connection.introspection.table_names()


@pytest.mark.django_db(transaction=True)
def test_a_fresh_database_has_only_the_new_table():
    assert "cms_pendingchange" in connection.introspection.table_names()
    assert "site_generator_pendingchange" not in connection.introspection.table_names()
