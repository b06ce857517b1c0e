#!/bin/bash
# manpages.sh - every man page renders without a groff warning, and every
# program the build installs has a man page.
. "$SRCROOT/tests/lib/tap.sh"

if ! command -v groff >/dev/null 2>&1; then
  skip "man pages render" "groff is not installed"
  done_testing
fi

for page in "$SRCROOT"/man/*.[1-8]; do
  name=$(basename "$page")
  warnings=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
  ok "$([ -z "$warnings" ]; echo $?)" "$name renders without warnings"
  [ -n "$warnings" ] && echo "$warnings" | head -5 | sed 's/^/# /'
done

# Programs that are built but not installed for administrators' use.
not_installed=" install "
for prog in "$QBIN"/* "$QBUILD"/scripts/*; do
  [ -f "$prog" ] && [ -x "$prog" ] || continue
  name=$(basename "$prog")
  case $not_installed in *" $name "*) continue ;; esac
  # set-up helpers, not programs: users, config, config-fast, services are
  # scripts run from the build tree (documented in README)
  case $name in users|config|config-fast|services) continue ;; esac
  found=no
  for s in 1 5 7 8; do
    [ -f "$SRCROOT/man/$name.$s" ] && found=yes
  done
  is "$found" yes "$name has a man page"
done
done_testing
