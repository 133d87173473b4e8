"""What the steps of the small demo share: the reference data, the random source, today, and what earlier
steps made (counterparties, their contacts, deals) for later steps to build on."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from raccordo.parties.models import Counterparty
from raccordo.sales.models import Deal

from ..generators import it_mobile, ru_mobile
from ..reference import Reference


class DemoState:
    """The demo company being built; each step reads and extends it, in the order `DemoCompany.run` gives."""

    def __init__(self, *, ref: Reference, rnd: random.Random, log=None):
        self.ref, self.rnd, self.log = ref, rnd, log or (lambda msg: None)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.phone_no = 0
        self.counterparties: list[Counterparty] = []
        self.contacts: dict = {}
        self.deals: list[Deal] = []
        # (model, primary key, when): creation times to spread over the past once everything exists.
        self.backdate: list[tuple[type, object, dt.datetime]] = []

    def at(self, day: dt.date, hour: int | None = None) -> dt.datetime:
        """A moment in working hours on `day`, in the installation's time zone."""
        hour = hour if hour is not None else self.rnd.randint(9, 17)
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rnd.choice([0, 10, 15, 30, 45]))))

    def days_ago(self, lo: int, hi: int) -> dt.date:
        """A day between `hi` and `lo` days before today."""
        return self.today - dt.timedelta(days=self.rnd.randint(lo, hi))

    def next_phone(self, italian: bool) -> str:
        """A mobile number never given out before in this demo."""
        self.phone_no += 1
        return it_mobile(self.phone_no * 7 + 5) if italian else ru_mobile(self.phone_no * 17 + 3)

    def apply_backdating(self) -> None:
        """Spread creation times over the past, as if the records had been made day by day.

        Only `created_at` moves (the journal keeps the true time of writing); a plain UPDATE, as this
        is bookkeeping of the seeding itself, not a business change.
        """
        for model, pk, when in self.backdate:
            model.objects.filter(pk=pk).update(created_at=when)
