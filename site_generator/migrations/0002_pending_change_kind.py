from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('site_generator', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='pendingchange',
            name='kind',
            field=models.CharField(choices=[('document', '文件'), ('plugins', '构建插件页面')], default='document',
                                   max_length=16, verbose_name='类型'),
        ),
    ]
