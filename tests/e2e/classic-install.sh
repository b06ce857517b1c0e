#!/bin/bash
# classic-install.sh - the classic installation procedure, as root, on a
# private qmail home with Debian's daemontools and ucspi-tcp:
#
#   users and groups (the build's users script), make setup check,
#   config-fast, aliases, control/defaultdelivery, the supervise services
#   with multilog (the build's services script), svscan, qmailctl.
#
# Then mail sent with swaks over SMTP lands in a user's Maildir, and each
# qmailctl command is checked for its effect.  Test-only user names and a
# private service directory keep it apart from any real installation;
# everything is torn down at the end.  Skipped unless root.
set -u
. "$SRCROOT/tests/lib/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
  skip "classic installation" "not running as root"
  done_testing
fi
for tool in svscan svc svstat multilog tcpserver tcprules swaks; do
  if ! command -v $tool >/dev/null 2>&1; then
    skip "classic installation" "$tool is not installed"
    done_testing
  fi
done

p=qc$$
U_ALIAS=${p}a U_QMAILD=${p}d U_QMAILL=${p}l U_QMAILP=${p}p
U_QMAILQ=${p}q U_QMAILR=${p}r U_QMAILS=${p}s
G_QMAIL=${p}g G_NOFILES=${p}n
MAILUSER=${p}u
USERS="$U_ALIAS $U_QMAILD $U_QMAILL $U_QMAILP $U_QMAILQ $U_QMAILR $U_QMAILS $MAILUSER"
GROUPS_MADE="$G_QMAIL $G_NOFILES"
PORT=$((20000 + ($$ * 13) % 20000))
SUBPORT=$((22100 + ($$ % 45) * 2))
SMTPSPORT=$((SUBPORT + 1))
FQDN=mail.example.test

tmp=$(mktemp -d)
chmod 755 "$tmp"
B=$tmp/build
H=$tmp/qmail
SV=$tmp/service
LOGDIR=$tmp/log
RULES=$tmp/tcp.smtp
UHOME=$tmp/home/$MAILUSER
svscan_pid=

