"""Who of a mass send's members gets a message: the sorting the mass e-mail and the mass SMS share."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sorted:
    """The members that get a message (their address entries, in the members' order) and why the rest do not."""

    recipients: list = field(default_factory=list)
    no_address: int = 0
    opted_out: int = 0
    bounced: int = 0
    duplicates: int = 0


def sort_members(ids, found: dict, *, address, refused: set, bounced: frozenset | set = frozenset()) -> Sorted:
    """Walk `ids` in order: a member without an entry in `found` has no address; an entry whose `address(entry)`
    opted out (`refused`), bounced too often (`bounced`) or was already taken by an earlier member is left out;
    every other entry is a recipient (two members sharing one address get one message)."""
    result, seen = Sorted(), set()
    for pk in ids:
        entry = found.get(pk)
        if entry is None:
            result.no_address += 1
            continue
        value = address(entry)
        if value in refused:
            result.opted_out += 1
        elif value in bounced:
            result.bounced += 1
        elif value in seen:
            result.duplicates += 1
        else:
            seen.add(value)
            result.recipients.append((pk, entry))
    return result
