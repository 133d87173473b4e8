"""The access policy on SMS: who may text a client, who may start a mass send.

A message to a client is an activity on its card: whoever may add activities and sees the client may text it
(a VIP client hidden from a manager cannot be texted by that manager, nor be in their mass send's segment, which
is built from the counterparties they see). The provider's settings are the administrators' (`may_configure`).
"""

from __future__ import annotations

from .rows import allows, can


def can_send_sms(user, counterparty) -> bool:
    """May `user` send an SMS to (or record an SMS opt-out for) this client?"""
    return allows(user, "add", "activities") and counterparty is not None and can(user, "view", counterparty)


def may_mass_send(user) -> bool:
    """May `user` send one text to a segment of the clients they see?"""
    return allows(user, "add", "activities") and allows(user, "view", "counterparties")
