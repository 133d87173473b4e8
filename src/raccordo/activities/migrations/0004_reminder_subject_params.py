from django.db import migrations, models


def backfill(apps, schema_editor):
    """Automatic invoice reminders made before the parameters were kept: take them from the rule and the invoice,
    so they too are shown in their reader's language."""
    Reminder = apps.get_model("activities", "Reminder")
    Invoice = apps.get_model("sales", "Invoice")
    ContentType = apps.get_model("contenttypes", "ContentType")
    invoice_type = ContentType.objects.filter(app_label="sales", model="invoice").first()
    if invoice_type is None:
        return
    rows = list(Reminder.objects.filter(target_type=invoice_type, rule__startswith="invoice:"))
    numbers = dict(Invoice.objects.filter(pk__in=[r.target_id for r in rows]).values_list("pk", "number"))
    for row in rows:
        try:
            offset = int(row.rule.partition(":")[2])
        except ValueError:
            continue
        row.subject_params = {"kind": "invoice_due", "number": numbers.get(row.target_id) or "—", "offset": offset}
        row.save(update_fields=["subject_params"])


class Migration(migrations.Migration):

    dependencies = [
        ("activities", "0003_list_indexes"),
        ("sales", "0007_accounting_shipment"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminder",
            name="subject_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="subject parameters"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
