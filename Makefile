# Makefile - build, test and install the mail transfer agent.
#
# Build-time settings (like qmail's conf-* files).  They are compiled into
# the programs; nothing setuid ever reads them from the environment.
#
#   make                      build everything into $(BUILD)
#   make test                 build and run every test (tests/run)
#   make SANITIZE=1 test      the same under AddressSanitizer + UBSan
#   make setup                install into $(QMAIL_HOME) (as root)
#   make check                verify the owners and modes of $(QMAIL_HOME)
#   make demo                 run a private unprivileged instance
#
# Out-of-tree builds:  make BUILD=/tmp/b QMAIL_HOME=/tmp/q UNPRIV=1

BUILD      ?= build
QMAIL_HOME ?= /var/qmail
SPLIT      ?= 23
# UNPRIV=1 maps every qmail role onto the user who builds; never implied.
UNPRIV     ?= 0
SANITIZE   ?= 0

USER_ALIAS  ?= alias
USER_QMAILD ?= qmaild
USER_QMAILL ?= qmaill
USER_ROOT   ?= root
USER_QMAILP ?= qmailp
USER_QMAILQ ?= qmailq
USER_QMAILR ?= qmailr
USER_QMAILS ?= qmails
GROUP_QMAIL   ?= qmail
GROUP_NOFILES ?= nofiles

CC ?= cc
ifeq ($(origin CC),default)
CC = cc
endif

WARN = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wvla -Wwrite-strings \
       -Wimplicit-fallthrough -Wundef -Wcast-align -Wno-unused-parameter
CSTD = -std=c11 -D_GNU_SOURCE
OPT  = -O2 -g
HARDEN_CFLAGS  = -fstack-protector-strong -fPIE -D_FORTIFY_SOURCE=2
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now -Wl,--as-needed
ifeq ($(SANITIZE),1)
OPT = -O1 -g -fno-omit-frame-pointer
HARDEN_CFLAGS  = -fPIE -fsanitize=address,undefined -fno-sanitize-recover=all
HARDEN_LDFLAGS = -pie -fsanitize=address,undefined -Wl,--as-needed
endif

CFLAGS_ALL  = $(CSTD) $(OPT) $(WARN) $(HARDEN_CFLAGS) -Isrc/lib -I$(BUILD)/gen \
              -MMD -MP $(CFLAGS)
LDFLAGS_ALL = $(HARDEN_LDFLAGS) $(LDFLAGS)

