"""Funnel conversion and time in stage, by manager and period, computed in the database from the deals' stage
visits (sales.DealStageVisit).

Definitions (docs/user-guide.md, "Analytics"):

- A deal **enters** the funnel when it is created: its first stage visit begins then. The page counts the deals
  of the chosen funnel that entered it in the period (first and last day included, local time), and each deal
  for the manager it had when it entered (the first visit's manager).
- The funnel's **steps** are its open and won stages, in the stages' order. A deal **reached** a step when it
  stood, at any time, on a stage that is not a lost one and whose order is the step's or later: a deal moved
  straight from "New" to "Won" reached every step between them, and one re-opened after it was lost counts for
  the stages it went on to. A lost stage is reached only by standing on it ("lost there", also when re-opened).
- **Conversion from the first step**: reached the step / reached the first step, in %. **From the previous
  step**: reached the step / reached the step before it.
- **Won** and **lost**: the deals of the period standing on a won (a lost) stage now; **win rate**:
  won / (won + lost), in %, as on the forecast page.
- **Time in stage**: for the visits of an open stage begun in the period, (left, or now while the deal is still
  there) - entered, in days: the average and the median (the middle visit, or the mean of the two middle ones).
  A visit counts for the manager who had the deal when it entered the stage. Won and lost stages are where a
  deal ends, so no time is counted there.

Every figure starts from `visible(...)` querysets (the deals, and their visits, that the reader may see), and is
a grouped aggregate: the deals counted per step from each deal's furthest step (one SQL statement joining the
querysets' own SQL), Sum/Count of the visits' durations, and the medians' middle rows picked by window functions.
Python only folds those rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Max,
    Q,
    Sum,
    UUIDField,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from raccordo.access.policy import team_members, visible
from raccordo.core.ids import parse_uuid
from raccordo.sales.models import Deal, DealStageVisit, Funnel, Stage, StageKind
from raccordo.sales.selectors import default_funnel, funnel_list, stage_list

from ..periods import DynamicPeriod, day_start, period_bounds

DEFAULT_PERIOD = DynamicPeriod.THIS_YEAR
STEP_KINDS = (StageKind.OPEN, StageKind.WON)
DAY = 86400


class FunnelGone(LookupError):
    """The funnel (or manager) a cached page was computed for is no longer there for its reader."""


@dataclass(frozen=True)
class FunnelQuery:
    """What a funnel page shows: which funnel, which period (a reports.periods.DynamicPeriod), which manager."""

    funnel: Funnel
    period: str = DEFAULT_PERIOD
    manager: object | None = None

    @property
    def key(self) -> str:
        """The query as the snapshot cache keys it (ReportSnapshot.params)."""
        return f"funnel={self.funnel.pk};period={self.period};manager={self.manager.pk if self.manager else ''}"


def funnel_managers(*, user, funnel: Funnel):
    """The managers `user` may pick on the funnel's page: people of their team with visits in this funnel."""
    managers = visible(DealStageVisit.objects.filter(funnel=funnel), user).values("manager")
    return team_members(user).filter(pk__in=managers).order_by("last_name", "first_name", "username")


def funnel_query(*, user, data) -> FunnelQuery | None:
    """The page's query from request parameters (`funnel`, `period`, `manager`), each checked against what
    `user` may see: an unknown funnel is None; an unknown period or manager falls back to the default (all)."""
    funnels = funnel_list(user=user)
    funnel = funnels.filter(pk=_uuid(data.get("funnel"))).first() if data.get("funnel") else default_funnel(user=user)
    if funnel is None:
        return None
    period = data.get("period") or DEFAULT_PERIOD
    if period not in DynamicPeriod.values:
        period = DEFAULT_PERIOD
    manager = None
    if data.get("manager"):
        manager = funnel_managers(user=user, funnel=funnel).filter(pk=_uuid(data["manager"])).first()
    return FunnelQuery(funnel=funnel, period=period, manager=manager)


def funnel_query_from_key(*, user, key: str) -> FunnelQuery:
    """A FunnelQuery back from its cache key, checked again for `user` (FunnelGone when it no longer holds)."""
    parts = dict(part.partition("=")[::2] for part in key.split(";"))
    query = funnel_query(user=user, data=parts) if parts.get("funnel") else None
    if query is None or str(query.funnel.pk) != parts["funnel"] or query.period != parts.get("period") or (
            str(query.manager.pk) if query.manager else "") != parts.get("manager", ""):
        raise FunnelGone(key)
    return query


def _uuid(raw):
    return parse_uuid(str(raw or ""))


