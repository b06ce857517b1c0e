#!/bin/bash
# Black-box tests of predate, datemail and mailsubj.
. "$SRCROOT/tests/lib/tap.sh"
pass() { ok 0 "$*"; }
fail() { ok 1 "$*"; }
instance_reset
P=$QHOME/bin/predate
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$(printf 'Subject: x\n\nbody\n' | TZ=UTC "$P" cat)
first=$(printf '%s\n' "$out" | head -1)
# qmail's format: no day of the week, "Date: 7 Dec 2026 15:16:54 +0000"
if [[ $first =~ ^Date:\ [1-9][0-9]?\ (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ \+0000$ ]]; then
	pass "a Date line comes first, as qmail writes it (no weekday)"
else
	fail "a Date line comes first, as qmail writes it (no weekday) (got: $first)"
fi
is "$(printf '%s\n' "$out" | tail -n +2)" "$(printf 'Subject: x\n\nbody')" \
	"the input follows unchanged"
out=$(echo | TZ=Etc/GMT-3 "$P" cat | head -1)
case $out in *" +0300") pass "local time zone used" ;;
	*) fail "local time zone used (got: $out)" ;; esac
"$P" sh -c 'cat >/dev/null; exit 7' </dev/null; rc=$?
is "$rc" 7 "exits with the child's code"
"$P" "$tmp/nonexistent" </dev/null 2>"$tmp/err"; rc=$?
is "$rc" 111 "child that cannot run: 111"
grep -q '^predate: fatal: ' "$tmp/err" && pass "... with a fatal message" ||
	fail "... with a fatal message"
"$P" </dev/null 2>/dev/null; rc=$?
is "$rc" 100 "no child: usage, 100"
head -c 3000000 /dev/zero | "$P" head -c 10 >/dev/null; rc=$?
is "$rc" 0 "a child that stops reading early does not hurt predate"
"$P" sh -c 'kill -9 $$' </dev/null 2>/dev/null; rc=$?
is "$rc" 111 "child killed by a signal: 111"

echo me.example >"$QHOME/control/me"
printf 'To: a@b.org\nSubject: dm\n\nhello\n' | USER=joe "$QHOME/bin/datemail" -t
is "$?" 0 "datemail -t queues"
m=$(cat "$QHOME"/queue/mess/*/* 2>/dev/null)
grep -Eq '^Date: [1-9][0-9]? [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' <<<"$m" &&
	pass "datemail adds a local Date, no weekday" ||
	fail "datemail adds a local Date, no weekday ($(grep '^Date:' <<<"$m"))"
[[ $(grep -c '^Date:' <<<"$m") == 1 ]] && pass "qmail-inject keeps that Date" ||
	fail "qmail-inject keeps that Date"

pass() { ok 0 "$*"; }
fail() { ok 1 "$*"; }
instance_reset
echo me.example >"$QHOME/control/me"
echo 'hi there' | USER=joe "$QHOME/bin/mailsubj" 'a $(touch '"$tmp"'/pwned) subj
X-Injected: yes' 'r1@b.org' 'r2 <r2@c.org>'
is "$?" 0 "mailsubj queues"
m=$(cat "$QHOME"/queue/mess/*/*)
e=$(tr '\0' '\n' <"$QHOME"/queue/todo/*/* 2>/dev/null)
grep -q '^Subject: a $(touch .*/pwned) subj X-Injected: yes$' <<<"$m" &&
	pass "subject written literally, on one line" ||
	fail "subject written literally, on one line"
[[ ! -e $tmp/pwned ]] && pass "nothing in the subject is run" ||
	fail "nothing in the subject is run"
grep -q '^X-Injected' <<<"$m" && fail "no header injection" ||
	pass "no header injection"
grep -qx 'Tr1@b.org' <<<"$e" && grep -qx 'Tr2@c.org' <<<"$e" &&
	pass "recipients in To become the envelope" ||
	fail "recipients in To become the envelope"
grep -q '^hi there$' <<<"$m" && pass "body from stdin" || fail "body from stdin"
"$QHOME/bin/mailsubj" onlysubject </dev/null 2>/dev/null; rc=$?
is "$rc" 100 "mailsubj without recipients: 100"
done_testing
