"""Time-ordered UUID primary keys: one identity in URLs, API, exchange files and branches."""

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A UUIDv7: sortable by creation time, so B-tree inserts stay local.

    uuid6's UUID is a subclass of uuid.UUID; it is returned as it is because an import makes
    hundreds of thousands of keys and building each one twice shows in the profile.
    """
    return uuid6.uuid7()


def parse_uuid(value) -> uuid.UUID | None:
    """`value` (text from a URL, a form or a file) as a UUID, or None when it is not one.

    The one answer to "is this an id?": callers test it for None instead of catching ValueError each time.
    """
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
