"""What HR (1C:ZUP) tells Raccordo: which user is which person, which department is which unit, absences, vacancies.

Departments and users themselves stay the access tree's own (`access.Department`, `access.User`); these tables
only remember HR's identifiers for them, so that a re-sent document finds the same rows instead of new ones.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel


class DepartmentLink(BaseModel):
    """An HR unit (its GUID in 1C) and the department of the access tree it landed in."""

    unit_id = models.CharField(_("HR unit id"), max_length=64, unique=True)
    department = models.OneToOneField("access.Department", on_delete=models.CASCADE, related_name="hr_link",
                                      verbose_name=_("department"))
    hr_name = models.CharField(_("name in HR"), max_length=255, blank=True)
    head = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+", verbose_name=_("head in HR"))
    removed_in_hr = models.BooleanField(_("removed in HR"), default=False,
                                        help_text=_("HR marked it deleted; Raccordo keeps the department (people "
                                                    "and records may still hang off it)."))

    class Meta:
        verbose_name = _("HR department link")
        verbose_name_plural = _("HR department links")

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.department}"


class Employee(BaseModel):
    """A person of HR (the GUID of 1C's "individual") and the Raccordo user who is that person.

    `employments` remembers each employment ("Сотрудник": main job, internal second job) by its id:
    {employee_id: {"department": unit id, "position": title}}; the user's position and department are
    computed from all of them, and the user is dismissed when the last one ends.
    """

    person_id = models.CharField(_("HR person id"), max_length=64, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hr_employee",
                                verbose_name=_("user"))
    employments = models.JSONField(_("employments"), default=dict, blank=True)
    position = models.CharField(_("position"), max_length=255, blank=True)
    birth_date = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=1, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=32, blank=True)
    inner_phone = models.CharField(_("internal phone"), max_length=32, blank=True)
    photo = models.CharField(_("photo file"), max_length=500, blank=True)
    dismissed_on = models.DateField(_("dismissed on"), null=True, blank=True)
    # Set when a dismissal switched an active account off, so that a rehire switches it on again (an account
    # an administrator never activated stays inactive).
    deactivated_by_hr = models.BooleanField(default=False)
    handover_pending = models.BooleanField(
        _("clients to hand over"), default=False,
        help_text=_("Dismissed while responsible for clients: the administrator is asked to reassign them."))

    class Meta:
        verbose_name = _("employee (HR)")
        verbose_name_plural = _("employees (HR)")

    def __str__(self) -> str:
        return f"{self.user} ({self.person_id})"


class AbsenceKind(models.TextChoices):
    VACATION = "vacation", _("Vacation")
    TRIP = "trip", _("Business trip")
    SICK = "sick", _("Sick leave")
    MATERNITY = "maternity", _("Maternity leave")
    UNPAID = "unpaid", _("Leave without pay")
    TRUANCY = "truancy", _("Absence without reason")
    PERSONAL = "personal", _("Personal")
    OTHER = "other", _("Other absence")


class Absence(BaseModel):
    """A period a user is away, as HR recorded it; `external_id` makes a re-sent record update, not duplicate."""

    external_id = models.CharField(_("HR id"), max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="absences",
                             verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=16, choices=AbsenceKind.choices, default=AbsenceKind.OTHER)
    hr_code = models.CharField(_("code in HR"), max_length=100, blank=True)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["starts_on"]
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"], name="staff_absence_user_dates")]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class Vacancy(BaseModel):
    """An open position HR is hiring for; closed when HR says so (kept, with the date it closed)."""

    position_id = models.CharField(_("HR position id"), max_length=255, unique=True)
    title = models.CharField(_("title"), max_length=255)
    department = models.ForeignKey("access.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="vacancies", verbose_name=_("department"))
    description = models.TextField(_("description"), blank=True)
    opened_on = models.DateField(_("opened"), null=True, blank=True)
    closed_on = models.DateField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("vacancy")
        verbose_name_plural = _("vacancies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class StaffEvent(BaseModel):
    """A staff movement HR reported (hired, moved, dismissed), keyed by HR's assignment id: the state history."""

    external_id = models.CharField(_("HR id"), max_length=255, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_events",
                             verbose_name=_("user"))
    state = models.CharField(_("state"), max_length=16)
    on = models.DateField(_("date"), null=True, blank=True)
    department = models.ForeignKey("access.Department", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    position = models.CharField(_("position"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("staff movement")
        verbose_name_plural = _("staff movements")
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"{self.user} {self.state} {self.on}"
