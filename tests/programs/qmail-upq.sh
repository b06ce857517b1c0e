#!/bin/bash
# qmail-upq.sh - files outside their split subdirectory (a flat todo/ and
# intd/ from an older qmail, a message in the wrong mess/ split) are moved
# where their number says; a missing split directory stops it.
. "$SRCROOT/tests/lib/tap.sh"
UPQ=$QBUILD/scripts/qmail-upq
Q=$QHOME/queue

instance_reset
printf 'u0\0p1\0Fa\0Tb\0' >"$Q/todo/12345"
cp "$Q/todo/12345" "$Q/intd/12345"
echo message >"$Q/mess/5/47"
echo message >"$Q/mess/1/24"   # already right: 24 % 23 = 1
"$UPQ"
ok $? "qmail-upq exits 0"
ok "$([ -f "$Q/todo/17/12345" ] && [ ! -e "$Q/todo/12345" ]; echo $?)" \
  "flat todo/12345 moved to todo/17/"
ok "$([ -f "$Q/intd/17/12345" ] && [ ! -e "$Q/intd/12345" ]; echo $?)" \
  "flat intd/12345 moved to intd/17/"
ok "$([ -f "$Q/mess/1/47" ] && [ ! -e "$Q/mess/5/47" ]; echo $?)" \
  "mess/5/47 moved to mess/1/"
ok "$([ -f "$Q/mess/1/24" ]; echo $?)" "a file in its place stays"
is "$("$QBIN/qmail-qstat" | head -1)" "messages in queue: 2" \
  "qmail-qstat counts the moved messages"

rmdir "$Q/info/3"
"$UPQ" 2>"$QBUILD/upq.err"
is "$?" 111 "a missing split directory: exit 111"
grep -q 'info/3 is missing' "$QBUILD/upq.err"
ok $? "and says which"
done_testing
