"""Forms of a head's work with her team: handing clients and deals to another of her people."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from . import reference

# One page of a list is the most a selection carries; more ids than this are not a click on a list.
SELECTION_LIMIT = 200


class ReassignForm(forms.Form):
    """The selected records (ids from the list) and the colleague who takes them over; the service decides."""

    ids = forms.TypedMultipleChoiceField(coerce=str, widget=forms.MultipleHiddenInput)
    to_user = forms.ModelChoiceField(queryset=None, label=_("Give them to"), empty_label=None)
    with_open_work = forms.BooleanField(
        label=_("Their open deals and tasks follow"), required=False, initial=True,
        help_text=_("The previous responsible's open deals and open tasks on these clients go to the same person."))

    def __init__(self, *args, user, selected, clients: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(str(r.pk), str(r.pk)) for r in selected]
        self.fields["to_user"].queryset = reference.assignable_users(user).order_by("last_name", "first_name",
                                                                                     "username")
        if not clients:
            del self.fields["with_open_work"]
