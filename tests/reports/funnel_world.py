"""Generated deals moving through a funnel for the funnel analytics tests, and the definitions restated in Python.

Deals are opened and moved by the services (deal_create, deal_move, deal_update for hand-overs) with the clock
injected, so every stage visit has a known time; the same moves are kept here as a plain list. The restatement
walks that list deal by deal, as docs/user-guide.md ("Analytics") words the definitions, and builds the tables the
page shows; the page computes them in the database from the visits.

The funnel has two open stages of the same order ("Qualified" and "Proposal") and two lost stages, so the
definition of "reached" is exercised where it is easy to get wrong; a few deals sit in another funnel and must
not count; some are created straight at a later stage, some are lost and re-opened, some are handed over.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from raccordo.access.models import Department
from raccordo.sales.models import Funnel, Stage, StageKind
from raccordo.sales.services import deal_create, deal_move, deal_update
from tests import factories

START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)     # the period: a quarter, both days included
NOW = timezone.make_aware(dt.datetime(2026, 4, 20, 12, 0))
FIRST_DAY = dt.date(2025, 11, 15)                            # deals are opened from here (some before the period)
STAGES = [("New", StageKind.OPEN, 0), ("Qualified", StageKind.OPEN, 1), ("Proposal", StageKind.OPEN, 1),
          ("Negotiation", StageKind.OPEN, 2), ("Won", StageKind.WON, 3), ("Lost", StageKind.LOST, 4),
          ("Rejected", StageKind.LOST, 5)]
MANAGERS = ("anna", "dmitry", "marco")


def at(day: dt.date, minutes: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes))


@dataclass
class Moved:
    """One generated deal: its client, its funnel and where it stood when: [(stage, manager, entered)]."""

    deal: object
    client: object
    funnel: object
    path: list = field(default_factory=list)


@dataclass
class World:
    users: dict
    clients: list
    funnel: Funnel
    stages: dict
    deals: list = field(default_factory=list)


def _next_stage(rng: random.Random, stages: dict, current: Stage) -> Stage:
    """A manager's next move: mostly forward, sometimes won or lost, a closed deal sometimes re-opened."""
    if current.kind != StageKind.OPEN:
        return stages[rng.choice(["Negotiation", "Proposal", "New"])]
    forward = [s for s in stages.values() if s.kind == StageKind.OPEN and s.order > current.order]
    closing = [s for s in stages.values() if s.kind != StageKind.OPEN]
    choices = forward * 3 + [stages["Won"], stages["New"], *closing]
    return rng.choice([s for s in choices if s.pk != current.pk])


def _open_one(world: World, rng: random.Random, client, funnel: Funnel, stages: dict) -> Moved:
    manager = client.responsible if rng.random() > 0.05 else None       # a few deals nobody manages
    when = at(FIRST_DAY, rng.randint(0, 150 * 24 * 60))
    start = stages["New"] if rng.random() > 0.15 else stages[rng.choice(["Proposal", "Negotiation"])]
    deal = deal_create(user=None, data={"title": f"Deal of {client.name}", "counterparty": client,
                                        "manager": manager, "funnel": funnel, "stage": start}, now=when)
    moved = Moved(deal, client, funnel, [(start, manager, when)])
    for _ in range(rng.randint(0, 5)):
        when += dt.timedelta(minutes=rng.randint(30, 40 * 24 * 60))
        if when > NOW or (deal.stage.kind != StageKind.OPEN and rng.random() < 0.7):
            break   # most won and lost deals stay so; the others are re-opened
        if rng.random() < 0.1:
            # A hand-over: the next stages are entered by the colleague.
            manager = world.users[rng.choice(MANAGERS)]
            deal = deal_update(user=None, deal=deal, data={"manager": manager})
        stage = _next_stage(rng, stages, deal.stage)
        reason = "Price" if stage.kind == StageKind.LOST else ""
        deal = deal_move(user=None, deal=deal, stage=stage, lost_reason=reason, now=when)
        moved.path.append((stage, manager, when))
    return moved


def build(ref, seed: int, deals_per_client: int = 5) -> World:
    rng = random.Random(seed)
    sales, italy = Department.objects.create(name="Sales"), Department.objects.create(name="Italy")
    mk = factories.UserFactory
    users = {"root": mk(username="root", role="admin", is_superuser=True, is_staff=True),
             "hana": mk(username="hana", first_name="Hana", last_name="Head", role="head", department=sales),
             "anna": mk(username="anna", first_name="Anna", last_name="Ivanova", role="manager", department=sales),
             "dmitry": mk(username="dmitry", first_name="Dmitry", last_name="Orlov", role="manager", department=sales),
             "marco": mk(username="marco", first_name="Marco", last_name="Rossi", role="manager", department=italy)}
    clients = [factories.CounterpartyFactory(name=f"Client {i:02d}", responsible=users[MANAGERS[i % 3]])
               for i in range(9)]
    funnel = Funnel.objects.create(name="Wholesale", order=1)
    stages = {name: Stage.objects.create(funnel=funnel, name=name, kind=kind, order=order)
              for name, kind, order in STAGES}
    world = World(users, clients, funnel, stages)
    for client in clients:
        for _ in range(deals_per_client):
            world.deals.append(_open_one(world, rng, client, funnel, stages))
        # One deal in the shared default funnel per client: never counted on the Wholesale page.
        world.deals.append(_open_one(world, rng, client, ref["funnel"], ref["stages"]))
    # On the period's edges: its first and last minute count, the minutes just outside do not.
    edges = [at(START), at(START, -1), at(END, 24 * 60 - 1), at(END, 24 * 60)]
    for when in edges:
        deal = deal_create(user=None, data={"title": "Edge", "counterparty": clients[0], "funnel": funnel,
                                            "manager": clients[0].responsible}, now=when)
        world.deals.append(Moved(deal, clients[0], funnel, [(stages["New"], clients[0].responsible, when)]))
    return world


