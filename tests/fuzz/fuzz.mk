# tests/fuzz/fuzz.mk - libFuzzer targets (included by the Makefile).
#
#   make fuzz                   build every target and run each for
#                               FUZZ_SECONDS (default 60) seconds
#   make fuzz FUZZ_SECONDS=10   a shorter run
#   make fuzz-build             build only
#
# The targets are built with clang (-fsanitize=fuzzer,address,undefined)
# in their own directory, $(BUILD)/fuzz, from the library sources they
# need (never from libq.a, which the normal compiler built).  Each run
# starts from the committed seed corpus tests/fuzz/corpus/NAME/ (read
# only) plus a working corpus in $(BUILD)/fuzz/corpus/NAME/ that keeps
# what earlier runs found.  Any crash, sanitizer report, leak, timeout or
# out-of-memory is a finding: libFuzzer exits non-zero, the input is
# saved in $(BUILD)/fuzz/artifacts/ and make fails.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_MAX_LEN ?= 8192
FUZZ_RSS_MB  ?= 1024
FUZZ_BUILD    = $(BUILD)/fuzz
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=all $(WARN) -Wno-missing-prototypes \
                -Isrc/lib
FUZZ_TARGETS  = fuzz_smtp_command fuzz_smtp_data fuzz_smtp_reply fuzz_base64 \
                fuzz_netstring fuzz_addr822

# The library sources each target needs.
FUZZ_SRCS_fuzz_smtp_command = src/lib/smtpin.c src/lib/bytes.c src/lib/fmt.c
FUZZ_SRCS_fuzz_smtp_data    = src/lib/smtpin.c src/lib/bytes.c src/lib/fmt.c
FUZZ_SRCS_fuzz_smtp_reply   = src/lib/smtpreply.c src/lib/bytes.c src/lib/fmt.c
FUZZ_SRCS_fuzz_base64       = src/lib/base64.c
FUZZ_SRCS_fuzz_addr822      = src/lib/addr822.c src/lib/quote.c src/lib/bytes.c \
                              src/lib/fmt.c
FUZZ_SRCS_fuzz_netstring    = src/lib/netstring.c src/lib/bytes.c src/lib/fmt.c \
                              src/lib/deadline.c \
                              src/lib/iobuf.c

FUZZ_BINS = $(addprefix $(FUZZ_BUILD)/,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

define FUZZ_RULE
$(FUZZ_BUILD)/$(1): tests/fuzz/$(1).c $(FUZZ_SRCS_$(1)) $(wildcard src/lib/*.h) tests/fuzz/fuzz.mk
	@mkdir -p $(FUZZ_BUILD)
	$$(say) FUZZ $$@
	$$(Q)$(FUZZ_CC) $$(FUZZ_CFLAGS) -o $$@ tests/fuzz/$(1).c $(FUZZ_SRCS_$(1))
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_RULE,$(t))))

fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/artifacts; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
	  $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=$(FUZZ_MAX_LEN) -rss_limit_mb=$(FUZZ_RSS_MB) \
	    -malloc_limit_mb=$(FUZZ_RSS_MB) -timeout=10 \
	    -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	    $(FUZZ_BUILD)/corpus/$$t tests/fuzz/corpus/$$t \
	    > $(FUZZ_BUILD)/$$t.log 2>&1 || \
	  { tail -n 60 $(FUZZ_BUILD)/$$t.log; \
	    echo "fuzz: $$t: FINDING (see $(FUZZ_BUILD)/artifacts/)" >&2; \
	    exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_BUILD)/$$t.log; \
	done