def funnel_figures(*, user, query: FunnelQuery, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The page's figures for `query` as `user` may see them, with the period worked out on `today`."""
    start, end = period_bounds(query.period, today or timezone.localdate())
    data = funnel_conversion(user=user, funnel=query.funnel, start=start, end=end, manager=query.manager, now=now)
    return {**data, "period": query.period}


def _steps_and_lost(user, funnel: Funnel) -> tuple[list[Stage], list[Stage]]:
    stages = list(stage_list(user=user).filter(funnel=funnel).order_by("order", "name"))
    return [s for s in stages if s.kind in STEP_KINDS], [s for s in stages if s.kind == StageKind.LOST]


def _reach_rows(deals, steps: list[Stage], lost: list[Stage], lo: dt.datetime, hi: dt.datetime, manager) -> list:
    """Per manager at entry: deals entered, won and lost now, and how many reached each step / stood on each lost
    stage. One grouped query over three derived tables, each a queryset: the visible deals, every deal's visits
    numbered from its first (the one that says when it entered and for whom), and every deal's furthest step and
    lost stages. No correlated subquery per deal (at 200k deals they ran once per deal and visit: 4 s)."""
    cohort = deals.order_by().values(d_pk=F("pk"), d_kind=F("stage__kind"))
    numbered = DealStageVisit.objects.order_by().values(
        f_deal=F("deal"), f_owner=F("manager"), f_entered=F("entered_at"),
        f_rank=Window(RowNumber(), partition_by=[F("deal")], order_by=[F("entered_at").asc(), F("id").asc()]))
    furthest = DealStageVisit.objects.order_by().values(r_deal=F("deal")).annotate(
        r_reach=Max("stage__order", filter=Q(stage__kind__in=STEP_KINDS)),
        **{f"r_lost{i}": Max(Case(When(stage=s, then=Value(1)), default=Value(0))) for i, s in enumerate(lost)})
    parts, params = [], []
    for queryset in (cohort, numbered, furthest):
        sql, part = queryset.query.sql_with_params()
        parts.append(sql)
        params.extend(part)
    moment = DateTimeField()
    when = [moment.get_db_prep_value(lo, connection), moment.get_db_prep_value(hi, connection)]
    who = ""
    if manager is not None:
        who = " AND f.f_owner = %s"
        when.append(UUIDField().get_db_prep_value(manager.pk, connection))
    counts = [f"SUM(CASE WHEN r.r_reach >= {int(s.order)} THEN 1 ELSE 0 END)" for s in steps]
    counts += [f"SUM(r.r_lost{i})" for i in range(len(lost))]
    sql = (f"SELECT f.f_owner, COUNT(*), SUM(CASE WHEN d.d_kind = %s THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN d.d_kind = %s THEN 1 ELSE 0 END){''.join(', ' + c for c in counts)} "
           f"FROM ({parts[0]}) d INNER JOIN ({parts[1]}) f ON f.f_deal = d.d_pk "
           f"INNER JOIN ({parts[2]}) r ON r.r_deal = d.d_pk "
           f"WHERE f.f_rank = 1 AND f.f_entered >= %s AND f.f_entered < %s{who} GROUP BY f.f_owner")
    with connection.cursor() as cursor:
        cursor.execute(sql, [StageKind.WON.value, StageKind.LOST.value, *params, *when])
        found = cursor.fetchall()
    names = ["n", "won", "lost", *[f"step{i}" for i in range(len(steps))], *[f"lost{i}" for i in range(len(lost))]]
    owner = UUIDField()
    return [{"owner": owner.to_python(row[0]), **{name: int(value or 0) for name, value in zip(names, row[1:],
                                                                                               strict=True)}}
            for row in found]


class _Seconds(Func):
    """end - start, in seconds (a float), computed by the database itself: on SQLite a DurationField difference
    goes through a Python function per row (30 s for the 400k visits of a year at 200k deals)."""

    arity = 2
    output_field = FloatField()
    template = "CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)


def _durations(visits, now: dt.datetime):
    spent = Coalesce(F("left_at"), Value(now, output_field=DateTimeField()))
    return visits.annotate(spent=_Seconds(spent, F("entered_at")))


def _time_rows(visits, now: dt.datetime) -> list:
    """Per (stage, manager at entry): visits and their total duration."""
    return list(_durations(visits, now).order_by().values("stage", "manager")
                .annotate(n=Count("pk"), total=Sum("spent")))


def _middles(visits, now: dt.datetime) -> tuple[dict, dict]:
    """The one or two middle durations of each stage ({stage: [...]}) and of each (stage, manager) pair, from one
    scan: both rankings are window functions over the same rows, and only rows in the middle of either come
    back. (Two queries scanned and sorted the period's visits twice: 2-4 s each at 200k deals on SQLite.)"""
    order = [F("spent").asc(), F("id").asc()]
    by_stage, by_pair = [F("stage")], [F("stage"), F("manager")]
    ranked = _durations(visits, now).annotate(
        r_stage=Window(RowNumber(), partition_by=by_stage, order_by=order),
        n_stage=Window(Count("pk"), partition_by=by_stage),
        r_pair=Window(RowNumber(), partition_by=by_pair, order_by=order),
        n_pair=Window(Count("pk"), partition_by=by_pair))
    middle = ranked.filter(Q(r_stage__gte=(F("n_stage") + 1) / 2, r_stage__lte=(F("n_stage") + 2) / 2)
                           | Q(r_pair__gte=(F("n_pair") + 1) / 2, r_pair__lte=(F("n_pair") + 2) / 2))
    stages: dict = defaultdict(list)
    pairs: dict = defaultdict(list)
    for row in middle.order_by().values("stage", "manager", "spent", "r_stage", "n_stage", "r_pair", "n_pair"):
        if (row["n_stage"] + 1) // 2 <= row["r_stage"] <= (row["n_stage"] + 2) // 2:
            stages[row["stage"]].append(row["spent"])
        if (row["n_pair"] + 1) // 2 <= row["r_pair"] <= (row["n_pair"] + 2) // 2:
            pairs[(row["stage"], row["manager"])].append(row["spent"])
    return stages, pairs


def _days(total: float | None, n: int) -> float | None:
    """`total` seconds over `n` visits, in days."""
    return round(total / DAY / n, 1) if n and total is not None else None


def _median(middle: list) -> float | None:
    return _days(sum(middle), len(middle)) if middle else None


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _part(reach: dict, times: dict, medians: dict, steps: list[Stage], lost: list[Stage]) -> dict:
    """One table (everyone's, or one manager's) from its folded counts."""
    counts = [reach.get(f"step{i}", 0) for i in range(len(steps))]
    rows = []
    for i, stage in enumerate(steps):
        n, total = times.get(stage.pk, (0, None))
        rows.append({"id": str(stage.pk), "name": stage.name, "kind": stage.kind, "reached": counts[i],
                     "from_first": _percent(counts[i], counts[0]),
                     "from_previous": _percent(counts[i], counts[i - 1]) if i else None,
                     "visits": n, "avg_days": _days(total, n), "median_days": _median(medians.get(stage.pk, []))})
    entered, won, lost_now = reach.get("n", 0), reach.get("won", 0), reach.get("lost", 0)
    return {"entered": entered, "won": won, "lost": lost_now, "open": entered - won - lost_now,
            "win_rate": _percent(won, won + lost_now), "stages": rows,
            "lost_stages": [{"id": str(s.pk), "name": s.name, "reached": reach.get(f"lost{i}", 0),
                             "share": _percent(reach.get(f"lost{i}", 0), entered)} for i, s in enumerate(lost)]}


def funnel_conversion(*, user, funnel: Funnel, start: dt.date, end: dt.date, manager=None,
                      now: dt.datetime | None = None) -> dict:
    """Conversion and time in stage of `funnel` for the deals that entered it from `start` to `end` (both
    included), as `user` may see them: everyone's table and one per manager (only `manager`'s when given)."""
    now = now or timezone.now()
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    steps, lost = _steps_and_lost(user, funnel)
    # semijoin: a manager's deals and visits as "their client is among hers", planned from the clients' side.
    reach_rows = _reach_rows(visible(Deal.objects.filter(funnel=funnel), user, semijoin=True), steps, lost, lo, hi,
                             manager)
    # The open stages' ids, not a join on the stages' kind: joined, SQLite looped over the stages and looked every
    # visit of the period up once per open stage (9 s at 200k deals).
    open_stages = list(Stage.objects.filter(kind=StageKind.OPEN).values_list("pk", flat=True))
    visits = visible(DealStageVisit.objects.filter(funnel=funnel, stage__in=open_stages, entered_at__gte=lo,
                                                   entered_at__lt=hi), user, semijoin=True)
    if manager is not None:
        visits = visits.filter(manager=manager.pk)
    time_rows = _time_rows(visits, now)
    overall_medians, people_medians = _middles(visits, now)

    total_reach: dict = defaultdict(int)
    reach_by: dict = defaultdict(dict)
    for row in reach_rows:
        reach_by[row["owner"]] = row
        for key, value in row.items():
            if key != "owner":
                total_reach[key] += value
    total_times: dict = {}
    times_by: dict = defaultdict(dict)
    for row in time_rows:
        times_by[row["manager"]][row["stage"]] = (row["n"], row["total"])
        n, total = total_times.get(row["stage"], (0, 0.0))
        total_times[row["stage"]] = (n + row["n"], total + (row["total"] or 0.0))
    people = set(reach_by) | set(times_by)
    names = {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=[p for p in people if p is not None])}
    managers = [{"id": str(pk or ""), "name": names.get(pk, "") if pk else "",
                 **_part(reach_by.get(pk, {}), times_by.get(pk, {}),
                         {stage: spells for (stage, who), spells in people_medians.items() if who == pk},
                         steps, lost)}
                for pk in people]
    managers.sort(key=lambda m: (m["id"] == "", m["name"].lower()))
    return {"funnel": str(funnel.pk), "funnel_name": funnel.name, "start": start.isoformat(), "end": end.isoformat(),
            "manager": str(manager.pk) if manager else "", "now": now.isoformat(),
            "total": _part(total_reach, total_times, overall_medians, steps, lost), "managers": managers}