# --- the definitions, restated -------------------------------------------------------------------------------

def visits(moved: Moved) -> list[tuple]:
    """(stage, manager at entry, entered, left or None) of a generated deal, from its path."""
    path = moved.path
    return [(stage, who, entered, path[i + 1][2] if i + 1 < len(path) else None)
            for i, (stage, who, entered) in enumerate(path)]


def _days(seconds: list[float]) -> float | None:
    return round(sum(seconds) / 86400 / len(seconds), 1) if seconds else None


def _median(seconds: list[float]) -> float | None:
    ordered = sorted(seconds)
    n = len(ordered)
    return _days(ordered[(n - 1) // 2:n // 2 + 1]) if n else None


def _pct(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _table(deals: list[Moved], spells: list[tuple], stages: dict) -> dict:
    steps = sorted((s for s in stages.values() if s.kind != StageKind.LOST), key=lambda s: (s.order, s.name))
    lost = sorted((s for s in stages.values() if s.kind == StageKind.LOST), key=lambda s: (s.order, s.name))
    reached = [sum(1 for d in deals if any(s.kind != StageKind.LOST and s.order >= step.order
                                           for s, *_ in d.path)) for step in steps]
    rows = []
    for i, step in enumerate(steps):
        spent = [((left or NOW) - entered).total_seconds() for stage, entered, left in spells if stage == step]
        rows.append({"name": step.name, "reached": reached[i], "from_first": _pct(reached[i], reached[0]),
                     "from_previous": _pct(reached[i], reached[i - 1]) if i else None, "visits": len(spent),
                     "avg_days": _days(spent), "median_days": _median(spent)})
    won = sum(1 for d in deals if d.path[-1][0].kind == StageKind.WON)
    lost_now = sum(1 for d in deals if d.path[-1][0].kind == StageKind.LOST)
    return {"entered": len(deals), "won": won, "lost": lost_now, "open": len(deals) - won - lost_now,
            "win_rate": _pct(won, won + lost_now), "stages": rows,
            "lost_stages": [{"name": s.name, "reached": sum(1 for d in deals if any(v[0] == s for v in d.path)),
                             "share": _pct(sum(1 for d in deals if any(v[0] == s for v in d.path)), len(deals))}
                            for s in lost]}


def expected(world: World, seen_clients, *, start=START, end=END, manager=None) -> dict:
    """{"total": table, "managers": {manager id or "": table}} for the deals of `seen_clients`' in the funnel."""
    lo, hi = at(start), at(end + dt.timedelta(days=1))
    mine = [d for d in world.deals if d.funnel == world.funnel and d.client in seen_clients]
    cohort = [d for d in mine if lo <= d.path[0][2] < hi and (manager is None or d.path[0][1] == manager)]
    spells = [(stage, who, entered, left) for d in mine for stage, who, entered, left in visits(d)
              if stage.kind == StageKind.OPEN and lo <= entered < hi and (manager is None or who == manager)]
    by_owner, by_visitor = defaultdict(list), defaultdict(list)
    for d in cohort:
        by_owner[d.path[0][1]].append(d)
    for stage, who, entered, left in spells:
        by_visitor[who].append((stage, entered, left))
    return {"total": _table(cohort, [(s, e, left) for s, _w, e, left in spells], world.stages),
            "managers": {str(who.pk) if who else "": _table(by_owner.get(who, []), by_visitor.get(who, []),
                                                             world.stages)
                         for who in set(by_owner) | set(by_visitor)}}


def shown(data: dict) -> dict:
    """The page's figures in the restatement's shape (names instead of ids, no ids)."""
    def table(part: dict) -> dict:
        return {**{k: part[k] for k in ("entered", "won", "lost", "open", "win_rate")},
                "stages": [{k: v for k, v in row.items() if k not in ("id", "kind")} for row in part["stages"]],
                "lost_stages": [{k: v for k, v in row.items() if k != "id"} for row in part["lost_stages"]]}
    return {"total": table(data["total"]), "managers": {m["id"]: table(m) for m in data["managers"]}}