# Libraries a program needs beyond libq: LIBS_<program> = ...
# (link only what a program uses; see DESIGN.md section 6).
LIBS_instcheck =
-include src/*/libs.mk

PROGDIRS = queue local smtp qmqp inject pop3 admin
PROG_SRCS = $(foreach d,$(PROGDIRS),$(wildcard src/$(d)/*.c))
PROGS     = $(notdir $(PROG_SRCS:.c=))
LIB_SRCS  = $(wildcard src/lib/*.c)
LIB_OBJS  = $(patsubst src/lib/%.c,$(BUILD)/obj/lib/%.o,$(LIB_SRCS)) $(BUILD)/obj/gen/conf.o
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRCS))
SCRIPTS   = $(notdir $(wildcard scripts/*.in))
SCRIPT_OUT = $(addprefix $(BUILD)/scripts/,$(SCRIPTS:.in=))
UNITS     = $(notdir $(wildcard scripts/systemd/*.in))
UNIT_OUT  = $(addprefix $(BUILD)/systemd/,$(UNITS:.in=))

.PHONY: all deps test unit-tests setup check install demo clean lint format
.DEFAULT_GOAL := all

all: deps $(BUILD)/libq.a $(addprefix $(BUILD)/bin/,$(PROGS)) $(SCRIPT_OUT) $(UNIT_OUT)

deps:
	@scripts/deps build

# --- build-time settings: regenerated only when a setting changes --------

ifeq ($(UNPRIV),1)
UNPRIV_UID := $(shell id -u)
UNPRIV_GID := $(shell id -g)
else
UNPRIV_UID := 0
UNPRIV_GID := 0
endif

CONF_LINE = $(QMAIL_HOME)|$(SPLIT)|$(UNPRIV)|$(UNPRIV_UID)|$(UNPRIV_GID)|$(USER_ALIAS)|$(USER_QMAILD)|$(USER_QMAILL)|$(USER_ROOT)|$(USER_QMAILP)|$(USER_QMAILQ)|$(USER_QMAILR)|$(USER_QMAILS)|$(GROUP_QMAIL)|$(GROUP_NOFILES)

$(BUILD)/gen/conf.stamp: FORCE
	@mkdir -p $(BUILD)/gen
	@echo '$(CONF_LINE)' > $@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi

$(BUILD)/gen/conf.c: $(BUILD)/gen/conf.stamp scripts/mkconf
	@scripts/mkconf '$(QMAIL_HOME)' '$(SPLIT)' '$(UNPRIV)' '$(UNPRIV_UID)' \
	  '$(UNPRIV_GID)' '$(USER_ALIAS)' '$(USER_QMAILD)' '$(USER_QMAILL)' \
	  '$(USER_ROOT)' '$(USER_QMAILP)' '$(USER_QMAILQ)' '$(USER_QMAILR)' \
	  '$(USER_QMAILS)' '$(GROUP_QMAIL)' '$(GROUP_NOFILES)' > $@.new
	@mv $@.new $@

FORCE:

# --- compiling -----------------------------------------------------------

# V=1 shows the full commands.
ifeq ($(V),1)
Q =
say = @true
else
Q = @
say = @printf '  %-6s %s\n'
endif

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/obj/gen/conf.o: $(BUILD)/gen/conf.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

$(BUILD)/libq.a: $(LIB_OBJS)
	@rm -f $@
	$(say) AR $@
	$(Q)ar rcs $@ $^

define PROG_RULE
$(BUILD)/bin/$(notdir $(1:.c=)): $(BUILD)/obj/$(1:src/%.c=%).o $(BUILD)/libq.a
	@mkdir -p $(BUILD)/bin
	$$(say) LD $$@
	$$(Q)$$(CC) $$(CFLAGS_ALL) $$(LDFLAGS_ALL) -o $$@ $$< $(BUILD)/libq.a $$(LIBS_$(notdir $(1:.c=)))
endef
$(foreach s,$(PROG_SRCS),$(eval $(call PROG_RULE,$(s))))

$(BUILD)/scripts/%: scripts/%.in $(BUILD)/gen/conf.stamp
	@mkdir -p $(BUILD)/scripts
	$(say) GEN $@
	$(Q)sed -e 's|@QMAIL_HOME@|$(QMAIL_HOME)|g' -e 's|@SPLIT@|$(SPLIT)|g' \
	    -e 's|@UNPRIV@|$(UNPRIV)|g' \
	    -e 's|@USER_ALIAS@|$(USER_ALIAS)|g' -e 's|@USER_QMAILD@|$(USER_QMAILD)|g' \
	    -e 's|@USER_QMAILL@|$(USER_QMAILL)|g' -e 's|@USER_QMAILP@|$(USER_QMAILP)|g' \
	    -e 's|@USER_QMAILQ@|$(USER_QMAILQ)|g' -e 's|@USER_QMAILR@|$(USER_QMAILR)|g' \
	    -e 's|@USER_QMAILS@|$(USER_QMAILS)|g' -e 's|@USER_ROOT@|$(USER_ROOT)|g' \
	    -e 's|@GROUP_QMAIL@|$(GROUP_QMAIL)|g' -e 's|@GROUP_NOFILES@|$(GROUP_NOFILES)|g' \
	    $< > $@.new
	@chmod 755 $@.new
	@mv $@.new $@

# systemd units: the same substitutions, no execute bit.
$(BUILD)/systemd/%: scripts/systemd/%.in $(BUILD)/gen/conf.stamp
	@mkdir -p $(BUILD)/systemd
	$(say) GEN $@
	$(Q)sed -e 's|@QMAIL_HOME@|$(QMAIL_HOME)|g' \
	    -e 's|@USER_QMAILD@|$(USER_QMAILD)|g' \
	    -e 's|@GROUP_NOFILES@|$(GROUP_NOFILES)|g' $< > $@.new
	$(Q)mv $@.new $@

# --- tests ---------------------------------------------------------------

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libq.a
	@mkdir -p $(dir $@)
	$(say) LD $@
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes $(LDFLAGS_ALL) -o $@ $< \
	  $(BUILD)/libq.a -lcmocka -lcdb

unit-tests: $(UNIT_BINS)

# The black-box tests run against a private unprivileged instance whose
# home lives inside the test build directory.
TBUILD = $(BUILD)/t
TBUILD_ABS = $(abspath $(TBUILD))

test: lint
	@scripts/deps test
	$(MAKE) --no-print-directory all
	$(MAKE) --no-print-directory BUILD=$(TBUILD) UNPRIV=1 \
	  QMAIL_HOME=$(TBUILD_ABS)/home all unit-tests
	@tests/run $(TBUILD_ABS)

# Banned functions: easy mistakes kept out by the build.
lint:
	@if grep -nE '\<(strcpy|strcat|sprintf|vsprintf|gets|atoi|atol|strtok)[[:space:]]*\(' \
	    src/*/*.c src/*/*.h; then \
	  echo 'lint: banned function used (see HACKING.md)' >&2; exit 1; fi

# Fuzz targets (libFuzzer, clang): tests/fuzz/fuzz.mk defines `make fuzz`.
-include tests/fuzz/fuzz.mk

# --- installation --------------------------------------------------------

setup: all
	$(BUILD)/bin/install $(BUILD) .

install: setup

check: all
	$(BUILD)/bin/instcheck $(BUILD) .

# --- demo ----------------------------------------------------------------

demo:
	@scripts/demo

format:
	clang-format -i src/*/*.c src/*/*.h tests/unit/*.c

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
