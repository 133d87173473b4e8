from django.db import migrations


def rewrite_documents(apps, schema_editor):
    # The documents now hold the names joined up as well ("Волга-Терм" -> "волгатерм", parties.search_text):
    # the existing ones are written again, as `raccordo search rebuild` would.
    from raccordo.parties import search

    if apps.get_model("parties", "Counterparty").objects.exists():
        search.index_rebuild()


class Migration(migrations.Migration):

    dependencies = [
        ("parties", "0004_default_currency_setting"),
    ]

    operations = [
        migrations.RunPython(rewrite_documents, migrations.RunPython.noop, elidable=False),
    ]
