"""The small demo: ~40 counterparties and a believable two months of work, written through the services.

Every record goes through the same service the UI uses, so the change journal is filled and every
invariant (valid tax ids, E.164 phones, invoice totals, numbering, payment allocation) holds.
Dates are relative to today; the content is the same for the same seed.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from raccordo.access.models import User
from raccordo.activities import services as activities
from raccordo.activities.models import Complaint, Interaction, Task, TaskStatus
from raccordo.parties import services as parties
from raccordo.parties.models import ContactPerson, Counterparty
from raccordo.sales import services as sales
from raccordo.sales.models import Deal, Invoice, InvoiceStatus, Stage, StageKind

from . import data
from .generators import (
    RU_REGIONS,
    inn10_from_body,
    inn12_from_body,
    it_mobile,
    kpp_for,
    latin_slug,
    ogrn_from,
    ogrnip_from,
    partita_iva_from_body,
    ru_account,
    ru_mobile,
)
from .reference import Reference

ZERO = Decimal("0")


class DemoCompany:
    """Builds the demo company step by step; `run()` returns the counts of what it made."""

    def __init__(self, *, ref: Reference, rnd: random.Random, log=None):
        self.ref, self.rnd, self.log = ref, rnd, log or (lambda msg: None)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.phone_no = 0
        self.counterparties: list[Counterparty] = []
        self.contacts: dict = {}
        self.deals: list[Deal] = []
        self.backdate: list[tuple[type, object, dt.datetime]] = []

    # --- helpers --------------------------------------------------------------------------------------------------
    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        """A moment in working hours on `day`, in the installation's time zone."""
        hour = hour if hour is not None else self.rnd.randint(9, 17)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rnd.choice([0, 10, 15, 30, 45]))))

    def days_ago(self, lo: int, hi: int) -> dt.date:
        return self.today - dt.timedelta(days=self.rnd.randint(lo, hi))

    def next_phone(self, italian: bool) -> str:
        self.phone_no += 1
        return it_mobile(self.phone_no * 7 + 5) if italian else ru_mobile(self.phone_no * 17 + 3)

    def manager_for(self, index: int) -> User:
        return self.ref.managers[index % len(self.ref.managers)]

    # --- departments ----------------------------------------------------------------------------------------------
    def create_departments(self) -> None:
        """Two sales departments: the head sees hers and the departments below; VIP clients stay with theirs."""
        from raccordo.access.models import Department

        for name, usernames in (("Sales Russia", ["elena", "anna", "dmitry"]), ("Sales Italy", ["giulia", "marco"])):
            department, _created = Department.objects.get_or_create(name=name)
            User.objects.filter(username__in=usernames, department__isnull=True).update(department=department)

    # --- counterparties -------------------------------------------------------------------------------------------
    def create_counterparties(self) -> None:
        rnd, ref = self.rnd, self.ref
        russian_managers = [m for m in ref.managers if m.language != "it"] or ref.managers
        italian_managers = [m for m in ref.managers if m.language == "it"] or ref.managers
        for i, (name, kind) in enumerate(data.RU_COMPANIES):
            city, region, address, postcode = data.RU_CITIES[i % len(data.RU_CITIES)]
            manager = russian_managers[i % len(russian_managers)]
            serial = 1_000_000 + i * 7919
            values = {"kind": kind, "name": name, "country": "RU", "responsible": manager,
                      "segment": rnd.choice(["wholesale", "installers", "developers"])}
            if kind == "legal":
                inn = inn10_from_body(f"{region}{rnd.randint(1, 99):02d}{serial % 100000:05d}")
                values.update(full_name=f"ООО «{name}»", inn=inn, kpp=kpp_for(inn),
                              ogrn=ogrn_from(year=rnd.randint(2005, 2022), region=region, serial=serial),
                              website=f"https://{latin_slug(name)}.example")
            else:
                values.update(full_name=name, inn=inn12_from_body(f"{region}{rnd.randint(1, 99):02d}{serial % 1_000_000:06d}"))
                if kind == "sole_trader":
                    values["ogrn"] = ogrnip_from(year=rnd.randint(2010, 2023), region=region, serial=serial)
            if i % 5 == 1:
                values["price_type"] = ref.price_types["retail"]
            values["is_vip"] = i in (0, 4, 9)
            tags = [ref.tags[t] for t in rnd.sample(["wholesale", "installer", "contractor", "MCE 2026"], k=rnd.randint(0, 2))]
            if values["is_vip"]:
                tags.append(ref.tags["key account"])
            domain = f"{latin_slug(name)}.example"
            cp = parties.counterparty_create(user=manager, data=values, tags=tags,
                                             phones=[self.next_phone(False)], emails=[f"info@{domain}"])
            parties.address_add(user=manager, counterparty=cp, data={
                "kind": "legal", "text": f"{postcode}, {address.format(n=rnd.randint(1, 120))}", "postcode": postcode,
                "city": city, "country": "RU"})
            if kind == "legal" and i % 3 == 0:
                parties.bank_account_add(user=manager, data={
                    "counterparty": cp, "bank_name": "АО «Альфа-Банк»", "bic": "044525593",
                    "correspondent_account": "30101810200000000593",
                    "account_number": ru_account(bic="044525593", serial=serial), "currency": "RUB"})
            self.counterparties.append(cp)
            self.backdate.append((Counterparty, cp.pk, self.at(self.days_ago(70, 700))))
        for j, (name, form) in enumerate(data.IT_COMPANIES):
            city, address, postcode, _n = data.IT_CITIES[j % len(data.IT_CITIES)]
            manager = italian_managers[j % len(italian_managers)]
            piva = partita_iva_from_body(f"{(j * 104729 + 3301) % 10_000_000:07d}", rnd.randint(1, 100))
            cp = parties.counterparty_create(user=manager, data={
                "kind": "legal", "name": name, "full_name": f"{name} {form}", "country": "IT", "vat_number": piva,
                "tax_code": piva, "responsible": manager, "price_type": ref.price_types["eur"],
                "website": f"https://www.{latin_slug(name)}.example", "is_vip": j == 4,
                "segment": rnd.choice(["installers", "distributors"])},
                tags=[ref.tags[t] for t in rnd.sample(["distributor", "installer", "Aquatherm 2026"], k=rnd.randint(0, 2))],
                phones=[self.next_phone(True)], emails=[f"info@{latin_slug(name)}.example"])
            parties.address_add(user=manager, counterparty=cp, data={
                "kind": "legal", "text": address.format(n=rnd.randint(1, 90)), "postcode": postcode, "city": city,
                "country": "IT"})
            if j % 2 == 0:
                parties.bank_account_add(user=manager, data={
                    "counterparty": cp, "bank_name": "UniCredit S.p.A.", "bic": "UNCRITMM",
                    "iban": _it_iban(j), "currency": "EUR"})
            self.counterparties.append(cp)
            self.backdate.append((Counterparty, cp.pk, self.at(self.days_ago(70, 700))))
        # An Italian plumber working on his own: a sole trader known by his codice fiscale.
        from stdnum.it import codicefiscale

        name, cf = data.IT_SOLE_TRADER
        manager = italian_managers[0]
        cp = parties.counterparty_create(user=manager, data={
            "kind": "sole_trader", "name": name, "full_name": name, "country": "IT", "responsible": manager,
            "tax_code": cf + codicefiscale.calc_check_digit(cf), "price_type": ref.price_types["eur"]},
            phones=[self.next_phone(True)], emails=["paolo.giordano@idraulico-giordano.example"])
        self.counterparties.append(cp)

    def create_contacts(self) -> None:
        rnd = self.rnd
        for cp in self.counterparties:
            italian = cp.country == "IT"
            if cp.kind == "individual":
                count = 0
            elif cp.kind == "sole_trader":
                count = 1
            else:
                count = rnd.choice([1, 2, 2, 3])
            self.contacts[cp.pk] = []
            for k in range(count):
                female = rnd.random() < 0.45
                if italian:
                    first = rnd.choice(data.IT_FEMALE if female else data.IT_MALE)
                    last, middle = rnd.choice(data.IT_SURNAMES), ""
                    position = data.IT_POSITIONS[k] if k < len(data.IT_POSITIONS) else rnd.choice(data.IT_POSITIONS)
                else:
                    first, middle = rnd.choice(data.RU_FEMALE if female else data.RU_MALE)
                    last = rnd.choice(data.RU_SURNAMES) + ("а" if female else "")
                    position = data.RU_POSITIONS[k] if k < len(data.RU_POSITIONS) else rnd.choice(data.RU_POSITIONS)
                domain = _domain(cp)
                birthday = None
                if rnd.random() < 0.5:
                    birthday = dt.date(rnd.randint(1965, 1995), rnd.randint(1, 12), rnd.randint(1, 28))
                contact = parties.contact_create(
                    user=cp.responsible, counterparty=cp,
                    data={"first_name": first, "last_name": last, "middle_name": middle, "position": position,
                          "role": data.CONTACT_ROLES[k % len(data.CONTACT_ROLES)], "birthday": birthday},
                    phones=[self.next_phone(italian)],
                    emails=[f"{latin_slug(first)}.{latin_slug(last)}@{domain}"])
                self.contacts[cp.pk].append(contact)

    # --- deals ------------------------------------------------------------------------------------------------------
    def _lines(self, cp: Counterparty, *, count: int) -> list[sales.LineInput]:
        ref, rnd = self.ref, self.rnd
        price_type = cp.price_type or ref.price_types["wholesale"]
        lines = []
        for product in rnd.sample(ref.products, k=count):
            price = ref.prices.get((product.pk, price_type.pk))
            if price is None:
                continue
            unit = product.unit.name if product.unit else "pcs"
            quantity = {"m": rnd.choice([50, 100, 250, 600]), "kg": rnd.choice([2, 5, 10]),
                        "service": 1}.get(unit, rnd.choice([1, 2, 4, 10, 20, 50]))
            if product.article.startswith(("BLR", "WH-", "PMP-BST")):
                quantity = rnd.choice([1, 2, 3])
            lines.append(sales.LineInput(product=product, quantity=Decimal(quantity), price=price,
                                         discount_percent=Decimal(rnd.choice([0, 0, 0, 3, 5, 7]))))
        return lines

    def create_deals(self) -> None:
        ref, rnd = self.ref, self.rnd
        plan = [("New", 6), ("Qualified", 5), ("Proposal", 6), ("Negotiation", 5), ("Won", 9), ("Lost", 4)]
        companies = [c for c in self.counterparties if c.kind != "individual"]
        order = list(range(len(self.counterparties)))
        rnd.shuffle(order)
        n = 0
        for stage_name, count in plan:
            stage = ref.stages.get(stage_name) or list(ref.stages.values())[0]
            for _ in range(count):
                cp = companies[order[n % len(order)] % len(companies)]
                n += 1
                self._deal(cp, ref.funnel, stage, ref.stages)
        if ref.project_funnel is not None:
            for stage in list(ref.project_stages.values()):
                cp = companies[order[n % len(order)] % len(companies)]
                n += 1
                self._deal(cp, ref.project_funnel, stage, ref.project_stages)

    def _deal(self, cp: Counterparty, funnel, stage: Stage, stages: dict[str, Stage]) -> Deal:
        rnd = self.rnd
        italian = cp.country == "IT"
        title = rnd.choice(data.DEAL_TITLES_IT if italian else data.DEAL_TITLES_RU)
        currency = (cp.price_type.currency if cp.price_type else "RUB")
        contacts = self.contacts.get(cp.pk) or [None]
        created = self.days_ago(3, 58)
        first = min(stages.values(), key=lambda s: s.order)
        deal = sales.deal_create(user=cp.responsible, data={
            "title": f"{title} — {cp.name}", "counterparty": cp, "contact": contacts[0], "funnel": funnel,
            "stage": first, "currency": currency,
            "expected_close": self.today + dt.timedelta(days=rnd.randint(-5, 45)) if stage.kind == StageKind.OPEN
            else None}, lines=self._lines(cp, count=rnd.randint(1, 4)))
        if stage.pk != first.pk:
            reason = rnd.choice(data.LOST_REASONS) if stage.kind == StageKind.LOST else ""
            deal = sales.deal_move(user=cp.responsible, deal=deal, stage=stage, lost_reason=reason)
        self.deals.append(deal)
        self.backdate.append((Deal, deal.pk, self.at(created)))
        return deal

    # --- invoices and payments --------------------------------------------------------------------------------------
    def create_invoices(self) -> dict[str, int]:
        ref, rnd = self.ref, self.rnd
        # (target status, how many): "overdue" is issued with its due date past.
        plan = (["paid"] * 8 + ["partly_paid"] * 4 + ["overdue"] * 4 + ["issued"] * 5 + ["draft"] * 4
                + ["cancelled"] * 1)
        won = [d for d in self.deals if d.stage.kind == StageKind.WON]
        negotiating = [d for d in self.deals if d.stage.kind == StageKind.OPEN and d.stage.order >= 2]
        companies = [c for c in self.counterparties if c.kind != "individual"]
        counts: dict[str, int] = {}
        for k, target in enumerate(plan):
            deal = None
            if target in ("paid", "partly_paid", "overdue") and won:
                deal = won.pop(0)  # one invoice per won deal; the rest are invoices without a deal
            elif target == "draft" and negotiating:
                deal = negotiating[k % len(negotiating)]
            cp = deal.counterparty if deal else companies[(k * 7) % len(companies)]
            italian = cp.country == "IT"
            own = ref.own_it if italian else ref.own_ru
            price_type = cp.price_type or ref.price_types["wholesale"]
            if target == "overdue":
                date = self.days_ago(20, 50)
                due = date + dt.timedelta(days=rnd.choice([5, 10, 14]))
            elif target in ("issued", "draft"):
                date = self.days_ago(0, 6)
                due = date + dt.timedelta(days=rnd.choice([10, 14, 30]))
            else:
                date = self.days_ago(8, 58)
                due = date + dt.timedelta(days=rnd.choice([5, 10, 14]))
            if deal is not None and deal.lines.exists():
                lines = [sales.LineInput(product=ln.product, description=ln.description, quantity=ln.quantity,
                                         price=ln.price, discount_percent=ln.discount_percent, vat_rate=ln.vat_rate)
                         for ln in deal.lines.all()]
            else:
                lines = self._lines(cp, count=rnd.randint(1, 3))
            user = cp.responsible
            invoice = sales.invoice_create(user=user, data={
                "own_company": own, "counterparty": cp, "deal": deal, "date": date, "due_date": due,
                "currency": price_type.currency, "vat_included": price_type.vat_included,
                "comment": "" if rnd.random() < 0.7 else "Отгрузка после оплаты" if not italian else
                "Consegna franco cantiere"}, lines=lines)
            self.backdate.append((Invoice, invoice.pk, self.at(date)))
            if target != "draft":
                invoice = sales.invoice_issue(user=user, invoice=invoice)
            if target == "cancelled":
                sales.invoice_cancel(user=user, invoice=invoice)
            elif target in ("paid", "partly_paid"):
                pay_day = min(self.today, date + dt.timedelta(days=rnd.randint(1, 12)))
                share = Decimal("1") if target == "paid" else Decimal(rnd.choice(["0.3", "0.5", "0.7"]))
                if target == "paid" and rnd.random() < 0.3:
                    # Paid in two instalments.
                    first = (invoice.total * Decimal("0.5")).quantize(Decimal("0.01"))
                    self._pay(invoice, first, pay_day, k)
                    self._pay(invoice, invoice.total - first, min(self.today, pay_day + dt.timedelta(days=4)), k + 100)
                else:
                    self._pay(invoice, (invoice.total * share).quantize(Decimal("0.01")), pay_day, k)
            counts[target] = counts.get(target, 0) + 1
        # An advance payment that no invoice has taken yet: shows up as an overpayment.
        cp = companies[3]
        sales.payment_record(user=cp.responsible, data={
            "counterparty": cp, "date": self.today - dt.timedelta(days=2), "amount": Decimal("150000.00"),
            "currency": "RUB", "number": "п/п 812", "comment": "Аванс по договору"}, auto_allocate=False)
        return counts

    def _pay(self, invoice: Invoice, amount: Decimal, day: dt.date, k: int) -> None:
        invoice = Invoice.objects.get(pk=invoice.pk)
        sales.payment_record(user=invoice.counterparty.responsible, data={
            "counterparty": invoice.counterparty, "date": day, "amount": amount, "currency": invoice.currency,
            "number": f"{'п/п ' if invoice.currency == 'RUB' else 'BON-'}{300 + k}",
            "comment": f"Оплата по счёту {invoice.number}" if invoice.currency == "RUB"
            else f"Pagamento fattura {invoice.number}"}, allocations=[(invoice, amount)])

    # --- activities -------------------------------------------------------------------------------------------------
    def create_activities(self) -> None:
        ref, rnd = self.ref, self.rnd
        kinds = [("call", data.CALL_SUBJECTS), ("email", data.EMAIL_SUBJECTS), ("meeting", data.MEETING_SUBJECTS),
                 ("note", data.NOTE_SUBJECTS)]
        deals_by_cp: dict = {}
        for d in self.deals:
            deals_by_cp.setdefault(d.counterparty_id, []).append(d)
        for cp in self.counterparties:
            for _ in range(rnd.randint(1, 5)):
                kind, subjects = rnd.choices(kinds, weights=[5, 3, 1, 1])[0]
                when = self.at(self.days_ago(0, 59))
                if when > self.now:
                    when = self.now - dt.timedelta(minutes=rnd.randint(5, 120))
                contacts = self.contacts.get(cp.pk) or [None]
                interaction = activities.interaction_log(user=cp.responsible, data={
                    "kind": kind, "direction": rnd.choice(["in", "out", "out"]) if kind in ("call", "email") else "out",
                    "counterparty": cp, "contact": rnd.choice(contacts),
                    "deal": rnd.choice(deals_by_cp[cp.pk]) if cp.pk in deals_by_cp and rnd.random() < 0.5 else None,
                    "subject": rnd.choice(subjects), "occurred_at": when,
                    "duration_seconds": rnd.randint(40, 900) if kind == "call" else None,
                    "outcome": rnd.choice(data.OUTCOMES) if kind in ("call", "meeting") else ""})
                self.backdate.append((Interaction, interaction.pk, when))

        # Tasks: overdue, due today, upcoming, done; a few set by the head of sales.
        plan = ["overdue"] * 6 + ["today"] * 5 + ["upcoming"] * 9 + ["done"] * 6
        for k, when in enumerate(plan):
            cp = self.counterparties[(k * 5) % len(self.counterparties)]
            deal = next((d for d in self.deals if d.counterparty_id == cp.pk), None)
            if when == "overdue":
                due = self.at(self.today - dt.timedelta(days=rnd.randint(1, 6)))
            elif when == "today":
                due = self.at(self.today, hour=rnd.choice([10, 12, 15, 17]))
            elif when == "upcoming":
                due = self.at(self.today + dt.timedelta(days=rnd.randint(1, 14)))
            else:
                due = self.at(self.today - dt.timedelta(days=rnd.randint(1, 20)))
            by_head = ref.head is not None and k % 7 == 0
            task = activities.task_create(user=None if by_head else cp.responsible, data={
                "title": rnd.choice(data.TASK_TITLES), "assignee": cp.responsible,
                "author": ref.head if by_head else cp.responsible, "counterparty": cp, "deal": deal,
                "due_at": due, "priority": rnd.choice(["normal", "normal", "high", "low"]),
                "description": "Поставлено руководителем отдела продаж" if by_head else ""})
            if when == "done":
                activities.task_update(user=cp.responsible, task=task, data={"status": TaskStatus.DONE})
            elif when == "today" and k % 2 == 0:
                activities.task_update(user=cp.responsible, task=task, data={"status": TaskStatus.IN_PROGRESS})
            self.backdate.append((Task, task.pk, min(due, self.now) - dt.timedelta(days=rnd.randint(1, 5))))
        # Personal tasks with no client (internal work).
        for manager in ref.managers:
            activities.task_create(user=manager, data={
                "title": "Обновить прогноз продаж на месяц" if manager.language != "it" else
                "Aggiornare il forecast mensile", "due_at": self.at(self.today + dt.timedelta(days=3))})

        # Reminders: chase the overdue invoices, call back, a contact's birthday.
        overdue = Invoice.objects.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTLY_PAID],
                                         due_date__lt=self.today).select_related("counterparty").order_by("number")
        for invoice in overdue:
            activities.reminder_create(user=invoice.counterparty.responsible, target=invoice, data={
                "subject": f"Payment overdue: {invoice.number}", "start_at": self.at(self.today, hour=10),
                "importance": "high"})
        for cp in self.counterparties[:4]:
            activities.reminder_create(user=cp.responsible, target=cp, data={
                "counterparty": cp, "subject": f"Перезвонить: {cp.name}" if cp.country == "RU" else f"Richiamare {cp.name}",
                "start_at": self.at(self.today + dt.timedelta(days=rnd.randint(0, 3))), "importance": "normal"})
        contact = ContactPerson.objects.filter(counterparty__in=self.counterparties).order_by("last_name").first()
        if contact is not None:
            birthday = self.today + dt.timedelta(days=2)
            parties.contact_update(user=None, contact=contact,
                                   data={"birthday": dt.date(1980, birthday.month, min(birthday.day, 28))})
            activities.reminder_create(user=contact.counterparty.responsible, target=contact, data={
                "subject": f"Birthday: {contact}", "start_at": self.at(self.today + dt.timedelta(days=1), hour=9),
                "periodicity": "once", "importance": "low"})

        # Complaints.
        statuses = ["new", "in_progress", "resolved"]
        for k, (subject, description) in enumerate(data.COMPLAINTS):
            cp = self.counterparties[[1, 25, 7][k] % len(self.counterparties)]
            received = self.at(self.days_ago(2, 20))
            complaint = activities.complaint_register(user=cp.responsible, data={
                "counterparty": cp, "subject": subject, "description": description, "received_at": received,
                "deadline": received.date() + dt.timedelta(days=10)})
            if statuses[k] != "new":
                activities.complaint_update(user=cp.responsible, complaint=complaint, data={
                    "status": statuses[k],
                    "resolution": "Replaced free of charge; credit note issued." if statuses[k] == "resolved" else ""})
            self.backdate.append((Complaint, complaint.pk, received))

    def apply_backdating(self) -> None:
        """Spread creation times over the past, as if the records had been made day by day.

        Only `created_at` moves (the journal keeps the true time of writing); a plain UPDATE, as this
        is bookkeeping of the seeding itself, not a business change.
        """
        for model, pk, when in self.backdate:
            model.objects.filter(pk=pk).update(created_at=when)

    def run(self) -> dict[str, int]:
        steps = [("departments", self.create_departments), ("counterparties", self.create_counterparties),
                 ("contacts", self.create_contacts),
                 ("deals", self.create_deals), ("invoices and payments", self.create_invoices),
                 ("interactions, tasks, reminders, complaints", self.create_activities)]
        invoice_counts: dict[str, int] = {}
        for label, step in steps:
            self.log(f"  {label}...")
            result = step()
            if label.startswith("invoices"):
                invoice_counts = result
        self.apply_backdating()
        return invoice_counts


def _domain(cp: Counterparty) -> str:
    if cp.website:
        return cp.website.split("//", 1)[-1].removeprefix("www.")
    return f"{latin_slug(cp.name) or 'mail'}.example"


def _it_iban(j: int) -> str:
    from .generators import italian_iban

    return italian_iban(abi="02008", cab=f"{1600 + j * 7:05d}", account=f"{(j * 7919 + 104) % 10**12:012d}")


__all__ = ["RU_REGIONS", "DemoCompany"]
