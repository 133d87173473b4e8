"""The access policy on segments and mass e-mail.

A segment is a saved question about clients: whoever may view counterparties may keep segments, and each viewer
gets the answer over the clients they see (a manager's count covers their clients only). A segment belongs to
its owner (heads reach their team's, administrators all), like any record with owners (access.rules). Writing to
a segment's clients in bulk is an activity on each card: the same right as a mass SMS.
"""

from __future__ import annotations

from .rows import allows, can


def may_use_segments(user) -> bool:
    """May `user` keep segments (and see the segments pages)?"""
    return allows(user, "view", "counterparties")


def can_edit_segment(user, segment) -> bool:
    """May `user` change or delete this segment?"""
    return can(user, "change", segment)


def may_mass_email(user) -> bool:
    """May `user` send one template to a segment of the clients they see?"""
    return allows(user, "add", "activities") and allows(user, "view", "counterparties")