cleanup() {
  local u g
  if [ -n "$svscan_pid" ]; then
    svc -dx "$SV"/* "$SV"/*/log >/dev/null 2>&1
    kill "$svscan_pid" 2>/dev/null
    sleep 1
    # supervise processes exit after svc -x; make sure nothing is left
    pkill -f "supervise $SV" 2>/dev/null
    pkill -f "$H/bin" 2>/dev/null
    pkill -f "multilog t $LOGDIR" 2>/dev/null
  fi
  for u in $USERS; do
    getent passwd "$u" >/dev/null 2>&1 && userdel "$u" >/dev/null 2>&1
  done
  for g in $GROUPS_MADE; do
    getent group "$g" >/dev/null 2>&1 && groupdel "$g" >/dev/null 2>&1
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# wait_for SECONDS COMMAND...: poll until the command succeeds
wait_for() {
  local n=$(($1 * 10)); shift
  while [ $n -gt 0 ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.1
    n=$((n - 1))
  done
  return 1
}

MAKEARGS=(-C "$SRCROOT" --no-print-directory BUILD="$B" QMAIL_HOME="$H"
  USER_ALIAS="$U_ALIAS" USER_QMAILD="$U_QMAILD" USER_QMAILL="$U_QMAILL"
  USER_QMAILP="$U_QMAILP" USER_QMAILQ="$U_QMAILQ" USER_QMAILR="$U_QMAILR"
  USER_QMAILS="$U_QMAILS" GROUP_QMAIL="$G_QMAIL" GROUP_NOFILES="$G_NOFILES")

# --- the procedure ------------------------------------------------------
make -j2 "${MAKEARGS[@]}" all >"$tmp/make.log" 2>&1
ok $? "make (a privileged build with test user names)" || true
mkdir -p "$H"
"$B/scripts/users" >"$tmp/users.log" 2>&1
ok $? "the users script creates the users and groups"
make "${MAKEARGS[@]}" setup check >"$tmp/setup.log" 2>&1
rc=$?
ok $rc "make setup check"
[ $rc -eq 0 ] || { tail -20 "$tmp/setup.log" | sed 's/^/# /'; echo "Bail out! setup failed"; exit 1; }
"$B/scripts/config-fast" "$FQDN" >"$tmp/config.log" 2>&1
ok $? "config-fast $FQDN"

# a mail user with a Maildir, and the aliases
useradd -M -d "$UHOME" -s /usr/sbin/nologin "$MAILUSER"
mkdir -p "$UHOME"
chown "$MAILUSER" "$UHOME"
chmod 755 "$tmp/home" "$UHOME"
runuser -u "$MAILUSER" -- "$H/bin/maildirmake" "$UHOME/Maildir"
ok $? "maildirmake as the user"
echo "$MAILUSER" >"$H/alias/.qmail-root"
echo "$MAILUSER" >"$H/alias/.qmail-postmaster"
ln -s .qmail-postmaster "$H/alias/.qmail-mailer-daemon"
ln -s .qmail-postmaster "$H/alias/.qmail-abuse"
chmod 644 "$H/alias/.qmail-root" "$H/alias/.qmail-postmaster"
echo ./Maildir/ >"$H/control/defaultdelivery"

# TLS: a certificate readable by qmaild only; AUTH checks the user's
# system password (yescrypt, as chpasswd makes it) with the installed,
# setuid qmail-checkpassword, run by qmail-smtpd as qmaild
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$FQDN" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
cat "$tmp/cert.pem" "$tmp/key.pem" >"$H/control/servercert.pem"
chown "$U_QMAILD" "$H/control/servercert.pem"
chmod 600 "$H/control/servercert.pem"
echo "$MAILUSER:secret" | chpasswd
is "$(stat -c '%U %G %a' "$H/bin/qmail-checkpassword")" "root $G_NOFILES 4750" \
  "qmail-checkpassword is setuid root, for root and nofiles only"

mkdir -p "$SV"
# A sanitizer build (SANITIZE=1 reaches this make through the environment)
# needs far more address space than softlimit allows qmail-smtpd.
softmem=12000000
if [ "${SANITIZE:-0}" = 1 ]; then
  softmem=0
  diag "sanitizer build: qmail-smtpd runs without softlimit"
fi
"$B/scripts/services" -s "$SV" -l "$LOGDIR" -i 127.0.0.1 -p "$PORT" \
  -r "$RULES" -m "$softmem" -a "$H/bin/qmail-checkpassword" -P "$SUBPORT" -T "$SMTPSPORT" \
  >"$tmp/services.log" 2>&1
ok $? "the services script writes rc, the run scripts and the rules"
is "$(stat -c %U "$LOGDIR")" "$U_QMAILL" "the log directory belongs to qmaill"

export QMAILCTL_SERVICE=$SV QMAILCTL_RULES=$RULES
QC=$H/bin/qmailctl
setsid svscan "$SV" </dev/null >"$tmp/svscan.log" 2>&1 &
svscan_pid=$!

# qmail-send, qmail-smtpd, qmail-submission, qmail-smtps and their loggers
all_up() { [ "$("$QC" stat | grep -c ': up ')" -eq 8 ]; }
wait_for 20 all_up
ok $? "qmailctl stat shows all services and loggers up (8)"
"$QC" stat | sed 's/^/# /'

# --- mail over SMTP lands in the Maildir -------------------------------
n_mail() { ls "$UHOME/Maildir/new" | wc -l; }
smtp_send() { # smtp_send TO SUBJECT
  swaks --server "127.0.0.1:$PORT" --from "sender@example.org" --to "$1" \
    --header "Subject: $2" --body "body of $2" >"$tmp/swaks.log" 2>&1
}
wait_for 10 smtp_send "$MAILUSER@$FQDN" classic-1
ok $? "swaks delivers a message over SMTP"
has_mail() { grep -l "Subject: $1" "$UHOME"/Maildir/new/* >/dev/null 2>&1; }
wait_for 20 has_mail classic-1
ok $? "the message lands in the user's Maildir"
owner=$(stat -c %U "$UHOME"/Maildir/new/* 2>/dev/null | head -1)
is "$owner" "$MAILUSER" "the delivered file belongs to the user"
wait_for 10 grep -q 'delivery 1: success' "$LOGDIR/current"
ok $? "the multilog log has the delivery line"
grep -q '^@4000' "$LOGDIR/current"
ok $? "with multilog's t timestamps"
wait_for 10 grep -q 'tcpserver: status' "$LOGDIR/smtpd/current"
ok $? "the SMTP log has tcpserver's lines"

smtp_send "postmaster@$FQDN" classic-alias
wait_for 20 has_mail classic-alias
ok $? "mail to postmaster reaches the user through ~alias"

# --- STARTTLS, submission with AUTH, SMTPS: qmail-tlsd as qmaild ----------
tls_send() { # tls_send PORT SUBJECT SWAKS-ARGS...
  local port=$1 subj=$2; shift 2
  swaks --server "127.0.0.1:$port" --from "sender@example.org" \
    --to "$MAILUSER@$FQDN" --header "Subject: $subj" --body "body" "$@" \
    >"$tmp/swaks.log" 2>&1
}
wait_for 10 tls_send "$PORT" classic-starttls --tls
ok $? "swaks --tls: STARTTLS on the SMTP service (qmaild reads the certificate)"
wait_for 20 has_mail classic-starttls
ok $? "the message sent over STARTTLS is delivered"
grep -l "Subject: classic-starttls" "$UHOME"/Maildir/new/* 2>/dev/null |
  xargs grep -q 'with ESMTPS (TLSv1'
ok $? "its Received line says ESMTPS"
wait_for 10 tls_send "$SUBPORT" classic-submission --tls --auth PLAIN \
  --auth-user "$MAILUSER" --auth-password secret
ok $? "submission: STARTTLS and AUTH PLAIN"
wait_for 20 has_mail classic-submission
ok $? "the submitted message is delivered"
tls_send "$SUBPORT" classic-noauth --tls
grep -q '530 authentication required' "$tmp/swaks.log"
ok $? "submission without AUTH: 530"
tls_send "$SUBPORT" classic-badpw --tls --auth PLAIN \
  --auth-user "$MAILUSER" --auth-password wrong
grep -q '535 authentication failed' "$tmp/swaks.log"
ok $? "submission with a wrong password: 535"
wait_for 10 tls_send "$SMTPSPORT" classic-smtps --tls-on-connect \
  --auth LOGIN --auth-user "$MAILUSER" --auth-password secret
ok $? "SMTPS: implicit TLS and AUTH LOGIN"
wait_for 20 has_mail classic-smtps
ok $? "the SMTPS message is delivered"
grep -l "Subject: classic-smtps" "$UHOME"/Maildir/new/* 2>/dev/null |
  xargs grep -q "with ESMTPSA (TLSv1.*auth $MAILUSER)"
ok $? "its Received line says ESMTPSA and the user"
wait_for 10 grep -q "auth: accepted $MAILUSER from 127.0.0.1" \
  "$LOGDIR/smtps/current"
ok $? "the AUTH is in the smtps log"

# --- qmailctl, each command for its effect ------------------------------
"$QC" stop >/dev/null
rc=$?
down=$(svstat "$SV/qmail-send" "$SV/qmail-smtpd" "$SV/qmail-submission" \
  "$SV/qmail-smtps" | grep -c ': down ')
ok "$([ $rc -eq 0 ] && [ "$down" -eq 4 ]; echo $?)" "qmailctl stop: all four SMTP and queue services down"
left=0
for e in /proc/[0-9]*/exe; do
  case $(readlink "$e" 2>/dev/null) in
    "$H"/bin/qmail-lspawn|"$H"/bin/qmail-rspawn|"$H"/bin/qmail-clean|"$H"/bin/qmail-todo)
      left=$((left + 1)) ;;
  esac
done
ok "$([ $left -eq 0 ]; echo $?)" "qmailctl stop: returns after qmail-send's helpers are gone"
smtp_send "$MAILUSER@$FQDN" while-down
ok "$([ $? -ne 0 ]; echo $?)" "qmailctl stop: SMTP refused"

"$QC" start >/dev/null
wait_for 20 all_up
ok $? "qmailctl start: all up again"
wait_for 10 smtp_send "$MAILUSER@$FQDN" after-start
wait_for 20 has_mail after-start
ok $? "qmailctl start: mail flows again"

# pause sends STOP, cont sends CONT: look at the processes' states
svc_pid() { svstat "$1" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; }
n_stopped() {
  local n=0 s
  for d in "$SV/qmail-send" "$SV/qmail-smtpd"; do
    s=$(ps -o stat= -p "$(svc_pid "$d")" | tr -d " ")
    case $s in T*) n=$((n + 1)) ;; esac
  done
  echo $n
}
"$QC" pause >/dev/null
stopped_is() { [ "$(n_stopped)" -eq "$1" ]; }
wait_for 5 stopped_is 2
ok $? "qmailctl pause: qmail-send and tcpserver are stopped"
"$QC" cont >/dev/null
wait_for 5 stopped_is 0
ok $? "qmailctl cont: both run again"

# doqueue: a delivery that failed temporarily is retried at once
printf '|test -e %s/flag || exit 111\n./Maildir/\n' "$tmp" >"$UHOME/.qmail-later"
chown "$MAILUSER" "$UHOME/.qmail-later"
chmod 644 "$UHOME/.qmail-later"
smtp_send "$MAILUSER-later@$FQDN" retried
wait_for 20 grep -q 'deferral' "$LOGDIR/current"
ok $? "a deferral is logged"
touch "$tmp/flag"
sleep 1
has_mail retried
ok "$([ $? -ne 0 ]; echo $?)" "without doqueue the retry waits for its time"
"$QC" doqueue >/dev/null
wait_for 8 has_mail retried
ok $? "qmailctl doqueue: the message is retried and delivered at once"

# reload: a new local domain takes effect on HUP
echo new.example.test >>"$H/control/locals"
echo new.example.test >>"$H/control/rcpthosts"
"$QC" reload >/dev/null
sleep 1
smtp_send "$MAILUSER@new.example.test" after-reload
wait_for 20 has_mail after-reload
ok $? "qmailctl reload: the new local domain is delivered locally"

# queue: the queue's state
out=$("$QC" queue)
echo "$out" | grep -q '^messages in queue: [0-9]'
ok $? "qmailctl queue: shows the queue counts"

# cdb: the tcpserver rules are recompiled
printf '127.0.0.1:deny\n' >"$RULES"
"$QC" cdb >/dev/null
ok $? "qmailctl cdb exits 0"
smtp_send "$MAILUSER@$FQDN" denied
ok "$([ $? -ne 0 ]; echo $?)" "qmailctl cdb: the new deny rule is in force"
printf '127.:allow,RELAYCLIENT=""\n' >"$RULES"
"$QC" cdb >/dev/null
wait_for 5 smtp_send "$MAILUSER@$FQDN" allowed-again
ok $? "qmailctl cdb: and the allow rule again"

# restart: qmail-send is a new process, SMTP comes back
pid_before=$(svstat "$SV/qmail-send" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
"$QC" restart >/dev/null
new_pid() {
  local p
  p=$(svstat "$SV/qmail-send" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p')
  [ -n "$p" ] && [ "$p" != "$pid_before" ]
}
wait_for 20 new_pid
ok $? "qmailctl restart: qmail-send was restarted"
wait_for 20 all_up
ok $? "qmailctl restart: all up"
wait_for 10 smtp_send "$MAILUSER@$FQDN" after-restart
wait_for 20 has_mail after-restart
ok $? "qmailctl restart: mail flows"

grep -q 'status: exiting' "$LOGDIR/current"
ok $? "the TERM of restart was a clean exit (status: exiting logged)"

"$QC" check >/dev/null 2>&1
ok $? "qmailctl check: a clean tree passes"
chmod 755 "$H/bin/qmail-queue"
"$QC" check >/dev/null 2>&1
rc=$?
chmod 4711 "$H/bin/qmail-queue"
ok "$([ $rc -ne 0 ]; echo $?)" "qmailctl check: a wrong mode makes it exit non-zero"
done_testing
