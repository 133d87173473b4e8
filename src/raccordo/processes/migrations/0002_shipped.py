"""The shipped process templates and automation rule, and the automation cursor at the journal's end."""

from django.db import migrations


def forwards(apps, schema_editor):
    from raccordo.processes.shipped import seed   # plain data and a function of the historical models

    seed(apps)


class Migration(migrations.Migration):
    dependencies = [("processes", "0001_initial"), ("core", "0002_journal_content_type_index"),
                    ("comms", "0002_shipped_templates")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
