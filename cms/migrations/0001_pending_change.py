"""The build queue's table moves from the former ``site_generator`` app to ``cms``.

``site_generator`` is plain Python now (no Django app), so ``PendingChange`` belongs to the CMS.
A database made before the move keeps its queue: the rows of ``site_generator_pendingchange`` are
copied (ids included) and the old table is dropped; build tasks still waiting under the old task
path are pointed at the new one, so the worker can run them.
"""

from django.core.management.color import no_style
from django.db import migrations, models

OLD_TABLE = "site_generator_pendingchange"
OLD_TASK_PATH = "site_generator.tasks.build_site_changes"
NEW_TASK_PATH = "cms.build.tasks.build_site_changes"


def adopt_old_queue(apps, schema_editor):
    connection = schema_editor.connection
    PendingChange = apps.get_model("cms", "PendingChange")
    with connection.cursor() as cursor:
        if OLD_TABLE in connection.introspection.table_names(cursor):
            old_columns = {c.name for c in connection.introspection.get_table_description(cursor, OLD_TABLE)}
            q = schema_editor.quote_name
            # before site_generator's migration 0002 every row was a document change
            kind = q("kind") if "kind" in old_columns else "'document'"
            cursor.execute(
                f"INSERT INTO {q(PendingChange._meta.db_table)} ({q('id')}, {q('source_id')}, {q('kind')}, {q('created_at')}) "
                f"SELECT {q('id')}, {q('source_id')}, {kind}, {q('created_at')} FROM {q(OLD_TABLE)}"
            )
            schema_editor.execute(f"DROP TABLE {q(OLD_TABLE)}")
            # rows came with their ids: the next id must come after them (PostgreSQL sequences)
            for sql in connection.ops.sequence_reset_sql(no_style(), [PendingChange]):
                cursor.execute(sql)
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    DBTaskResult.objects.filter(task_path=OLD_TASK_PATH).update(task_path=NEW_TASK_PATH)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("django_tasks_database", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name='PendingChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source_id', models.CharField(max_length=128, verbose_name='来源标识')),
                ('kind', models.CharField(choices=[('document', '文件'), ('plugins', '构建插件页面')], default='document', max_length=16, verbose_name='类型')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
            ],
            options={
                'verbose_name': '待生成的变更',
                'verbose_name_plural': '待生成的变更',
                'indexes': [models.Index(fields=['source_id'], name='cms_pending_source__3318d7_idx')],
            },
        ),
        migrations.RunPython(adopt_old_queue, migrations.RunPython.noop),
    ]
