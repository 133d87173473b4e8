"""Cron schedules of exchange tasks: moved to `raccordo.core.cron`, shared with the scheduled reports."""

from __future__ import annotations

from raccordo.core.cron import cron_next, cron_parse, cron_previous

__all__ = ["cron_next", "cron_parse", "cron_previous"]
