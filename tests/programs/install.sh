#!/bin/bash
# install.sh - install, instcheck, config-fast and config in the
# unprivileged test instance ($QHOME).
set -u
: "${QHOME:?}" "${QBUILD:?}" "${QBIN:?}" "${SRCROOT:?}"
. "$SRCROOT/tests/lib/tap.sh"

cd "$SRCROOT" || exit 1
SPLIT=$(sed -n 's/^const unsigned int conf_split = \([0-9]*\);$/\1/p' \
  "$QBUILD/gen/conf.c")
[ -n "$SPLIT" ] || { echo "Bail out! no split in $QBUILD/gen/conf.c"; exit 1; }

# mode_of PATH: octal mode as stat prints it (e.g. 755, 2755)
mode_of() { stat -c %a "$1" 2>/dev/null; }
type_of() { stat -c %F "$1" 2>/dev/null; }

# The tree after a fresh install.
rm -rf "$QHOME"
"$QBIN/install" "$QBUILD" "$SRCROOT"
ok $? "install exits 0 on an empty home"

is "$(mode_of "$QHOME")" 755 "home mode 755"
for d in control users bin boot doc man man/man1 man/man5 man/man7 man/man8 \
  man/cat1 man/cat5 man/cat7 man/cat8; do
  is "$(type_of "$QHOME/$d"):$(mode_of "$QHOME/$d")" "directory:755" "$d is a directory, mode 755"
done
# Unprivileged: no set-id bits.
is "$(mode_of "$QHOME/alias")" 755 "alias mode 755 (no setgid when unprivileged)"
is "$(mode_of "$QHOME/queue")" 750 "queue mode 750"
is "$(mode_of "$QHOME/queue/pid")" 700 "queue/pid mode 700"
is "$(mode_of "$QHOME/queue/bounce")" 700 "queue/bounce mode 700"
is "$(mode_of "$QHOME/queue/lock")" 750 "queue/lock mode 750"

# check_split DIR MODE: DIR and DIR/0..SPLIT-1 exist with MODE, nothing more
check_split() {
  local d=$1 m=$2 i bad=0 n
  [ "$(mode_of "$QHOME/$d")" = "$m" ] || bad=1
  for ((i = 0; i < SPLIT; i++)); do
    [ -d "$QHOME/$d/$i" ] && [ "$(mode_of "$QHOME/$d/$i")" = "$m" ] || bad=1
  done
  n=$(find "$QHOME/$d" -mindepth 1 | wc -l)
  [ "$n" -eq "$SPLIT" ] || bad=1
  ok $bad "$d has $SPLIT split subdirectories, mode $m"
}
check_split queue/mess 750
check_split queue/info 700
check_split queue/local 700
check_split queue/remote 700
check_split queue/intd 700
check_split queue/todo 750

is "$(type_of "$QHOME/queue/lock/tcpto"):$(mode_of "$QHOME/queue/lock/tcpto"):$(stat -c %s "$QHOME/queue/lock/tcpto")" \
  "regular file:644:1024" "tcpto: 1024 bytes, mode 644"
is "$(cmp -s "$QHOME/queue/lock/tcpto" <(head -c 1024 /dev/zero); echo $?)" 0 "tcpto is zero-filled"
is "$(type_of "$QHOME/queue/lock/sendmutex"):$(mode_of "$QHOME/queue/lock/sendmutex"):$(stat -c %s "$QHOME/queue/lock/sendmutex")" \
  "regular empty file:600:0" "sendmutex: empty, mode 600"
is "$(type_of "$QHOME/queue/lock/trigger"):$(mode_of "$QHOME/queue/lock/trigger")" \
  "fifo:622" "trigger: a FIFO, mode 622"

# Programs.
is "$(mode_of "$QHOME/bin/instcheck")" 700 "bin/instcheck mode 700"
if [ -e "$QBIN/qmail-queue" ]; then
  is "$(mode_of "$QHOME/bin/qmail-queue")" 711 "bin/qmail-queue mode 711 (no setuid when unprivileged)"
  cmp -s "$QBIN/qmail-queue" "$QHOME/bin/qmail-queue"
  ok $? "bin/qmail-queue is a copy of the build's"
