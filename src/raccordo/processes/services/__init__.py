"""Write services of business processes and automation rules.

`instances` runs processes (start, advance, cancel, escalate), `automation` reads the change journal and fires
rules, `actions` is what a rule does, `setup` saves templates, rules and the holiday list (administrators).
"""

from .automation import (
           RULE_MARK,
           TRIGGER_MODELS,
           PassResult,
           automation_pass,
           fire,
           journal_pass,
           triggers_of,
)
from .instances import process_advance, process_cancel, process_start, steps_escalate_overdue
from .setup import holidays_set, rule_save, rule_switch, template_save

__all__ = ["RULE_MARK", "TRIGGER_MODELS", "PassResult", "automation_pass", "fire", "holidays_set", "journal_pass",
           "process_advance", "process_cancel", "process_start", "rule_save", "rule_switch", "steps_escalate_overdue",
           "template_save", "triggers_of"]
