"""The build queue's second kind of row is ``pages`` (was ``plugins``): a service module's data
changed and its pages must be built again (issue 12). Waiting ``plugins`` rows become ``pages``."""

from django.db import migrations, models


def plugins_to_pages(apps, schema_editor):
    apps.get_model("cms", "PendingChange").objects.filter(kind="plugins").update(kind="pages")


def pages_to_plugins(apps, schema_editor):
    apps.get_model("cms", "PendingChange").objects.filter(kind="pages").update(kind="plugins")


class Migration(migrations.Migration):

    dependencies = [
        ("cms", "0001_pending_change"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pendingchange",
            name="kind",
            field=models.CharField(choices=[("document", "文件"), ("pages", "服务模块页面")], default="document",
                                   max_length=16, verbose_name="类型"),
        ),
        migrations.RunPython(plugins_to_pages, pages_to_plugins),
    ]
