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
querysets' own SQL), and the visits counted and summed per whole day of duration, which says which day holds a
median's middle visit; a second scan brings back only those days' durations. Python only folds those rows. Both
scans read the visits' indexes alone (sales 0013).
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
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Sum,
    UUIDField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
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
    """The managers `user` may pick on the funnel's page: people of their team with visits in this funnel (of the
    deals `user` may see). One probe per member through the visits' manager index: collecting the managers of
    every visit of the funnel made the cached page wait 0.55 s at 765k visits."""
    visits = visible(DealStageVisit.objects.filter(funnel=funnel, manager=OuterRef("pk")), user, semijoin=True)
    return team_members(user).filter(Exists(visits)).order_by("last_name", "first_name", "username")


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
    stage. One grouped query over three derived tables, each a queryset: every deal's first visit, furthest step
    and lost stages (a grouped scan of the visits in the order of their index, for the deals whose first visit
    falls in the period), the visit it entered by (for whom), and the visible deals (where they stand now).
    (Numbering every visit of a deal with a window function instead took 2.1 s at 200k deals on SQLite.)"""
    uuid = UUIDField()

    def ids(stages) -> tuple[str, list]:
        if not stages:
            return "(NULL)", []
        return "(" + ", ".join(["%s"] * len(stages)) + ")", [uuid.get_db_prep_value(s.pk, connection)
                                                              for s in stages]

    furthest = DealStageVisit.objects.filter(stage__in=[s.pk for s in (*steps, *lost)]).order_by().values(
        r_deal=F("deal")).annotate(
        r_first=Min("entered_at"),
        r_reach=Max(Case(*[When(stage=s.pk, then=Value(int(s.order))) for s in steps], default=None,
                         output_field=IntegerField())),
        **{f"r_lost{i}": Max(Case(When(stage=s.pk, then=Value(1)), default=Value(0))) for i, s in enumerate(lost)}
    ).filter(r_first__gte=lo, r_first__lt=hi)
    # The visit a deal entered by: the first in time, the first created of two begun at the same moment.
    earlier = DealStageVisit.objects.filter(deal=OuterRef("deal"), entered_at=OuterRef("entered_at"),
                                            id__lt=OuterRef("id"))
    entries = DealStageVisit.objects.order_by().filter(~Exists(earlier)).values(
        f_deal=F("deal"), f_entered=F("entered_at"), f_owner=F("manager"))
    cohort = deals.order_by().values(d_pk=F("pk"), d_stage=F("stage"))
    parts, params = [], []
    for queryset in (furthest, entries, cohort):
        sql, part = queryset.query.sql_with_params()
        parts.append(sql)
        params.extend(part)
    won_sql, won_ids = ids([s for s in steps if s.kind == StageKind.WON])
    lost_sql, lost_ids = ids(lost)
    who, whose = "", []
    if manager is not None:
        who, whose = " WHERE f.f_owner = %s", [uuid.get_db_prep_value(manager.pk, connection)]
    counts = [f"SUM(CASE WHEN r.r_reach >= {int(s.order)} THEN 1 ELSE 0 END)" for s in steps]
    counts += [f"SUM(r.r_lost{i})" for i in range(len(lost))]
    sql = (f"SELECT f.f_owner, COUNT(*), SUM(CASE WHEN d.d_stage IN {won_sql} THEN 1 ELSE 0 END), "
           f"SUM(CASE WHEN d.d_stage IN {lost_sql} THEN 1 ELSE 0 END){''.join(', ' + c for c in counts)} "
           f"FROM ({parts[0]}) r INNER JOIN ({parts[1]}) f ON f.f_deal = r.r_deal AND f.f_entered = r.r_first "
           f"INNER JOIN ({parts[2]}) d ON d.d_pk = r.r_deal{who} GROUP BY f.f_owner")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*won_ids, *lost_ids, *params, *whose])
        found = cursor.fetchall()
    names = ["n", "won", "lost", *[f"step{i}" for i in range(len(steps))], *[f"lost{i}" for i in range(len(lost))]]
    return [{"owner": uuid.to_python(row[0]), **{name: int(value or 0) for name, value in zip(names, row[1:],
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


def _time_in_stage(visits, now: dt.datetime) -> tuple[dict, dict]:
    """Visits, total duration and the one or two middle durations of each (stage, manager at entry) pair
    ({(stage, manager): (n, total, [middle...])}) and of each stage ({stage: [middle...]}), from two scans.

    The first is a grouped count of the durations in whole days per pair (a histogram, which also gives the sums):
    it tells which day holds a group's middle visit and where in that day it stands. The second brings back only
    the visits of those days, whose exact durations give the medians. (Ranking every visit with window functions
    sorted the period's 500k visits twice per ranking: 5.6 s at 200k deals on SQLite.)"""
    days = _durations(visits, now).annotate(day=Cast(F("spent") / DAY, IntegerField()))
    histogram = days.order_by().values("stage", "manager", "day").annotate(n=Count("*"), total=Sum("spent"))
    pair_days: dict = defaultdict(lambda: defaultdict(int))
    stage_days: dict = defaultdict(lambda: defaultdict(int))
    sums: dict = defaultdict(float)
    for row in histogram:
        pair_days[(row["stage"], row["manager"])][row["day"]] += row["n"]
        stage_days[row["stage"]][row["day"]] += row["n"]
        sums[(row["stage"], row["manager"])] += row["total"] or 0.0
    pair_wanted = {pair: _middle_places(counts) for pair, counts in pair_days.items()}
    stage_wanted = {stage: _middle_places(counts) for stage, counts in stage_days.items()}
    by_stage_day, by_pair_day = _spells_on_days(
        days, {(stage, day) for stage, places in stage_wanted.items() for day, _ in places},
        {(*pair, day) for pair, places in pair_wanted.items() for day, _ in places})
    pairs = {pair: (sum(counts.values()), sums[pair],
                    [by_pair_day[(*pair, day)][place] for day, place in pair_wanted[pair]])
             for pair, counts in pair_days.items()}
    stages = {stage: [by_stage_day[(stage, day)][place] for day, place in places]
              for stage, places in stage_wanted.items()}
    return pairs, stages


def _middle_places(counts: dict) -> list[tuple[int, int]]:
    """Where a group's middle visit (or two middle visits) stands: [(day, index within that day's visits in
    order)], from the group's count of visits per day."""
    n = sum(counts.values())
    wanted = sorted({(n + 1) // 2, (n + 2) // 2})    # 1-based ranks: one middle for an odd count, two for even
    places, seen = [], 0
    for day in sorted(counts):
        while wanted and wanted[0] <= seen + counts[day]:
            places.append((day, wanted.pop(0) - seen - 1))
        seen += counts[day]
    return places


# Row-value tuples per query: three parameters each, far below the smallest limit of SQLite's builds (32,766).
SPELLS_PER_QUERY = 5000


def _spells_on_days(days, stage_days: set, pair_days: set) -> tuple[dict, dict]:
    """The sorted durations of the visits on the given (stage, day) and (stage, manager, day): {key: [...]}, for
    each. One scan of the period's visits filtered by row-value IN lists (one more per SPELLS_PER_QUERY pairs; a
    manager of nobody is compared apart: NULL equals nothing)."""
    sql, params = days.order_by().values(m_stage=F("stage"), m_manager=F("manager"), m_day=F("day"),
                                         m_spent=F("spent")).query.sql_with_params()
    key = UUIDField()

    def uuid(value):
        return key.get_db_prep_value(value, connection)

    def among(columns: str, rows: list) -> tuple[str, list]:
        width = len(columns.split(","))
        values = [uuid(v) if i < width - 1 else v for row in rows for i, v in enumerate(row)]
        return f"({columns}) IN (VALUES " + ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows)) + ")", \
            values

    named = sorted((p for p in pair_days if p[1] is not None), key=str)
    nobody = [(stage, day) for stage, manager, day in pair_days if manager is None]
    chunks = [named[i:i + SPELLS_PER_QUERY] for i in range(0, len(named), SPELLS_PER_QUERY)] or [[]]
    by_stage: dict = defaultdict(list)
    by_pair: dict = defaultdict(list)
    for number, chunk in enumerate(chunks):
        terms, values = [], list(params)
        for wanted, columns, nulls in ((stage_days if number == 0 else [], "m.m_stage, m.m_day", ""),
                                       (chunk, "m.m_stage, m.m_manager, m.m_day", ""),
                                       (nobody if number == 0 else [], "m.m_stage, m.m_day", "m.m_manager IS NULL AND ")):
            if wanted:
                term, term_values = among(columns, sorted(wanted, key=str))
                terms.append(f"({nulls}{term})")
                values += term_values
        if not terms:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT m.m_stage, m.m_manager, m.m_day, m.m_spent FROM ({sql}) m WHERE "
                           + " OR ".join(terms), values)
            found = cursor.fetchall()
        mine = set(chunk) | ({(stage, None, day) for stage, day in nobody} if number == 0 else set())
        for stage, manager, day, spent in found:
            stage, manager = key.to_python(stage), key.to_python(manager) if manager is not None else None
            if number == 0 and (stage, day) in stage_days:
                by_stage[(stage, day)].append(spent)
            if (stage, manager, day) in mine:
                by_pair[(stage, manager, day)].append(spent)
    for spells in (*by_stage.values(), *by_pair.values()):
        spells.sort()
    return by_stage, by_pair


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
    pair_times, overall_medians = _time_in_stage(visits, now)

    total_reach: dict = defaultdict(int)
    reach_by: dict = defaultdict(dict)
    for row in reach_rows:
        reach_by[row["owner"]] = row
        for key, value in row.items():
            if key != "owner":
                total_reach[key] += value
    total_times: dict = {}
    times_by: dict = defaultdict(dict)
    people_medians: dict = {}
    for (stage, who), (n, total, middle) in pair_times.items():
        times_by[who][stage] = (n, total)
        people_medians[(stage, who)] = middle
        seen, spent = total_times.get(stage, (0, 0.0))
        total_times[stage] = (seen + n, spent + total)
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
