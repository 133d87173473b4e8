"""A campaign's target segment becomes a link to a segments.Segment (it was a name typed as text).

A text that names exactly one segment (case aside) is linked to it; any other text is kept at the end of the
campaign's description, so nothing typed is lost.
"""

import django.db.models.deletion
from django.db import migrations, models


def link_segments(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Segment = apps.get_model("segments", "Segment")
    for campaign in Campaign.objects.exclude(target_segment=""):
        text = campaign.target_segment.strip()
        found = list(Segment.objects.filter(name__iexact=text)[:2])
        if len(found) == 1:
            campaign.segment = found[0]
        else:
            campaign.description = f"{campaign.description}\n\nTarget segment: {text}".strip()
        campaign.save(update_fields=["segment", "description"])


class Migration(migrations.Migration):

    dependencies = [
        ("campaigns", "0001_initial"),
        ("segments", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="segment",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="campaigns", to="segments.segment", verbose_name="target segment"),
        ),
        migrations.RunPython(link_segments, migrations.RunPython.noop),
        migrations.RemoveField(model_name="campaign", name="target_segment"),
    ]
