"""Write services for contracts with counterparties."""

from __future__ import annotations

from typing import Any

from raccordo.access.records import record_create, record_update

from ..models import Contract

CONTRACT_FIELDS = ("counterparty", "own_company", "number", "date", "title", "currency", "valid_until")


def contract_create(*, user, data: dict[str, Any]) -> Contract:
    """Register a contract with a counterparty."""
    return record_create(Contract, user=user, data=data, fields=CONTRACT_FIELDS)


def contract_update(*, user, contract: Contract, data: dict[str, Any]) -> Contract:
    """Change a contract's number, date, title, currency or term; an unchanged contract writes nothing."""
    return record_update(contract, user=user, data=data, fields=CONTRACT_FIELDS)
