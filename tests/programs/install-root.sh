#!/bin/bash
# install-root.sh - a privileged install, with real owners, as root.
#
# Builds a privileged instance out of tree with test users and groups of
# its own (never the system's qmail users), creates them with the build's
# users script, runs "make setup" and "make check", and checks owners and
# modes.  Everything it made is removed at the end.  Skipped unless root.
set -u
. "$SRCROOT/tests/lib/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
  skip "privileged install" "not running as root"
  done_testing
fi

# Names unique to this run, short enough for useradd (at most 32 bytes).
p=qt$$
U_ALIAS=${p}a U_QMAILD=${p}d U_QMAILL=${p}l U_QMAILP=${p}p
U_QMAILQ=${p}q U_QMAILR=${p}r U_QMAILS=${p}s
G_QMAIL=${p}g G_NOFILES=${p}n
USERS="$U_ALIAS $U_QMAILD $U_QMAILL $U_QMAILP $U_QMAILQ $U_QMAILR $U_QMAILS"
GROUPS_MADE="$G_QMAIL $G_NOFILES"

tmp=$(mktemp -d)
chmod 755 "$tmp"
B=$tmp/build
H=$tmp/deep/er/home

cleanup() {
  local u g
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

MAKEARGS=(-C "$SRCROOT" --no-print-directory BUILD="$B" QMAIL_HOME="$H"
  USER_ALIAS="$U_ALIAS" USER_QMAILD="$U_QMAILD" USER_QMAILL="$U_QMAILL"
  USER_QMAILP="$U_QMAILP" USER_QMAILQ="$U_QMAILQ" USER_QMAILR="$U_QMAILR"
  USER_QMAILS="$U_QMAILS" GROUP_QMAIL="$G_QMAIL" GROUP_NOFILES="$G_NOFILES")

make -j"$(nproc)" "${MAKEARGS[@]}" all >"$tmp/make.log" 2>&1
rc=$?
ok $rc "a privileged build with test user names"
if [ $rc -ne 0 ]; then
  tail -20 "$tmp/make.log" | sed 's/^/# /'
  echo "Bail out! the build failed"
  exit 1
fi

# install refuses to run before the users exist, naming the user.
out=$("$B/bin/install" "$B" "$SRCROOT" 2>&1)
rc=$?
ok "$([ $rc -eq 111 ] && echo "$out" | grep -q "user $U_ALIAS does not exist.*scripts/users"; echo $?)" \
  "install without the users fails, naming the user and the users script"
ok "$([ ! -e "$H" ]; echo $?)" "install without the users makes nothing"

"$B/scripts/users" >"$tmp/users.log" 2>&1
ok $? "the users script runs"
bad=0
for u in $USERS; do getent passwd "$u" >/dev/null || bad=1; done
for g in $GROUPS_MADE; do getent group "$g" >/dev/null || bad=1; done
ok $bad "the users script created all users and groups"
is "$(id -gn "$U_ALIAS"):$(getent passwd "$U_ALIAS" | cut -d: -f6)" "$G_NOFILES:$H/alias" \
  "alias: group nofiles, home QMAIL_HOME/alias"
is "$(id -gn "$U_QMAILD"):$(getent passwd "$U_QMAILD" | cut -d: -f6)" "$G_NOFILES:$H" \
  "qmaild: group nofiles, home QMAIL_HOME"
is "$(id -gn "$U_QMAILQ"):$(id -gn "$U_QMAILR"):$(id -gn "$U_QMAILS")" "$G_QMAIL:$G_QMAIL:$G_QMAIL" \
  "qmailq, qmailr, qmails: group qmail"
shell=$(getent passwd "$U_QMAILS" | cut -d: -f7)
case $shell in */nologin | */false) r=0 ;; *) r=1 ;; esac
ok $r "the users get a shell that refuses logins ($shell)"
pw=$(getent shadow "$U_QMAILS" | cut -d: -f2)
case $pw in '!'* | '*'*) r=0 ;; *) r=1 ;; esac
ok $r "the users have no usable password"
"$B/scripts/users" >"$tmp/users2.log" 2>&1
ok $? "running the users script again is harmless"

(umask 077 && make "${MAKEARGS[@]}" setup) >"$tmp/setup.log" 2>&1
rc=$?
ok $rc "make setup (under umask 077)"
[ $rc -eq 0 ] || tail -5 "$tmp/setup.log" | sed 's/^/# /'
is "$(stat -c %a "$tmp/deep"):$(stat -c %a "$tmp/deep/er")" "755:755" \
  "install makes the home's missing parents mode 755, whatever the umask"
make "${MAKEARGS[@]}" check >"$tmp/check.log" 2>&1
rc=$?
ok $rc "make check passes on the fresh tree"
[ $rc -eq 0 ] || tail -20 "$tmp/check.log" | sed 's/^/# /'

