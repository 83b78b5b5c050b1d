# libFuzzer harnesses (clang), included by GNUmakefile.  See
# regress/fuzz/README.
#
#   make fuzz-build     build build-fuzz/fuzz_{pdu,login,conf}
#   make fuzz           run each for FUZZ_TIME seconds (default 60)
#   make fuzz-smoke     replay the seeds, then FUZZ_SMOKE_TIME s each
#
# The code under test is compiled again with clang, ASan and UBSan into
# build-fuzz/ (gcc's build/ and build-san/ are left alone): tgt-portal
# without tgt-portal.c, tgt-master's parser and conf.c, common/ without
# log.c (regress/fuzz/fuzz_log.c stands in for it).  fuzz_conf links
# only the parser and conf.c, not the rest of tgt-master.

FB		 = build-fuzz
FUZZ_CC		?= clang
FUZZ_TIME	?= 60
FUZZ_SMOKE_TIME	?= 15
FUZZ_SAN	 = -fsanitize=address,undefined \
		   -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS	 = -O1 -g -std=gnu11 -D_GNU_SOURCE -Icommon $(PKG_CFLAGS) \
		   $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_WARN	 = -Wall -Wextra -Werror -Wno-unused-parameter
FUZZ_NAMES	 = pdu login conf
FUZZ_PROGS	 = $(patsubst %,$(FB)/fuzz_%,$(FUZZ_NAMES))

fobj = $(patsubst %.c,$(FB)/obj/%.o,$(1))

FUZZ_COMMON	 = $(call fobj,$(filter-out common/log.c,$(COMMON_SRCS)))
FUZZ_PORTAL	 = $(call fobj,$(filter-out tgt-portal/tgt-portal.c, \
		   $(PORTAL_SRCS)))
FUZZ_MASTER	 = $(call fobj,tgt-master/conf.c)
FUZZ_LIBS	 = $(PKG_LIBS) -lisal -laio -luring -lrdmacm -libverbs

# Code under test: no -Werror, clang warns about other things than gcc.
$(FB)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(dir $<) -MMD -MP -c -o $@ $<

# The harnesses themselves are held to -Werror.
$(FB)/obj/regress/fuzz/%.o: regress/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_WARN) -Itgt-master -MMD -MP -c \
	    -o $@ $<

$(FB)/gen/parse.c: tgt-master/parse.y
	@mkdir -p $(dir $@)
	bison -o $@ $<

# include "file" in the fuzzed config goes through fuzz_conf_fopen().
$(FB)/obj/gen/parse.o: $(FB)/gen/parse.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Itgt-master -Dfopen=fuzz_conf_fopen \
	    -MMD -MP -c -o $@ $<

$(FB)/fuzz_pdu: $(call fobj,regress/fuzz/fuzz_pdu.c regress/fuzz/fuzz_portal.c \
    regress/fuzz/fuzz_log.c) $(FUZZ_PORTAL) $(FUZZ_COMMON)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

$(FB)/fuzz_login: $(call fobj,regress/fuzz/fuzz_login.c \
    regress/fuzz/fuzz_portal.c regress/fuzz/fuzz_log.c) $(FUZZ_PORTAL) \
    $(FUZZ_COMMON)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

$(FB)/fuzz_conf: $(call fobj,regress/fuzz/fuzz_conf.c regress/fuzz/fuzz_log.c) \
    $(FB)/obj/gen/parse.o $(FUZZ_MASTER) $(FUZZ_COMMON)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(FUZZ_LIBS)

-include $(shell find $(FB)/obj -name '*.d' 2>/dev/null)

fuzz-build: $(FUZZ_PROGS)

fuzz: fuzz-build
	@rc=0; for n in $(FUZZ_NAMES); do \
		sh regress/fuzz/run-fuzz.sh $$n $(FUZZ_TIME) $(FB)/corpus/$$n \
		    || rc=1; \
	done; exit $$rc

fuzz-smoke: fuzz-build
	@rc=0; for n in $(FUZZ_NAMES); do \
		sh regress/fuzz/run-fuzz.sh $$n $(FUZZ_SMOKE_TIME) || rc=1; \
	done; exit $$rc

fuzz-clean:
	rm -rf $(FB)

.PHONY: fuzz fuzz-build fuzz-smoke fuzz-clean
