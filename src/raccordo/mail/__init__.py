"""E-mail: mailboxes connected over IMAP/SMTP, their folders and messages, linked to the CRM's clients and deals."""