# owner_mode PATH: user:group:mode
owner_mode() { stat -c '%U:%G:%a' "$1" 2>/dev/null; }
expect() { is "$(owner_mode "$H/$1")" "$2" "$1 is $2"; }

expect . "root:$G_QMAIL:755"
expect control "root:$G_QMAIL:755"
expect bin "root:$G_QMAIL:755"
expect man/man8 "root:$G_QMAIL:755"
expect alias "$U_ALIAS:$G_QMAIL:2755"
expect queue "$U_QMAILQ:$G_QMAIL:750"
expect queue/pid "$U_QMAILQ:$G_QMAIL:700"
expect queue/intd "$U_QMAILQ:$G_QMAIL:700"
expect queue/intd/0 "$U_QMAILQ:$G_QMAIL:700"
expect queue/todo "$U_QMAILQ:$G_QMAIL:750"
expect queue/todo/22 "$U_QMAILQ:$G_QMAIL:750"
expect queue/mess/5 "$U_QMAILQ:$G_QMAIL:750"
expect queue/info/5 "$U_QMAILS:$G_QMAIL:700"
expect queue/local/5 "$U_QMAILS:$G_QMAIL:700"
expect queue/remote/5 "$U_QMAILS:$G_QMAIL:700"
expect queue/bounce "$U_QMAILS:$G_QMAIL:700"
expect queue/lock "$U_QMAILQ:$G_QMAIL:750"
expect queue/lock/tcpto "$U_QMAILR:$G_QMAIL:644"
expect queue/lock/sendmutex "$U_QMAILS:$G_QMAIL:600"
expect queue/lock/trigger "$U_QMAILS:$G_QMAIL:622"
ok "$([ -p "$H/queue/lock/trigger" ]; echo $?)" "queue/lock/trigger is a FIFO"
expect bin/instcheck "root:$G_QMAIL:700"
if [ -e "$B/bin/qmail-queue" ]; then
  expect bin/qmail-queue "$U_QMAILQ:$G_QMAIL:4711"
else
  skip "bin/qmail-queue is setuid $U_QMAILQ" "qmail-queue not built yet"
fi
for m in "$SRCROOT"/man/*.8; do
  [ -f "$m" ] || continue
  expect "man/man8/${m##*/}" "root:$G_QMAIL:644"
  break
done

"$B/scripts/config-fast" mail.example.test >/dev/null 2>&1
ok $? "config-fast mail.example.test"
is "$(cat "$H/control/me"):$(owner_mode "$H/control/me")" "mail.example.test:root:root:644" \
  "control/me written, root-owned, mode 644"

"$B/bin/instcheck" >/dev/null 2>&1
ok $? "instcheck exits 0"

# Break a mode and an owner: instcheck names both.
chmod 755 "$H/queue/pid"
chown root "$H/queue/bounce"
out=$("$B/bin/instcheck" 2>&1)
rc=$?
ok "$([ $rc -ne 0 ]; echo $?)" "instcheck fails on a broken tree (exit $rc)"
echo "$out" | grep -qx "instcheck: warning: $H/queue/pid has mode 755, want 700"
ok $? "instcheck reports the wrong mode of queue/pid"
echo "$out" | grep -qx "instcheck: warning: $H/queue/bounce has owner root, want $U_QMAILS"
ok $? "instcheck reports the wrong owner of queue/bounce"
is "$(echo "$out" | wc -l)" 2 "instcheck reports exactly the two problems"
chgrp root "$H/queue/lock/tcpto"
out=$("$B/bin/instcheck" 2>&1)
echo "$out" | grep -qx "instcheck: warning: $H/queue/lock/tcpto has group root, want $G_QMAIL"
ok $? "instcheck reports a wrong group"

# A set-uid bit lost (e.g. by a copy) is reported too.
if [ -e "$H/bin/qmail-queue" ]; then
  chmod 711 "$H/bin/qmail-queue"
  out=$("$B/bin/instcheck" 2>&1)
  echo "$out" | grep -qx "instcheck: warning: $H/bin/qmail-queue has mode 711, want 4711"
  ok $? "instcheck reports qmail-queue without its setuid bit"
else
  skip "instcheck reports qmail-queue without its setuid bit" "qmail-queue not built yet"
fi

# install repairs all of it, keeping the queue's contents.
echo "queued" >"$H/queue/mess/3/777"
make "${MAKEARGS[@]}" setup >/dev/null 2>&1
ok $? "make setup again"
"$B/bin/instcheck" >/dev/null 2>&1
ok $? "instcheck passes after the repair"
is "$(cat "$H/queue/mess/3/777")" queued "the repair keeps a message file"

# A user that disappears is a fatal error naming it.
userdel "$U_QMAILR" >/dev/null 2>&1
out=$("$B/bin/install" "$B" "$SRCROOT" 2>&1)
rc=$?
ok "$([ $rc -eq 111 ] && echo "$out" | grep -q "^install: fatal: user $U_QMAILR does not exist"; echo $?)" \
  "install names a missing user"

done_testing
