"""Stage visits for the deals made before the deal services wrote them, replayed from the change journal.

Per deal, in journal order: the creation entry opens a visit of the stage the deal was created at, from the deal's
`created_at` (when it entered the funnel); every later entry that changed `stage` closes the open visit and opens
the next one at the entry's time; `manager` in any entry changes who enters the stages after it. Where the journal
begins after the deal's creation (no creation entry), the first stage is the one the first change moved it from.
A deal the journal says nothing about gets one open visit of its current stage from `created_at`. When the
replay ends on another stage than the deal's own (a write that skipped the journal), a visit of the deal's stage
follows, from when it closed (or was last changed). Times never run backwards: a visit never begins before the
one it follows. Deals that already have visits are left alone, so the migration may run again.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import migrations
from django.db.models import Exists, OuterRef, Q

CHUNK = 2000


def _after(changes: dict, name: str):
    pair = changes.get(name)
    return str(pair[1]) if isinstance(pair, list) and len(pair) == 2 and pair[1] is not None else None


def _before(changes: dict, name: str):
    pair = changes.get(name)
    return str(pair[0]) if isinstance(pair, list) and len(pair) == 2 and pair[0] is not None else None


def _start(deal: dict, entries: list, stages: dict) -> tuple[str, str | None]:
    """The stage and the manager the deal was created with, as far as the journal tells."""
    stage = manager = None
    manager_known = False
    for operation, changes, _at in entries:
        if operation == "create":
            return _after(changes, "stage") or str(deal["stage_id"]), _after(changes, "manager")
        if stage is None and "stage" in changes:
            stage = _before(changes, "stage")
        if not manager_known and "manager" in changes:
            manager, manager_known = _before(changes, "manager"), True
    if stage not in stages:
        stage = str(deal["stage_id"])
    if not manager_known:
        manager = str(deal["manager_id"]) if deal["manager_id"] else None
    return stage, manager


def replay(deal: dict, entries: list, stages: dict, users: set) -> list[list]:
    """[[stage id, manager id, entered_at, left_at], ...] of one deal: `entries` are its journal's
    (operation, changes, at) in order, `stages` maps stage ids to their funnel ids, `users` holds the user ids."""
    funnel = str(deal["funnel_id"])
    stage, manager = _start(deal, entries, stages)
    if stages.get(stage) != funnel:
        stage = str(deal["stage_id"])
    visits = [[stage, manager, deal["created_at"], None]]
    for operation, changes, at in entries:
        if operation == "create":
            continue
        if "manager" in changes:
            manager = _after(changes, "manager")
        moved_to = _after(changes, "stage")
        if moved_to and moved_to != visits[-1][0] and stages.get(moved_to) == funnel:
            at = max(at, visits[-1][2])
            visits[-1][3] = at
            visits.append([moved_to, manager, at, None])
    if visits[-1][0] != str(deal["stage_id"]):
        at = max(deal["closed_at"] or deal["updated_at"], visits[-1][2])
        visits[-1][3] = at
        visits.append([str(deal["stage_id"]), str(deal["manager_id"]) if deal["manager_id"] else None, at, None])
    for visit in visits:
        if visit[1] not in users:
            visit[1] = None
    return visits


def backfill(apps, schema_editor) -> None:
    Deal = apps.get_model("sales", "Deal")
    Stage = apps.get_model("sales", "Stage")
    Visit = apps.get_model("sales", "DealStageVisit")
    Journal = apps.get_model("core", "ChangeJournal")
    ContentType = apps.get_model("contenttypes", "ContentType")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    content_type = ContentType.objects.filter(app_label="sales", model="deal").first()
    stages = {str(pk): str(funnel) for pk, funnel in Stage.objects.values_list("pk", "funnel_id")}
    users = {str(pk) for pk in User.objects.values_list("pk", flat=True)}
    deals = (Deal.objects.filter(~Exists(Visit.objects.filter(deal=OuterRef("pk")))).order_by("pk")
             .values("pk", "funnel_id", "stage_id", "manager_id", "created_at", "updated_at", "closed_at"))
    after = None
    while True:
        chunk = list((deals.filter(pk__gt=after) if after is not None else deals)[:CHUNK])
        if not chunk:
            break
        after = chunk[-1]["pk"]
        entries: dict = defaultdict(list)
        if content_type is not None:
            # A range of the (content type, object id, seq) index, not a list of ids: the chunk is ordered by id.
            rows = (Journal.objects.filter(content_type=content_type, object_id__gte=chunk[0]["pk"],
                                           object_id__lte=after)
                    .filter(Q(operation="create") | Q(changes__has_key="stage") | Q(changes__has_key="manager"))
                    .order_by("seq").values_list("object_id", "operation", "changes", "at"))
            for object_id, operation, changes, at in rows.iterator(chunk_size=CHUNK):
                entries[object_id].append((operation, changes if isinstance(changes, dict) else {}, at))
        Visit.objects.bulk_create([
            Visit(deal_id=deal["pk"], funnel_id=deal["funnel_id"], stage_id=stage, manager_id=manager,
                  entered_at=entered, left_at=left)
            for deal in chunk for stage, manager, entered, left in replay(deal, entries.get(deal["pk"], []), stages,
                                                                          users)], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0011_deal_stage_visits"),
        ("core", "0002_journal_content_type_index"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    # Backwards: the visits go with the table 0011 drops; nothing to undo here.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
