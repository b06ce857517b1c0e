# tests/lib/tap.sh - TAP output for black-box tests written in bash.
#
# Source it, call the checks, end with done_testing.  Every check prints
# "ok N - name" or "not ok N - name"; done_testing prints the plan and
# exits 1 if any check failed.

TAP_N=0
TAP_FAILED=0

# ok CONDITION-STATUS NAME: pass if the status is 0
ok() {
  local status=$1; shift
  TAP_N=$((TAP_N + 1))
  if [ "$status" -eq 0 ]; then
    echo "ok $TAP_N - $*"
  else
    echo "not ok $TAP_N - $*"
    TAP_FAILED=$((TAP_FAILED + 1))
  fi
}

# is GOT EXPECTED NAME: pass if the two strings are equal
is() {
  local got=$1 want=$2; shift 2
  if [ "$got" = "$want" ]; then
    ok 0 "$*"
  else
    ok 1 "$*"
    echo "#   got:      '$got'"
    echo "#   expected: '$want'"
  fi
}

# skip NAME REASON: a check that could not run here
skip() {
  TAP_N=$((TAP_N + 1))
  echo "ok $TAP_N - $1 # SKIP $2"
}

diag() { echo "# $*"; }

done_testing() {
  echo "1..$TAP_N"
  [ "$TAP_FAILED" -eq 0 ]
  exit $?
}

# instance_reset: a fresh, empty queue in the test instance's home.
instance_reset() {
  rm -rf "$QHOME"
  "$QBIN/install" "$QBUILD" "$SRCROOT" >/dev/null || { echo "Bail out! install failed"; exit 1; }
}
