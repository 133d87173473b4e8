"""The access policy on telephony: what a ringing phone may tell its employee, who places calls, who configures.

A call rings at a desk whatever the policy says, so the pop-up always appears; what it shows of the client is
decided here: the card only to someone who may see that counterparty, otherwise "a client you do not have
access to" (a VIP client's name, manager, deals and invoices stay hidden).
"""

from __future__ import annotations

from .people import may_configure
from .rows import _active, allows, can


def call_party_visible(user, counterparty) -> bool:
    """May `user` be shown who is calling (the matched counterparty, its manager, deals, invoices)?"""
    return counterparty is not None and can(user, "view", counterparty)


def may_place_call(user, *, extension: str, counterparty=None) -> bool:
    """May `user` dial a client from Raccordo? They need an extension of their own, the right to log
    activities, and, when the number is a client's, to see that client (no dialling a hidden VIP by its id)."""
    if not _active(user) or not extension or not allows(user, "add", "activities"):
        return False
    return counterparty is None or can(user, "view", counterparty)


def may_configure_telephony(user) -> bool:
    """The PBX connection, webhook secrets and everyone's extensions: administrators only."""
    return may_configure(user)
