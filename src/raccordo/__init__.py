"""Raccordo: an open-source CRM that stays in step with the accounting system."""

__version__ = "0.1.0"
