"""Every URL name of the project with the access expectation its route is tested against.

test_routes.py walks the URL configuration (web pages, API router, admin, exchange) and fails on any
name missing here: a new route cannot ship without saying who may see what through it.

    list      a page listing records of `model`: exactly the visible ones appear, counted right
    detail    a record's page: 200 for those who see the record, 404 for everyone else; `edit` pages
              may also answer 403 to people who see but may not change it
    action    a POST on a record: 404 for everyone who does not see it, and nothing changes
    page      a page without a record in its address (dashboard, forms): shows no hidden record
    search    the global search: only visible records, in every group
    export    a file of records: exactly the exportable ones
    reach     a page only some people reach (audit log, exchange, hand-over): `allowed` says who, the rest get 404
    shared    shared reference data (catalog): everyone with the permission sees it
    api_list / api_detail / api_action   the same for the REST API
    object    a page or POST on an exchange object (`model`: node, session, task, run, conflict): 404 for
              everyone but `allowed`; those allowed are shown no hidden record (GET pages only: a POST
              by them would really run, delete or settle, which their own tests cover). On a run's pages
              (every outcome tab and the report) and on a conflict, "allowed" is also narrowed by the
              policy: a conflict of a record one does not see is 404 (M1)
    exempt    no records to people (sign-in, language switch, schema, machine-to-machine protocol), or
              covered by its own tests: `note` says which
"""

from __future__ import annotations

from dataclasses import dataclass, field

from raccordo.web.settings_sections import SECTIONS as SETTINGS_SECTIONS


@dataclass(frozen=True)
class Route:
    kind: str
    model: str | None = None
    query: dict = field(default_factory=dict)
    edit: bool = False
    allowed: tuple[str, ...] = ()
    note: str = ""
    method: str = "get"
    extra_args: tuple = ()


EXEMPT_NAMESPACES = {
    "admin": Route("exempt", note="Django admin: staff only, the administrators' back office"),
}

