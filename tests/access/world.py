"""A company to test access against, and the rules written out again in plain Python (the ground truth).

Departments: Sales Russia > Moscow office; Sales Italy. People of every role. Counterparties of each
manager, VIP and not, one shared, one with nobody responsible; on each of them one record of every kind.
Every record carries a unique marker in its visible text ("XCP03X", "XIN03X", ...), so a page or an API
answer can be searched for what it must and must not show.

The reference rules below are deliberately written without the policy module: they restate the issue's
rules, and the tests check that `access.policy` (and every page built on it) agrees with them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from raccordo.access.models import CounterpartyShare, CustomRole, Department, User
from raccordo.activities.models import Complaint, Interaction, Reminder, Task
from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Payment
from tests import factories

# --- The rules, restated ---------------------------------------------------------------------------------------

EVERYTHING = {"counterparties", "deals", "invoices", "payments", "activities"}
# role -> (object types it views, scope, sees VIP)
REFERENCE_ROLES = {
    "admin": (EVERYTHING, "all", True),
    "head": (EVERYTHING, "department", False),
    "manager": (EVERYTHING, "own", False),
    "marketer": ({"counterparties", "activities"}, "all", False),
    "accountant": ({"counterparties", "deals", "invoices", "payments"}, "all", False),
}
# role -> object types it may export
REFERENCE_EXPORTS = {"admin": EVERYTHING, "head": EVERYTHING, "manager": EVERYTHING, "marketer": {"counterparties"},
                     "accountant": {"invoices", "payments"}}
KIND_SUBJECT = {"counterparty": "counterparties", "contact": "counterparties", "deal": "deals", "invoice": "invoices",
                "payment": "payments", "task": "activities", "interaction": "activities", "complaint": "activities",
                "reminder": "activities"}


@dataclass
class Person:
    """What the reference rules know about a user."""

    name: str
    subjects: set[str]
    scope: str
    vip: bool
    departments: set[str] = field(default_factory=set)   # the departments they head (own and below)
    exports: set[str] = field(default_factory=set)


@dataclass
class Client:
    """What the reference rules know about a counterparty."""

    responsible: str | None
    responsible_department: str | None
    vip: bool
    shared_with: set[str] = field(default_factory=set)


def sees_client(person: Person, client: Client) -> bool:
    if "counterparties" not in person.subjects:
        return False
    own = client.responsible is not None and client.responsible == person.name
    head = own or (person.scope == "department" and client.responsible_department in person.departments)
    if client.vip and not (person.vip or head):
        return False
    return person.scope == "all" or head or person.name in client.shared_with


def sees(person: Person, kind: str, client: Client | None, owners: tuple = (),
         owner_departments: tuple = ()) -> bool:
    """May `person` see a record of `kind` hanging off `client` (or, without one, owned by `owners`)?"""
    if KIND_SUBJECT[kind] not in person.subjects:
        return False
    if client is not None:
        return sees_client(person, client)
    if person.scope == "all":
        return True
    if person.name in owners:
        return True
    return person.scope == "department" and any(d in person.departments for d in owner_departments if d)


def exports(person: Person, kind: str, client: Client) -> bool:
    return KIND_SUBJECT[kind] in person.exports and sees(person, kind, client)


# --- The company -----------------------------------------------------------------------------------------------

def subtree(name: str, parents: dict[str, str | None]) -> set[str]:
    found = {name}
    changed = True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                changed = True
    return found


@dataclass
class Record:
    kind: str
    obj: object
    marker: str
    client: Client | None
    owners: tuple = ()
    owner_departments: tuple = ()


@dataclass
class World:
    users: dict[str, User]
    people: dict[str, Person]
    counterparties: dict[str, Counterparty]
    records: list[Record]

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def visible_to(self, username: str, kind: str) -> list[Record]:
        person = self.people[username]
        return [r for r in self.of_kind(kind) if sees(person, kind, r.client, r.owners, r.owner_departments)]

    def hidden_from(self, username: str) -> list[Record]:
        person = self.people[username]
        return [r for r in self.records if not sees(person, r.kind, r.client, r.owners, r.owner_departments)]


DEPARTMENTS = {"Sales Russia": None, "Moscow office": "Sales Russia", "Sales Italy": None}
# username -> (role, department or None)
STAFF = {
    "root": ("admin", None),
    "elena": ("head", "Sales Russia"),
    "olga": ("head", "Moscow office"),
    "anna": ("manager", "Sales Russia"),
    "dmitry": ("manager", "Sales Russia"),
    "ivan": ("manager", "Moscow office"),
    "giulia": ("head", "Sales Italy"),
    "marco": ("manager", "Sales Italy"),
    "mara": ("marketer", None),
    "boris": ("accountant", None),
    "vera": ("custom", None),   # an auditor: counterparties and invoices, everything, VIP included
}
CUSTOM_ROLE = {"subjects": {"counterparties", "invoices"}, "scope": "all", "vip": True}
# counterparty key -> (responsible or None, VIP, shared with)
CLIENTS = {
    1: ("anna", False, ()), 2: ("anna", True, ()), 3: ("dmitry", False, ()), 4: ("ivan", False, ()),
    5: ("ivan", True, ()), 6: ("marco", False, ()), 7: ("marco", True, ()), 8: ("marco", False, ("anna",)),
    9: (None, False, ()),
}
# personal tasks (no counterparty): key -> assignee
PERSONAL_TASKS = {1: "anna", 2: "ivan", 3: "marco"}


def build_world(ref: dict) -> World:
    from raccordo.parties.models import BankAccount

    # Printed invoices need the own company's bank account.
    BankAccount.objects.get_or_create(own_company=ref["own_company"], defaults={
        "bank_name": "Sberbank", "bic": "044525225", "correspondent_account": "30101810400000000225",
        "account_number": "40702810938000000001"})
    departments = {}
    for name, parent in DEPARTMENTS.items():
        departments[name] = Department.objects.create(name=name, parent=departments.get(parent))
    auditor = CustomRole.objects.create(name="Auditor", scope="all", view_vip=True,
                                        permissions={"counterparties": ["view"], "invoices": ["view"],
                                                     "catalog": ["view"], "reference": ["view"]})
    users, people = {}, {}
    for username, (role, department) in STAFF.items():
        user = factories.UserFactory(
            username=username, first_name=username.capitalize(), last_name="Test",
            role="manager" if role == "custom" else role, department=departments.get(department),
            custom_role=auditor if role == "custom" else None, is_staff=role == "admin", is_superuser=False)
        users[username] = user
        if role == "custom":
            subjects, scope, vip = CUSTOM_ROLE["subjects"], CUSTOM_ROLE["scope"], CUSTOM_ROLE["vip"]
            export = set()
        else:
            subjects, scope, vip = REFERENCE_ROLES[role]
            export = REFERENCE_EXPORTS[role]
        heads = subtree(department, DEPARTMENTS) if department and scope == "department" else set()
        people[username] = Person(username, set(subjects), scope, vip, heads, set(export))

    now, today = timezone.now(), timezone.localdate()
    counterparties, records = {}, []
    for key, (owner, vip, shared) in CLIENTS.items():
        responsible = users.get(owner) if owner else None
        cp = factories.CounterpartyFactory(name=f"XCP{key:02d}X", full_name="", responsible=responsible, is_vip=vip)
        for colleague in shared:
            CounterpartyShare.objects.create(counterparty=cp, user=users[colleague])
        counterparties[key] = cp
        client = Client(owner, STAFF[owner][1] if owner else None, vip, set(shared))

        def add(kind, obj, marker, client=client):
            records.append(Record(kind, obj, marker, client))

        add("counterparty", cp, cp.name)
        add("contact", factories.ContactPersonFactory(counterparty=cp, first_name="Pat", last_name=f"XCT{key:02d}X"),
            f"XCT{key:02d}X")
        add("deal", factories.deal_for(cp, ref, title=f"XDL{key:02d}X", amount=Decimal(key)), f"XDL{key:02d}X")
        add("invoice", Invoice.objects.create(
            own_company=ref["own_company"], counterparty=cp, number=f"XIN{key:02d}X", date=today,
            due_date=today - dt.timedelta(days=1), status=InvoiceStatus.ISSUED, total=Decimal(2 ** key),
            subtotal=Decimal(2 ** key), responsible=responsible), f"XIN{key:02d}X")
        add("payment", Payment.objects.create(counterparty=cp, date=today, amount=Decimal("1"),
                                              number=f"XPY{key:02d}X"), f"XPY{key:02d}X")
        add("task", Task.objects.create(title=f"XTK{key:02d}X", counterparty=cp, assignee=responsible or users["root"],
                                        author=responsible), f"XTK{key:02d}X")
        add("interaction", Interaction.objects.create(counterparty=cp, subject=f"XIA{key:02d}X", occurred_at=now,
                                                      author=responsible), f"XIA{key:02d}X")
        add("complaint", Complaint.objects.create(counterparty=cp, subject=f"XCM{key:02d}X", received_at=now,
                                                  responsible=responsible), f"XCM{key:02d}X")
        add("reminder", Reminder.objects.create(counterparty=cp, subject=f"XRM{key:02d}X", start_at=now,
                                                user=responsible or users["root"]), f"XRM{key:02d}X")
    for key, assignee in PERSONAL_TASKS.items():
        task = Task.objects.create(title=f"XTP{key:02d}X", assignee=users[assignee], author=users[assignee])
        records.append(Record("task", task, f"XTP{key:02d}X", None, (assignee,), (STAFF[assignee][1],)))
    return World(users, people, counterparties, records)


MODELS = {"counterparty": Counterparty, "contact": ContactPerson, "deal": Deal, "invoice": Invoice,
          "payment": Payment, "task": Task, "interaction": Interaction, "complaint": Complaint, "reminder": Reminder}
