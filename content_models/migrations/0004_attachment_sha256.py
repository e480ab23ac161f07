from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content_models", "0003_listing_search_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="sha256",
            field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="文件摘要（SHA-256）"),
        ),
    ]
