"""Time-ordered UUID primary keys: one identity in URLs, API, exchange files and branches."""

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A UUIDv7: sortable by creation time, so B-tree inserts stay local.

    uuid6's UUID is a subclass of uuid.UUID; it is returned as it is because an import makes
    hundreds of thousands of keys and building each one twice shows in the profile.
    """
    return uuid6.uuid7()
