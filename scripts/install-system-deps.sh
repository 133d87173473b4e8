#!/usr/bin/env bash
# Installs the system packages the test suite needs, only when they are missing (idempotent):
#   chromium  - the browser the Playwright tests drive (browsers cannot be downloaded by Playwright here)
#   gettext   - msgfmt, to compile translations in `make messages`
#   fonts     - so screenshots and PDFs render Cyrillic and Latin text
#   pango     - WeasyPrint renders the PDF invoices with the system's pango and harfbuzz
#   poppler   - pdftoppm, to render a PDF page to PNG in the browser tests' screenshots
#   libreoffice-writer-nogui - turns documents made from DOCX templates into PDF (documents app)
#   dovecot   - a real IMAP server the mail sync tests start on loopback (tests/mail/dovecot.py)
#   nginx     - the reverse proxy of docs/deploy.md, which the scale-out test starts on loopback ports
#   openssl   - the scale-out test's self-signed certificate for nginx's HTTPS
#   postgresql-client - pg_dump and pg_restore for `raccordo backup` / `restore` on PostgreSQL
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || need+=(fonts-dejavu-core)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx-light)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-system-deps: missing ${need[*]}; install them with your package manager (browser tests will be skipped)." >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# An old or missing package list makes apt find nothing: refresh it before installing.
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