ROUTES: dict[str, Route] = {
    # --- public and machine endpoints
    "login": Route("exempt", note="sign-in page; throttling in test_security.py"),
    "logout": Route("exempt", note="POST, ends the session"),
    "password_reset": Route("exempt", note="password reset by e-mail, no records; tests/access/test_passwords.py"),
    "password_reset_done": Route("exempt", note="password reset by e-mail; tests/access/test_passwords.py"),
    "password_reset_confirm": Route("exempt", note="password reset by e-mail; tests/access/test_passwords.py"),
    "password_reset_complete": Route("exempt", note="password reset by e-mail; tests/access/test_passwords.py"),
    "set_language": Route("exempt", note="language switch"),
    "api-schema": Route("exempt", note="OpenAPI schema, no records; signed-in users only (test_L6 in tests/core/test_deploy.py)"),
    "api-docs": Route("exempt", note="Swagger UI, no records; signed-in users only (tests/core/test_deploy.py)"),
    "api:api-root": Route("exempt", note="links to the endpoints"),
    "api:auth-token": Route("exempt", note="password for token; test_security.py"),
    "api:hand-over-counterparties": Route("exempt", note="POST only, a list of ids; tests/api/test_hand_over.py"),
    "api:hand-over-deals": Route("exempt", note="POST only, a list of ids; tests/api/test_hand_over.py"),
    "api:mail-send": Route("exempt", note="POST only, sends e-mail; tests/api/test_mail_send.py"),
    "api:mail-reply": Route("exempt", note="POST only, a reply to a visible message; tests/api/test_mail_send.py"),
    "onec_bitrix": Route("exempt", note="1C site-exchange protocol, node credentials (exchange/onec tests)"),
    "onec:endpoint": Route("exempt", note="1C site-exchange protocol, node credentials (exchange/onec tests)"),
    "onec_noslash": Route("exempt", note="1C site-exchange protocol without the slash (tests/onec/test_protocol_details.py)"),
    "onec:node_list": Route("reach", allowed=("root",)),
    "onec:node_detail": Route("object", "node", allowed=("root",)),
    "onec:node_mapping": Route("object", "node", allowed=("root",), method="post", extra_args=("catalog.product",)),
    "onec:node_settings_export": Route("object", "node", allowed=("root",)),
    "onec:node_settings_import": Route("object", "node", allowed=("root",), method="post"),
    "onec:session_detail": Route("object", "session", allowed=("root",)),
    "onec:node_create": Route("reach", allowed=("root",)),
    "onec:node_code_suggest": Route("reach", allowed=("root",)),
    "onec:node_connect": Route("object", "node", allowed=("root",)),
    "onec:node_checkauth": Route("object", "node", allowed=("root",)),
    "onec:node_password": Route("object", "node", allowed=("root",), method="post"),
    "onec:node_folder_check": Route("object", "node", allowed=("root",), method="post"),
    "onec:node_enterprisedata": Route("object", "node", allowed=("root",), method="post"),
    "onec:node_enterprisedata_settings": Route("object", "node", allowed=("root",), method="post"),
    "onec:node_enterprisedata_transport": Route("object", "node", allowed=("root",), method="post"),
    "onec:node_enterprisedata_test": Route("object", "node", allowed=("root",), method="post"),
    # --- web: start page, search
    "web:dashboard": Route("page"),
    "web:search": Route("search"),
    # --- counterparties and contacts
    "web:counterparty_list": Route("list", "counterparty", query={"team": "0"}),
    "web:counterparty_create": Route("page"),
    "web:counterparty_export": Route("export", "counterparty", query={"team": "0"}),
    "web:counterparty_duplicates": Route("page"),
    "web:counterparty_access_request": Route("exempt", note="POST asking a hidden client's manager for it by INN; "
                                                            "tests/parties/test_duplicates.py"),
    "web:counterparty_merge": Route("detail", "counterparty", edit=True),
    "web:counterparty_detail": Route("detail", "counterparty"),
    "web:counterparty_edit": Route("detail", "counterparty", edit=True),
    "web:counterparty_address_add": Route("detail", "counterparty", edit=True),
    "web:counterparty_bank_account_add": Route("detail", "counterparty", edit=True),
    "web:counterparty_address_edit": Route("exempt", note="a counterparty's address; tests/web/test_party_details.py"),
    "web:counterparty_address_delete": Route("exempt", note="POST; tests/web/test_party_details.py"),
    "web:counterparty_bank_account_edit": Route("exempt", note="a counterparty's account; tests/web/test_party_details.py"),
    "web:counterparty_bank_account_delete": Route("exempt", note="POST; tests/web/test_party_details.py"),
    "web:counterparty_contact_add": Route("action", "counterparty"),
    "web:counterparty_log": Route("action", "counterparty"),
    "web:counterparty_feed": Route("detail", "counterparty"),
    "web:counterparty_payment": Route("detail", "counterparty"),
    "web:counterparty_share": Route("action", "counterparty"),
    "web:counterparty_reassign": Route("reach", allowed=("root", "elena", "olga", "giulia"),
                                       note="POST hand-over: tests/web/test_team.py"),
    "web:counterparty_unshare": Route("action", "counterparty"),
    "web:counterparty_delete": Route("detail", "counterparty", edit=True),
    "web:contact_list": Route("list", "contact"),
    "web:contact_export": Route("export", "contact"),
    "web:contact_create": Route("page"),
    "web:contact_detail": Route("detail", "contact"),
    "web:contact_edit": Route("detail", "contact", edit=True),
    "web:contact_delete": Route("detail", "contact", edit=True),
    # --- deals and invoices
    "web:deal_list": Route("list", "deal", query={"state": "all", "team": "0"}),
    "web:deal_export": Route("export", "deal", query={"state": "all", "team": "0"}),
    "web:deal_create": Route("page"),
    "web:deal_detail": Route("detail", "deal"),
    "web:deal_edit": Route("detail", "deal", edit=True),
    "web:deal_delete": Route("detail", "deal", edit=True),
    "web:deal_move": Route("action", "deal"),
    "web:deal_reassign": Route("reach", allowed=("root", "elena", "olga", "giulia"),
                               note="POST hand-over: tests/web/test_team.py"),
    "web:deal_contact_options": Route("page"),
    "web:deal_invoice": Route("action", "deal"),
    "web:invoice_list": Route("list", "invoice"),
    "web:invoice_export": Route("export", "invoice"),
    "web:invoice_create": Route("page"),
    "web:invoice_detail": Route("detail", "invoice"),
    "web:invoice_edit": Route("detail", "invoice", edit=True),
    "web:invoice_issue": Route("action", "invoice"),
    "web:invoice_payment": Route("action", "invoice"),
    "web:invoice_cancel": Route("detail", "invoice", edit=True),
    "web:invoice_delete": Route("detail", "invoice", edit=True),
    "web:payment_reverse": Route("detail", "payment", edit=True),
    "web:board": Route("page"),
    "web:board_move": Route("action", "deal"),
    "web:deal_lines": Route("action", "deal"),
    "web:line_products": Route("page"),
    "web:line_product_info": Route("exempt", note="shared catalog as JSON for a product id (tests/web)"),
    "web:line_totals": Route("exempt", note="arithmetic on posted numbers, no records"),
    "web:invoice_pdf": Route("detail", "invoice"),
    "web:invoice_send": Route("action", "invoice"),
    "web:invoice_remind": Route("action", "invoice"),
    "web:receivables": Route("page"),
    "web:receivables_export": Route("export", "invoice", note="open invoices with their ageing"),
    # --- reminders, complaints, calendar
    "web:reminder_create": Route("page"),
    # Writing e-mail (mail.sending): the records come as ?counterparty=&deal=&invoice= through their selectors
    "web:mail_compose": Route("page"),
    "web:mail_compose_template": Route("page"),
    "web:mail_reply": Route("exempt", note="a reply to a mail message: 404 unless the reader sees the message; "
                                        "tests/web/test_mail_compose.py"),
    "web:reminder_done": Route("action", "reminder"),
    "web:complaint_list": Route("list", "complaint", query={"state": "all"}),
    "web:complaint_export": Route("export", "complaint", query={"state": "all"}),
    "web:complaint_create": Route("page"),
    "web:complaint_detail": Route("detail", "complaint"),
    "web:complaint_status": Route("action", "complaint"),
    "web:calendar": Route("page"),
    # --- catalog (shared reference data)
    "web:product_list": Route("page"),
    "web:product_export": Route("export", note="shared catalog: whoever may export the catalog gets every product "
                                              "(tests/web/test_exports.py)"),
    "web:product_create": Route("page"),
    "web:product_image": Route("exempt", note="a product picture's file: needs a picture; shared catalog, signed-in "
                                              "people who see the product (tests/exchange/test_pictures.py)"),
    "web:product_detail": Route("shared", "product"),
    "web:product_edit": Route("shared", "product", edit=True),
    # --- tasks
    "web:task_list": Route("list", "task", query={"mine": "0", "team": "0", "status": "all"}),
    "web:task_export": Route("export", "task", query={"mine": "0", "team": "0", "status": "all"}),
    "web:task_deal_options": Route("page"),
    "web:task_create": Route("page"),
    "web:task_detail": Route("detail", "task"),
    "web:task_edit": Route("detail", "task", edit=True),
    "web:task_status": Route("action", "task"),
    # --- access
    "web:token_list": Route("page"),
    "web:password_change": Route("page"),
    "web:user_password": Route("reach", allowed=("root",)),
    "web:token_revoke": Route("exempt", note="one's own tokens only; test_security.py"),
    "web:audit": Route("reach", allowed=("root",)),
    # --- settings (administrators: policy.may_configure) and everyone's own profile
    "web:settings": Route("reach", allowed=("root",)),
    "web:settings_email": Route("reach", allowed=("root",)),
    "web:profile": Route("page"),
    "web:language": Route("exempt", note="POST, the signed-in user's own language (tests/web/test_settings.py)"),
    "web:settings_company_account_new": Route("exempt", note="administrators only (tests/web/test_settings.py)"),
    "web:settings_company_account_edit": Route("exempt", note="administrators only (tests/web/test_settings.py)"),
    "web:settings_company_account_delete": Route("exempt", note="administrators only (tests/web/test_settings.py)"),
    **{name: Route("reach", allowed=("root",)) for key in SETTINGS_SECTIONS
       for name in (f"web:settings_{key}", f"web:settings_{key}_new")},
    **{f"web:settings_{key}_edit": Route("exempt", note="administrators only (tests/web/test_settings.py)")
       for key in SETTINGS_SECTIONS},
    # --- operations: the system page (administrators); health and metrics carry no records (tests/operations)
    "operations:system": Route("reach", allowed=("root",)),
    "operations:health_live": Route("exempt", note="liveness probe, no records; tests/operations/test_health.py"),
    "operations:health_ready": Route("exempt", note="readiness probe, no records; tests/operations/test_health.py"),
    "operations:metrics": Route("exempt", note="Prometheus, bearer token; tests/operations/test_metrics.py"),
    "web:reassign": Route("reach", allowed=("root", "elena", "olga", "giulia")),
    # --- documents from templates (documents app)
    "documents:deal_generate": Route("action", "deal"),
    "documents:invoice_generate": Route("action", "invoice"),
    "documents:invoice_fatturapa": Route("exempt", note="an invoice as FatturaPA XML (a redirect with the reason when it cannot be); tests/documents/test_documents_web.py"),
    "documents:download": Route("exempt", note="a generated document's file; tests/documents/test_documents_web.py"),
    "documents:send": Route("exempt", note="POST, e-mails a generated document; tests/documents/test_documents_web.py"),
    "documents:templates": Route("reach", allowed=("root",)),
    "documents:shipped_template": Route("exempt", note="administrators only; tests/documents/test_documents_web.py"),
    "documents:template_toggle": Route("exempt", note="POST, administrators only; tests/documents/test_documents_web.py"),
    "documents:template_delete": Route("exempt", note="POST, administrators only; tests/documents/test_documents_web.py"),
    "documents:company_pictures": Route("exempt", note="POST, administrators only; tests/documents/test_documents_web.py"),
    # --- mail: personal mailboxes are their owner's alone, company ones their department's (access.policy.mail);
    # the record pages are checked against that rule in tests/mail/test_pages.py and tests/access/test_mail_scope.py
    "mail:mail_home": Route("page"),
    "mail:mail_mailboxes": Route("page"),
    "mail:mail_mailbox_create": Route("page"),
    "mail:mail_thread": Route("exempt", note="a conversation: 404 unless its mailbox's rule lets the reader in; tests/mail/test_pages.py"),
    "mail:mail_message": Route("exempt", note="a message: as its conversation; tests/mail/test_pages.py"),
    "mail:mail_attachment": Route("exempt", note="an attachment: as its message (download only)"),
    "mail:mail_mailbox_edit": Route("exempt", note="a mailbox's settings: its owner, administrators; tests/mail/test_pages.py"),
    "mail:mail_mailbox_test": Route("exempt", note="POST, logs in to the mailbox's server; tests/mail/test_sync.py"),
    "mail:mail_mailbox_sync": Route("exempt", note="POST, queues the mailbox's sync; tests/mail/test_sync.py"),
    "mail:mail_folder_toggle": Route("exempt", note="POST, a folder of a mailbox the caller may change"),
    # --- reports: whoever may view deals (the accountant too); each part shows only what the policy allows
    "reports:kpi": Route("reach", allowed=("root", "elena", "olga", "anna", "dmitry", "ivan", "giulia", "marco",
                                           "boris")),
    "reports:kpi_export": Route("reach", allowed=("root", "elena", "olga", "anna", "dmitry", "ivan", "giulia",
                                                  "marco", "boris")),
    "reports:refresh": Route("exempt", note="POST, recomputes the caller's own cached figures (tests/reports)"),
    # --- analytics on paid revenue (issue #21): every figure through the viewer's policy; a manager's page covers
    # her clients only, unknown subjects and cells are 404 (tests/reports/test_analytics_*.py)
    **{f"reports:{name}": Route("exempt", note="figures through the viewer's policy: tests/reports/test_analytics_*.py")
       for name in ("abc", "abc_cell", "abc_export", "cohorts", "cohorts_export", "forecast", "forecast_export")},
    # The funnel page and its XLSX: whoever may view deals (404 for everyone else); the figures are checked against
    # their definition for each reader's deals in tests/reports/test_analytics_funnel.py
    **{f"reports:{name}": Route("reach", allowed=("root", "elena", "olga", "anna", "dmitry", "ivan", "giulia", "marco",
                                                  "boris")) for name in ("funnel", "funnel_export")},
    "reports:funnel_refresh": Route("exempt", note="POST, recomputes the caller's own funnel figures "
                                                   "(tests/reports/test_analytics_funnel.py)"),
    # --- the head's reports (issue #19): heads and administrators only
    "reports:plans": Route("reach", allowed=("root", "elena", "olga", "giulia")),
    "reports:plan_set": Route("exempt", note="POST, a head's team but herself (tests/reports/test_schedule_pages.py)"),
    "reports:plan_delete": Route("exempt", note="POST on a plan (tests/reports/test_schedule_pages.py)"),
    "reports:scheduled_list": Route("reach", allowed=("root", "elena", "olga", "giulia")),
    "reports:scheduled_new": Route("reach", allowed=("root", "elena", "olga", "giulia")),
    **{f"reports:scheduled_{name}": Route("exempt", note="a scheduled report: its head or an administrator, 404 "
                                                         "for everyone else (tests/reports/test_schedule_pages.py)")
       for name in ("detail", "edit", "send", "preview", "delete")},
    # --- business processes and automation rules (administrators set them up; a process hangs off its client)
    "processes:template_list": Route("reach", allowed=("root",)),
    "processes:template_new": Route("reach", allowed=("root",)),
    "processes:template_edit": Route("exempt", note="administrators only (tests/processes/test_pages.py)"),
    "processes:holidays": Route("reach", allowed=("root",)),
    "processes:rule_list": Route("reach", allowed=("root",)),
    "processes:rule_new": Route("reach", allowed=("root",)),
    "processes:rule_edit": Route("exempt", note="administrators only (tests/processes/test_pages.py)"),
    "processes:rule_switch": Route("exempt", note="POST, administrators only (tests/processes/test_pages.py)"),
    "processes:instance_detail": Route("exempt", note="404 unless the process's client is visible "
                                                      "(tests/processes/test_pages.py)"),
    "processes:instance_cancel": Route("exempt", note="POST; 404 unless the client is visible "
                                                      "(tests/processes/test_pages.py)"),
    "processes:start": Route("exempt", note="POST on a visible deal, invoice, complaint or client "
                                            "(tests/processes/test_pages.py)"),
    # --- exchange
    "exchange:run_list": Route("reach", allowed=("root", "boris")),
    "exchange:conflict_resolve": Route("object", "conflict", allowed=("root", "boris"), method="post"),
    "exchange:run_detail": Route("object", "run", allowed=("root", "boris")),
    "exchange:run_list_export": Route("reach", allowed=("root", "boris"),
                                      note="rows through the policy's export right (tests/exchange/test_run_pages.py)"),
    "exchange:run_progress": Route("object", "run", allowed=("root", "boris")),
    "exchange:run_report": Route("object", "run", allowed=("root", "boris")),
    "exchange:run_retry": Route("object", "run", allowed=("root", "boris"), method="post"),
    "exchange:tabular_upload": Route("page"),
    "exchange:task_list": Route("reach", allowed=("root", "boris")),
    "exchange:task_cron_preview": Route("reach", allowed=("root",)),
    "exchange:task_create": Route("object", "node", allowed=("root",)),
    "exchange:task_edit": Route("object", "task", allowed=("root",)),
    "exchange:task_delete": Route("object", "task", allowed=("root",), method="post"),
    "exchange:task_run": Route("object", "task", allowed=("root", "boris"), method="post"),
    # --- telephony
    "telephony:events": Route("exempt", note="PBX call events, HMAC-signed (tests/telephony/test_webhooks.py)"),
    "telephony:mango_base": Route("exempt", note="Mango Office webhook, signed (tests/telephony/test_webhooks.py)"),
    "telephony:mango": Route("exempt", note="Mango Office webhook, signed (tests/telephony/test_webhooks.py)"),
    "telephony:mango_slash": Route("exempt", note="Mango Office webhook, signed (tests/telephony/test_webhooks.py)"),
    "telephony:popup": Route("page"),
    "telephony:popup_dismiss": Route("exempt", note="POST, the caller's own session only (tests/telephony/test_pages.py)"),
    "telephony:call_phone": Route("exempt", note="POST, a phone the caller sees, from their own extension "
                                                 "(tests/telephony/test_pages.py)"),
    "telephony:settings": Route("reach", allowed=("root",)),
    "telephony:extension": Route("exempt", note="POST, administrators only (tests/telephony/test_pages.py)"),
    "api:call-list": Route("exempt", note="calls through the policy, VIP hidden (tests/telephony/test_api.py)"),
    "api:call-detail": Route("exempt", note="calls through the policy, VIP 404 (tests/telephony/test_api.py)"),
    "api:click-to-call": Route("exempt", note="POST, the caller's own extension (tests/telephony/test_api.py)"),
    # --- REST API
    "api:mailbox-list": Route("exempt", note="the caller's own and department's mailboxes; tests/mail/test_pages.py"),
    "api:mailbox-detail": Route("exempt", note="as the list; tests/mail/test_pages.py"),
    "api:mailbox-test": Route("exempt", note="POST, logs in to the mailbox's server"),
    "api:mailbox-sync": Route("exempt", note="POST, queues the mailbox's sync"),
    "api:mail-folder-list": Route("exempt", note="folders of the mailboxes the caller reads"),
    "api:mail-folder-detail": Route("exempt", note="as the list"),
    "api:mail-thread-list": Route("exempt", note="access.policy.mail; tests/mail/test_pages.py"),
    "api:mail-thread-detail": Route("exempt", note="access.policy.mail; tests/mail/test_pages.py"),
    "api:mail-message-list": Route("exempt", note="access.policy.mail; tests/mail/test_pages.py"),
    "api:mail-message-detail": Route("exempt", note="access.policy.mail; tests/mail/test_pages.py"),
    "api:counterparty-list": Route("api_list", "counterparty"),
    "api:counterparty-detail": Route("api_detail", "counterparty"),
    "api:contact-list": Route("api_list", "contact"),
    "api:contact-detail": Route("api_detail", "contact"),
    "api:deal-list": Route("api_list", "deal"),
    "api:deal-detail": Route("api_detail", "deal"),
    "api:invoice-list": Route("api_list", "invoice"),
    "api:invoice-detail": Route("api_detail", "invoice"),
    "api:invoice-issue": Route("api_action", "invoice"),
    "api:invoice-cancel": Route("api_action", "invoice"),
    "api:invoice-payment": Route("api_action", "invoice"),
    "api:payment-reverse": Route("api_action", "payment"),
    "api:payment-list": Route("api_list", "payment"),
    "api:payment-detail": Route("api_detail", "payment"),
    "api:task-list": Route("api_list", "task"),
    "api:task-detail": Route("api_detail", "task"),
    "api:interaction-list": Route("api_list", "interaction"),
    "api:interaction-detail": Route("api_detail", "interaction"),
    "api:complaint-list": Route("api_list", "complaint"),
    "api:complaint-detail": Route("api_detail", "complaint"),
    "api:reminder-list": Route("api_list", "reminder"),
    "api:reminder-detail": Route("api_detail", "reminder"),
    "api:reminder-done": Route("api_action", "reminder"),
    "api:product-list": Route("api_list"),
    "api:product-detail": Route("exempt", note="shared catalog: tests/api/test_access.py"),
    "api:price-type-list": Route("api_list"),
    "api:price-type-detail": Route("exempt", note="shared catalog: tests/api/test_access.py"),
    "api:price-list": Route("api_list"),
    "api:price-detail": Route("exempt", note="shared catalog: tests/api/test_access.py"),
    "api:warehouse-list": Route("api_list"),
    "api:warehouse-detail": Route("exempt", note="shared catalog: tests/api/test_access.py"),
    "api:stock-level-list": Route("api_list"),
    "api:stock-level-detail": Route("exempt", note="shared catalog: tests/api/test_access.py"),
    "api:funnel-list": Route("api_list"),
    "api:funnel-detail": Route("exempt", note="shared reference data: tests/api/test_access.py"),
    "api:stage-list": Route("api_list"),
    "api:stage-detail": Route("exempt", note="shared reference data: tests/api/test_access.py"),
    # --- segments and mass e-mail (issue #21): counted and listed through the viewer's policy
    **{f"segments:{name}": Route("exempt", note="a segment's members through the viewer's policy; a hidden or "
                                               "another's segment is 404 (tests/segments/test_pages.py)")
       for name in ("segment_list", "segment_new", "segment_detail", "segment_edit", "segment_delete",
                    "segment_export", "segment_member_remove")},
    **{f"segments:{name}": Route("exempt", note="mass e-mails: the mass e-mail right, the sender's own "
                                               "(tests/segments/test_mailing.py)")
       for name in ("mailing_list", "mailing_new", "mailing_detail", "mailing_cancel")},
    "segments:unsubscribe": Route("exempt", note="public, a signed token per recipient; a tampered one is refused "
                                                 "(tests/segments/test_mailing.py, test_pages.py)"),
    # --- staff from 1C:ZUP (issue #22): administrators' pages, the HR node's endpoints (Basic auth, node kind)
    **{f"staff:{name}": Route("exempt", note="administrators only (tests/staff/test_lifecycle.py)")
       for name in ("handover", "node_imports", "overview")},
    **{name: Route("exempt", note="the HR node's login and kind, like the 1C endpoint (tests/staff/test_hrxml.py, "
                                  "test_company_xml.py)")
       for name in ("staff_company", "staff_company_bitrix", "staff_hrxml", "staff_hrxml_bitrix")},
    # --- webhooks: administrators only (settings pages are declared with the other sections)
    "web:webhook_replay": Route("exempt", note="POST, administrators only: tests/webhooks/test_api_and_pages.py"),
    "api:webhook-list": Route("exempt", note="administrators only: tests/webhooks/test_api_and_pages.py"),
    "api:webhook-detail": Route("exempt", note="administrators only: tests/webhooks/test_api_and_pages.py"),
    "api:webhook-delivery-list": Route("exempt", note="administrators only: tests/webhooks/test_api_and_pages.py"),
    "api:webhook-delivery-detail": Route("exempt", note="administrators only: tests/webhooks/test_api_and_pages.py"),
    "api:webhook-delivery-replay": Route("exempt", note="administrators only: tests/webhooks/test_api_and_pages.py"),
    # --- SMS (raccordo.sms): the card's composer and opt-outs, mass sends, the provider's settings and callback
    "sms:settings": Route("reach", allowed=("root",)),
    "sms:settings_test": Route("exempt", note="POST, administrators only; tests/sms/test_sms.py"),
    "sms:settings_balance": Route("exempt", note="POST, administrators only; tests/sms/test_sms.py"),
    "sms:callback": Route("exempt", note="the provider's delivery reports: secret and signature; tests/sms/test_sms.py"),
    "sms:compose": Route("exempt", note="the card's composer refilled (htmx); 404 on a hidden client: "
                                        "tests/sms/test_sms.py"),
    "sms:send": Route("action", "counterparty"),
    "sms:opt_out": Route("action", "counterparty"),
    "sms:campaign_list": Route("page"),
    "sms:campaign_new": Route("page"),
    "sms:campaign_detail": Route("exempt", note="a mass send is its sender's: tests/sms/test_campaigns.py"),
    "sms:campaign_cancel": Route("exempt", note="POST on a mass send, its sender's: tests/sms/test_campaigns.py"),
    "api:sms-list": Route("exempt", note="messages through the policy: tests/sms/test_api.py"),
    "api:sms-detail": Route("exempt", note="messages through the policy: tests/sms/test_api.py"),
    "api:sms-campaign-list": Route("exempt", note="mass sends, their sender's: tests/sms/test_api.py"),
    "api:sms-campaign-detail": Route("exempt", note="mass sends, their sender's: tests/sms/test_api.py"),
    "api:sms-campaign-preview": Route("exempt", note="counts only, of the caller's clients: tests/sms/test_api.py"),
    "api:segment-list": Route("exempt", note="segments through the policy: tests/api/test_marketing.py"),
    "api:segment-detail": Route("exempt", note="another manager's segment 404: tests/api/test_marketing.py"),
    "api:segment-members": Route("exempt", note="members the caller sees: tests/api/test_marketing.py"),
    "api:mailing-list": Route("exempt", note="mass e-mails, their sender's: tests/api/test_marketing.py"),
    "api:mailing-detail": Route("exempt", note="another manager's mailing 404: tests/api/test_marketing.py"),
    "api:campaign-list": Route("exempt", note="shared plans, ROI the caller's part: tests/api/test_marketing.py"),
    "api:campaign-detail": Route("exempt", note="planners write; ROI the caller's part: tests/api/test_marketing.py"),
    # --- Campaigns (raccordo.campaigns): shared plans; revenue summed through the policy; web forms administrators'
    "campaigns:list": Route("page"),
    "campaigns:roi": Route("page"),
    "campaigns:new": Route("page"),
    "campaigns:web_forms": Route("page"),
    "campaigns:web_form_new": Route("page"),
    "campaigns:detail": Route("exempt", note="a shared plan; its revenue is the reader's part: "
                                             "tests/campaigns/test_pages.py"),
    "campaigns:edit": Route("exempt", note="planners only (403 to others): tests/campaigns/test_pages.py"),
    "campaigns:event_new": Route("exempt", note="planners only: tests/campaigns/test_pages.py"),
    "campaigns:event_edit": Route("exempt", note="planners only: tests/campaigns/test_pages.py"),
    "campaigns:event_move": Route("exempt", note="POST, planners only: tests/campaigns/test_pages.py"),
    "campaigns:web_form_edit": Route("exempt", note="administrators only: tests/campaigns/test_web_forms.py"),
    "campaigns:web_form_submit": Route("exempt", note="the public endpoint (origin allow-list, no session): "
                                                      "tests/campaigns/test_web_forms.py"),
}


def route_for(name: str) -> Route | None:
    if name in ROUTES:
        return ROUTES[name]
    return EXEMPT_NAMESPACES.get(name.partition(":")[0]) if ":" in name else None
