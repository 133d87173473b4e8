"""The access policy: the one place that decides who sees and changes which records.

    visible(queryset, user, action="view") -> queryset narrowed to what `user` may `action`
    can(user, action, obj) -> bool
    require(user, action, obj) -> raises PermissionDenied
    allows(user, action, model_or_subject) -> may the user do `action` on some records of this type at all
    assignable_users(user) -> the colleagues `user` may give records (and tasks) to
    team_members(user) -> the people whose work `user` sees by scope (team filters and dashboard)
    node_visible(queryset, managers=...) / node_can(obj, managers=...) -> what an exchange node may see
        and change: the records of its managers' counterparties
    call_party_visible(user, counterparty) / may_place_call(user, extension=, counterparty=) -> telephony: what a
        ringing phone's pop-up may show, who dials a client
    can_share(user, counterparty) -> may `user` share this client with colleagues (or stop sharing it)
    can_merge(user) / can_request_access(user, counterparty) -> merging duplicates; asking for a hidden client
    visible_references(qs, user, ...) -> rows that name records by (type, id), narrowed to those records
        `user` sees (run items, change-journal entries of an exchange run)
    holds_role(user, names) -> is the user's effective role (built-in, or the custom role replacing it) named
    oversees_team(user) -> does the user lead other people's work (a head's dashboard)
    may_use_segments / can_edit_segment / may_mass_email -> segments of clients and mass e-mail to them
    may_plan / can_plan_for / plan_managers -> who sets whose sales plans (a head: her team but herself)
    may_schedule_reports / can_manage_scheduled_report / scheduled_reports_visible / report_viewers ->
        scheduled reports: heads for their team, administrators for all; whose access narrows the figures
    may_edit_processes / may_edit_rules / may_start_process / may_cancel_process -> business processes and
        automation rules; escalation_head(user) / role_holder(role, near=) -> who a late or a role's step goes to
    can_send_from(user, mailbox) -> may the user send mail from this mailbox (access.policy.mail decides
        mailboxes and messages: a rule's `scope` hands a model's rows to a function a policy module registers)
    may_send_from / mail_send_refused / mail_unknown_recipients -> writing from the CRM (mail.sending): from
        which mailbox, about which records, and which recipients need an explicit confirmation

Deny by default: a model that is not registered in RULES (declared in access.rules) (or whose rule names no subject) is invisible
to everyone but administrators. A user reaches a row when

1. their role (access.roles) grants the action on the rule's subject ("counterparties", "invoices", ...);
2. for rows hanging off a counterparty: they may view counterparties, and the counterparty is
   theirs (responsible), in their scope (department and below / all), or shared with them;
   a VIP counterparty additionally needs: theirs, their department's (they are the manager's head),
   or a role granted "view VIP". Everyone else simply does not see it: not in lists, not in counts.
   A share reaches the client for SHARE_GRANTS only (view, add, change, export): deleting it, or sharing
   it onward, stays with its responsible manager, their heads and roles that reach every client;
3. for rows with no counterparty: one of the owner fields is them (or in their scope).

Every selector, list, search, export, report and API endpoint goes through `visible`; services call
`require` before writing.
"""

from __future__ import annotations

# A package, one module per concern, so that each stays readable; everything is imported from here
# (`from raccordo.access.policy import visible`), and no other module decides access.
from ..roles import holds_role, role_name, role_names
from ..rules import ASSIGNMENT_FIELDS, RULES, Rule, rule_for
from ..subjects import ACTIONS
from .campaigns import may_manage_web_forms, may_plan_campaigns, may_view_roi, require_campaign_planner
from .documents import document_send_refused, may_generate_document, may_manage_templates
from .hr import (
    HR_NODE_KIND,
    hr_dismissal_applies,
    hr_handover_needed,
    hr_node_may_send,
    may_manage_staff,
    may_see_absence,
    may_take_clients_from,
    require_staff_manager,
)
from .mail import can_send_from, department_chain, mail_send_refused, mail_unknown_recipients, may_send_from
from .nodes import node_can, node_visible, onec_token_usable
from .operations import may_view_system, metrics_enabled, metrics_token_allows
from .people import (
    assignable_users,
    may_configure,
    may_set_password,
    oversees_team,
    require_assignable,
    team_members,
)
from .processes import (
    escalation_head,
    may_cancel_process,
    may_edit_processes,
    may_edit_rules,
    may_start_process,
    role_holder,
)
from .reports import (
    can_manage_scheduled_report,
    can_plan_for,
    may_plan,
    may_schedule_reports,
    plan_managers,
    report_recipients_reach,
    report_viewers,
    require_plan_for,
    require_scheduled_report,
    scheduled_reports_visible,
)
from .rows import SHARE_GRANTS, allows, can, department_subtree, is_admin, register_scope, require, visible
from .segments import can_edit_segment, may_mass_email, may_use_segments
from .sharing import (
    can_merge,
    can_request_access,
    can_share,
    invoice_send_refused,
    require_share,
    visible_references,
)
from .sms import can_send_sms, may_mass_send
from .telephony import call_party_visible, may_configure_telephony, may_place_call
from .webhooks import may_manage_webhooks, require_webhooks

__all__ = ["ACTIONS", "allows", "assignable_users", "ASSIGNMENT_FIELDS", "call_party_visible", "can",
           "can_edit_segment", "can_manage_scheduled_report", "can_merge", "can_plan_for", "can_request_access",
           "can_send_from", "can_send_sms", "can_share", "department_chain", "department_subtree",
           "document_send_refused", "escalation_head", "holds_role", "hr_dismissal_applies", "hr_handover_needed",
           "HR_NODE_KIND", "hr_node_may_send", "invoice_send_refused", "is_admin", "mail_send_refused",
           "mail_unknown_recipients", "may_cancel_process", "may_configure", "may_configure_telephony",
           "may_edit_processes", "may_edit_rules", "may_generate_document", "may_manage_staff",
           "may_manage_templates", "may_manage_web_forms", "may_manage_webhooks", "may_mass_email", "may_mass_send",
           "may_place_call", "may_plan", "may_plan_campaigns", "may_schedule_reports", "may_see_absence",
           "may_send_from", "may_set_password", "may_start_process", "may_take_clients_from", "may_use_segments",
           "may_view_roi", "may_view_system", "metrics_enabled", "metrics_token_allows", "node_can", "node_visible",
           "onec_token_usable", "oversees_team", "plan_managers", "register_scope", "report_recipients_reach",
           "report_viewers", "require", "require_assignable", "require_campaign_planner", "require_plan_for",
           "require_scheduled_report", "require_share", "require_staff_manager", "require_webhooks", "role_holder",
           "role_name", "role_names", "Rule", "rule_for", "RULES", "scheduled_reports_visible", "SHARE_GRANTS",
           "team_members", "visible", "visible_references"]
