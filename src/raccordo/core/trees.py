"""Records arranged in a tree by a `parent` foreign key (product groups, departments)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models


def refuse_cycle(node: models.Model, message, *, field: str = "parent") -> None:
    """Raise a ValidationError on `field` when `node` would end up among its own ancestors."""
    ancestor, seen = getattr(node, field), {node.pk}
    while ancestor is not None:
        if ancestor.pk in seen:
            raise ValidationError({field: message})
        seen.add(ancestor.pk)
        ancestor = getattr(ancestor, field)
