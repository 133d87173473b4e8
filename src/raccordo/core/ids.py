"""Time-ordered UUID primary keys: one identity in URLs, API, exchange files and branches."""

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A UUIDv7: sortable by creation time, so B-tree inserts stay local."""
    return uuid.UUID(int=uuid6.uuid7().int)
