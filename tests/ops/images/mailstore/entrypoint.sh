#!/bin/sh
set -eu
: "${MAIL_USER:?}" "${MAIL_PASSWORD:?}"
if ! id "$MAIL_USER" >/dev/null 2>&1; then
  useradd -m -s /usr/sbin/nologin "$MAIL_USER"
  echo "$MAIL_USER:$MAIL_PASSWORD" | chpasswd
  runuser -u "$MAIL_USER" -- mkdir -p "/home/$MAIL_USER/Maildir/cur" "/home/$MAIL_USER/Maildir/new" "/home/$MAIL_USER/Maildir/tmp"
fi
postconf -e "myhostname=${MAIL_HOSTNAME:-mail.example.test}"
newaliases
postfix start
exec dovecot -F