else
  skip "bin/qmail-queue mode 711" "qmail-queue not built"
  skip "bin/qmail-queue is a copy" "qmail-queue not built"
fi
ok "$([ ! -e "$QHOME/bin/install" ]; echo $?)" "install itself is not installed"
bad=0
for p in "$QBIN"/*; do
  n=${p##*/}
  [ "$n" = install ] && continue
  [ -f "$p" ] && [ -x "$p" ] || continue
  cmp -s "$p" "$QHOME/bin/$n" || { bad=1; diag "bin/$n not installed"; }
done
ok $bad "every program of the build except install is installed"
ok "$(ls -A "$QHOME/bin" | grep -c '^\.')" "no temporary files left in bin"

# Man pages from the source tree.
bad=0
for m in "$SRCROOT"/man/*.[1578]; do
  [ -f "$m" ] || continue
  n=${m##*/}
  s=${n##*.}
  cmp -s "$m" "$QHOME/man/man$s/$n" && [ "$(mode_of "$QHOME/man/man$s/$n")" = 644 ] ||
    { bad=1; diag "man page $n not installed"; }
done
ok $bad "every man page is installed in man/manN, mode 644"

# instcheck on the fresh tree.
out=$("$QBIN/instcheck" "$QBUILD" "$SRCROOT" 2>&1)
rc=$?
is "$rc:$out" "0:" "instcheck exits 0 silently on the fresh tree"
out=$("$QBIN/instcheck" 2>&1)
is "$?:$out" "0:" "instcheck without arguments (build taken from its own path) exits 0"

# Install again: harmless, keeps the queue's contents.
echo "a message" >"$QHOME/queue/mess/0/12345"
printf 'x' | dd of="$QHOME/queue/lock/tcpto" bs=1 seek=7 conv=notrunc 2>/dev/null
ino_before=$(stat -c %i "$QHOME/queue/lock/trigger")
"$QBIN/install" "$QBUILD" "$SRCROOT"
ok $? "install runs a second time"
is "$(cat "$QHOME/queue/mess/0/12345" 2>/dev/null)" "a message" "the second install leaves a message file in queue/mess/0"
is "$(head -c 8 "$QHOME/queue/lock/tcpto" | tail -c 1)" x "the second install leaves tcpto's contents"
is "$(stat -c %i "$QHOME/queue/lock/trigger")" "$ino_before" "the second install keeps the trigger FIFO"
"$QBIN/instcheck" "$QBUILD" "$SRCROOT" >/dev/null 2>&1
ok $? "instcheck exits 0 after the second install"

# Install repairs modes.
chmod 777 "$QHOME/queue/pid" "$QHOME/queue/lock/trigger" "$QHOME/bin/instcheck"
"$QBIN/install" "$QBUILD" "$SRCROOT"
is "$(mode_of "$QHOME/queue/pid"):$(mode_of "$QHOME/queue/lock/trigger"):$(mode_of "$QHOME/bin/instcheck")" \
  "700:622:700" "install repairs wrong modes"

# instcheck catches a wrong mode.
chmod 755 "$QHOME/queue/pid"
out=$("$QBIN/instcheck" 2>&1)
rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "instcheck fails on a wrong mode (exit $rc)"
is "$out" "instcheck: warning: $QHOME/queue/pid has mode 755, want 700" \
  "instcheck names queue/pid and both modes"
chmod 700 "$QHOME/queue/pid"

# instcheck catches a missing directory, once.
rm -rf "$QHOME/queue/info"
out=$("$QBIN/instcheck" 2>&1)
rc=$?
ok "$([ "$rc" -eq 111 ]; echo $?)" "instcheck exits 111 on a missing directory (exit $rc)"
is "$out" "instcheck: warning: $QHOME/queue/info is missing" \
  "instcheck reports the missing queue/info once, not its subdirectories"
rm -rf "$QHOME/queue/todo/5"
out=$("$QBIN/instcheck" 2>&1)
echo "$out" | grep -q "queue/todo/5 is missing"
ok $? "instcheck reports a missing split subdirectory of todo"
"$QBIN/install" "$QBUILD" "$SRCROOT"
"$QBIN/instcheck" >/dev/null 2>&1
ok $? "install recreates missing directories"

# instcheck catches a regular file where the trigger FIFO belongs;
# install refuses to touch it.
rm -f "$QHOME/queue/lock/trigger"
: >"$QHOME/queue/lock/trigger"
chmod 622 "$QHOME/queue/lock/trigger"
out=$("$QBIN/instcheck" 2>&1)
rc=$?
ok "$([ "$rc" -ne 0 ]; echo $?)" "instcheck fails on a regular file as trigger (exit $rc)"
echo "$out" | grep -q "queue/lock/trigger is a regular file, want a named pipe"
ok $? "instcheck says trigger is a regular file, not a named pipe"
out=$("$QBIN/install" "$QBUILD" "$SRCROOT" 2>&1)
rc=$?
ok "$([ "$rc" -eq 111 ] && [ -f "$QHOME/queue/lock/trigger" ]; echo $?)" \
  "install exits 111 and leaves a regular file at trigger alone (exit $rc)"
echo "$out" | grep -q "^install: fatal: $QHOME/queue/lock/trigger exists but is not a named pipe"
ok $? "install explains why"
rm -f "$QHOME/queue/lock/trigger"
"$QBIN/install" "$QBUILD" "$SRCROOT" && [ -p "$QHOME/queue/lock/trigger" ]
ok $? "install makes the FIFO once the file is gone"

# A symbolic link where a queue file belongs is neither accepted nor
# followed (the target is a file of our own, never a system file).
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
echo victim >"$fake/victim"
chmod 640 "$fake/victim"
mv -f "$QHOME/queue/lock/sendmutex" "$fake/sendmutex.keep"
ln -s "$fake/victim" "$QHOME/queue/lock/sendmutex"
"$QBIN/install" "$QBUILD" "$SRCROOT" >/dev/null 2>&1
rc=$?
ok "$([ "$rc" -eq 111 ] && [ "$(mode_of "$fake/victim")" = 640 ]; echo $?)" \
  "install refuses a symbolic link as sendmutex and does not follow it"
out=$("$QBIN/instcheck" 2>&1)
echo "$out" | grep -q "queue/lock/sendmutex is a symbolic link, want a regular file"
ok $? "instcheck reports a symbolic link as sendmutex"
rm -f "$QHOME/queue/lock/sendmutex"
mv -f "$fake/sendmutex.keep" "$QHOME/queue/lock/sendmutex"

# A program the build made but which is not installed.
if [ -e "$QHOME/bin/qmail-queue" ]; then
  rm -f "$QHOME/bin/qmail-queue"
  out=$("$QBIN/instcheck" 2>&1)
  echo "$out" | grep -q "bin/qmail-queue is missing"
  ok $? "instcheck reports a missing qmail-queue"
else
  skip "instcheck reports a missing qmail-queue" "qmail-queue not built"
fi
"$QBIN/install" "$QBUILD" "$SRCROOT"

# A program the build did not make is no error; an unknown one is checked.
out=$("$QBIN/instcheck" 2>&1)
is "$out" "" "programs not built are not reported"
printf '#!/bin/sh\n' >"$QHOME/bin/extra-tool"
chmod 700 "$QHOME/bin/extra-tool"
out=$("$QBIN/instcheck" 2>&1)
is "$out" "instcheck: warning: $QHOME/bin/extra-tool has mode 700, want 755" \
  "an unknown installed program must be mode 755"
rm -f "$QHOME/bin/extra-tool"

# Usage errors.
"$QBIN/install" >/dev/null 2>&1
is "$?" 100 "install without BUILDDIR is a usage error (100)"
"$QBIN/install" "$QBUILD" /nonexistent/src >/dev/null 2>&1
is "$?" 111 "install with a missing SRCDIR fails (111)"

# Programs are replaced by rename, never rewritten in place.
ino_before=$(stat -c %i "$QHOME/bin/instcheck")
"$QBIN/install" "$QBUILD" "$SRCROOT"
ino_after=$(stat -c %i "$QHOME/bin/instcheck")
ok "$([ "$ino_before" != "$ino_after" ]; echo $?)" "a program is replaced by a new file, not rewritten"

# Boot scripts, documents and man pages from a source tree.
src=$fake/src
mkdir -p "$src/man" "$src/doc" "$src/scripts/boot"
printf '#!/bin/sh\nexec env - PATH="@QMAIL_HOME@/bin:$PATH" qmail-start ./Mailbox @QMAIL_HOME@@QMAIL_HOME\n' \
  >"$src/scripts/boot/home.in"
printf '#!/bin/sh\necho proc\n' >"$src/scripts/boot/proc"
echo "read me" >"$src/doc/README.test"
mkdir "$src/doc/subdir"
echo ".TH x 1" >"$src/man/xtest.1"
echo ".TH y 7" >"$src/man/ytest.7"
echo "not a page" >"$src/man/notes.txt"
"$QBIN/install" "$QBUILD" "$src"
ok $? "install from another source tree"
is "$(cat "$QHOME/boot/home")" \
  "$(printf '#!/bin/sh\nexec env - PATH="%s/bin:$PATH" qmail-start ./Mailbox %s@QMAIL_HOME' "$QHOME" "$QHOME")" \
  "boot/home.in is installed as boot/home with @QMAIL_HOME@ replaced"
is "$(cat "$QHOME/boot/proc"):$(mode_of "$QHOME/boot/proc"):$(mode_of "$QHOME/boot/home")" \
  "$(printf '#!/bin/sh\necho proc'):755:755" "boot scripts are installed mode 755"
is "$(cat "$QHOME/doc/README.test"):$(mode_of "$QHOME/doc/README.test")" "read me:644" \
  "documents are installed mode 644"
ok "$([ ! -e "$QHOME/doc/subdir" ]; echo $?)" "directories in doc/ are not installed"
is "$(cat "$QHOME/man/man1/xtest.1"):$(cat "$QHOME/man/man7/ytest.7")" ".TH x 1:.TH y 7" \
  "man pages go to the directory of their section"
ok "$([ ! -e "$QHOME/man/man1/notes.txt" ] && [ ! -e "$QHOME/man/man8/notes.txt" ]; echo $?)" \
  "files without a section suffix are not installed as man pages"
"$QBIN/instcheck" "$QBUILD" "$src" >/dev/null 2>&1
ok $? "instcheck with SRCDIR passes"
rm -f "$QHOME/boot/home"
out=$("$QBIN/instcheck" "$QBUILD" "$src" 2>&1)
is "$out" "instcheck: warning: $QHOME/boot/home is missing" "instcheck with SRCDIR reports a missing boot script"
chmod 600 "$QHOME/doc/README.test"
out=$("$QBIN/instcheck" 2>&1)
is "$out" "instcheck: warning: $QHOME/doc/README.test has mode 600, want 644" \
  "instcheck checks the installed documents"
out=$(cd "$fake" && "$QBIN/install" "$QBUILD" 2>&1)
rc=$?
ok "$([ "$rc" -eq 0 ] && echo "$out" | grep -q 'not copied'; echo $?)" \
  "install outside a source tree copies programs only, and says so"
is "$(mode_of "$QHOME/doc/README.test")" 600 "install outside a source tree leaves documents alone"
rm -rf "${QHOME:?}"/boot/* "${QHOME:?}"/doc/* "$QHOME/man/man1/xtest.1" "$QHOME/man/man7/ytest.7"

# config-fast.
rm -f "$QHOME"/control/{me,defaultdomain,plusdomain,locals,rcpthosts}
out=$("$QBUILD/scripts/config-fast" mail.example.test 2>&1)
ok $? "config-fast mail.example.test exits 0"
is "$(cat "$QHOME/control/me")" mail.example.test "control/me"
is "$(cat "$QHOME/control/defaultdomain")" example.test "control/defaultdomain"
is "$(cat "$QHOME/control/plusdomain")" example.test "control/plusdomain"
is "$(cat "$QHOME/control/locals")" mail.example.test "control/locals"
is "$(cat "$QHOME/control/rcpthosts")" mail.example.test "control/rcpthosts"
is "$(mode_of "$QHOME/control/me"):$(mode_of "$QHOME/control/rcpthosts")" "644:644" "control files mode 644"
echo "$out" | grep -q "rcpthosts"
ok $? "config-fast reminds about rcpthosts"
ok "$(ls -A "$QHOME/control" | grep -c '^\.')" "config-fast leaves no temporary files"

"$QBUILD/scripts/config-fast" a.b.example.test >/dev/null 2>&1
is "$(cat "$QHOME/control/defaultdomain"):$(cat "$QHOME/control/plusdomain")" \
  "b.example.test:example.test" "four labels: defaultdomain drops one, plusdomain keeps two"
"$QBUILD/scripts/config-fast" example.test >/dev/null 2>&1
is "$(cat "$QHOME/control/defaultdomain"):$(cat "$QHOME/control/plusdomain")" \
  "example.test:example.test" "two labels: defaultdomain and plusdomain are the name"

"$QBUILD/scripts/config-fast" mail.example.test >/dev/null 2>&1
for bad in 'a;b' '' 'a b.c' '../x' 'a..b' '-a.b' 'a.b.' '$(id).x'; do
  "$QBUILD/scripts/config-fast" "$bad" >/dev/null 2>&1
  rc=$?
  is "$rc:$(cat "$QHOME/control/me")" "100:mail.example.test" "config-fast refuses '$bad' and writes nothing"
done
"$QBUILD/scripts/config-fast" >/dev/null 2>&1
is "$?" 100 "config-fast without an argument is a usage error"

# The wrapper in the source directory.
out=$(BUILD=/nonexistent "$SRCROOT/config-fast" mail.example.test 2>&1)
rc=$?
ok "$([ "$rc" -ne 0 ] && echo "$out" | grep -q 'run make first'; echo $?)" \
  "./config-fast without a build says to run make"
BUILD=$QBUILD "$SRCROOT/config-fast" other.example.test >/dev/null 2>&1
is "$?:$(cat "$QHOME/control/me")" "0:other.example.test" "./config-fast runs the build's config-fast"

# config, with hostname and getent replaced by fakes.
cat >"$fake/hostname" <<'EOF'
#!/bin/sh
if [ "${1:-}" = -f ]; then echo "$FAKE_FQDN"; else echo "${FAKE_FQDN%%.*}"; fi
EOF
cat >"$fake/getent" <<'EOF'
#!/bin/sh
[ -n "$FAKE_HOSTS" ] && echo "$FAKE_HOSTS"
EOF
chmod 755 "$fake/hostname" "$fake/getent"
FAKE_FQDN=relay.example.test FAKE_HOSTS='' PATH=$fake:$PATH "$QBUILD/scripts/config" >/dev/null 2>&1
is "$?:$(cat "$QHOME/control/me"):$(cat "$QHOME/control/defaultdomain")" \
  "0:relay.example.test:example.test" "config uses hostname -f"
FAKE_FQDN=box FAKE_HOSTS="192.0.2.1   box.lan.example.test box" PATH=$fake:$PATH "$QBUILD/scripts/config" >/dev/null 2>&1
is "$?:$(cat "$QHOME/control/me")" "0:box.lan.example.test" "config falls back to getent hosts"
out=$(FAKE_FQDN=box FAKE_HOSTS='' PATH=$fake:$PATH "$QBUILD/scripts/config" 2>&1)
rc=$?
ok "$([ "$rc" -eq 100 ] && echo "$out" | grep -q config-fast; echo $?)" \
  "config without a dotted name exits 100 and points at config-fast"
is "$(cat "$QHOME/control/me")" box.lan.example.test "config without a dotted name writes nothing"

# Leave a clean instance for the tests that follow.
instance_reset
done_testing
