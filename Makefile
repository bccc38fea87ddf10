# tbtwarn: one non-recursive Makefile. `make`, `make test`, `make bench`, `make install`, `make run`.
.DEFAULT_GOAL := all
.SUFFIXES:

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/tbtwarn
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
DESTDIR ?=
CC ?= cc
CXX ?= c++
ifeq ($(CC),cc)
CC := gcc
endif
ifeq ($(CXX),c++)
CXX := g++
endif
B := build
V ?= 0
Q := $(if $(filter 1,$(V)),,@)
msg = $(if $(filter 1,$(V)),,@printf '  %-6s %s\n' $(1) $(2);)

PKGS := sqlite3 xapian-core jansson libcrypto libcurl libxml-2.0 zlib libmicrohttpd poppler-glib libzip libpq libsodium
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lev -lm -pthread
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wwrite-strings -Wformat-security \
	-Wshadow -Wno-missing-field-initializers
CPPFLAGS_ALL := -D_GNU_SOURCE -I. -Ilib -Idb -Iindexer -Icrawler -Ialerter -Iweb -Iservice -Itranslator -I$(B)/gen
OPT ?= -O2
CFLAGS_ALL = -std=c11 -pthread $(OPT) -g $(WARN) -MMD -MP $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CFLAGS)
CXXFLAGS_ALL = -std=c++17 -pthread $(OPT) -g -Wall -Wextra -Werror -MMD -MP $(CPPFLAGS_ALL) $(PKG_CFLAGS) $(CXXFLAGS)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN := -fsanitize=thread -fno-omit-frame-pointer

LIB_C := $(wildcard lib/*.c) $(wildcard db/*.c) $(wildcard net/*.c) $(wildcard indexer/*.c) $(wildcard crawler/*.c) $(wildcard alerter/*.c) $(wildcard web/*.c) \
	$(wildcard service/*.c) $(wildcard translator/*.c)
LIB_CXX := $(wildcard indexer/*.cc)
CLI_C := $(wildcard cli/*.c)
UNIT_C := $(wildcard tests/unit/test_*.c)
GEN_C := $(B)/gen/embedded.c
WEB_FILES := $(sort $(wildcard web/static/*))
WEB_C := $(B)/gen/web_files.c

# Object lists for the normal build ($(B)/) and the sanitizer build ($(B)/san/).
objs = $(patsubst %.c,$(1)/%.o,$(LIB_C)) $(patsubst %.cc,$(1)/%.o,$(LIB_CXX)) $(1)/gen/embedded.o $(1)/gen/web_files.o
LIB_OBJS := $(call objs,$(B)/o)
SAN_OBJS := $(call objs,$(B)/san)
TSAN_OBJS := $(call objs,$(B)/tsan)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/o/tests/%,$(UNIT_C))
SAN_UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/san/tests/%,$(UNIT_C))

all: tbtwarn

# Missing Debian packages are installed once; the stamp is redone when the list changes.
$(B)/.deps: scripts/deps.sh
	$(Q)mkdir -p $(B)
	$(Q)sh scripts/deps.sh build
	$(Q)touch $@

deps: $(B)/.deps

# The tests and benchmarks also need sqlite3 and python3.
$(B)/.deps-test: scripts/deps.sh | $(B)/.deps
	$(Q)sh scripts/deps.sh test
	$(Q)touch $@

EMBED := tbt_members_tsv:config/members.tsv tbt_default_ini:config/tbtwarn.ini \
	tbt_categories_tsv:config/categories.tsv tbt_hs_csv:data/hs-2022.csv tbt_ics_tsv:data/ics-ed7.tsv \
	tbt_glossary_tsv:config/glossary.tsv
$(GEN_C): config/members.tsv config/tbtwarn.ini config/categories.tsv data/hs-2022.csv data/ics-ed7.tsv config/glossary.tsv \
		scripts/embed.sh | $(B)/.deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)rm -f $@.all; for e in $(EMBED); do sh scripts/embed.sh $@.one $${e%%:*} $${e#*:} && cat $@.one >> $@.all; done
	$(Q)rm -f $@.one && mv $@.all $@

$(WEB_C): $(WEB_FILES) scripts/embed_web.sh | $(B)/.deps
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)sh scripts/embed_web.sh $@ $(WEB_FILES)
$(B)/o/gen/web_files.o: $(WEB_C)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(B)/san/gen/web_files.o: $(WEB_C)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN) -c $< -o $@
$(B)/tsan/gen/web_files.o: $(WEB_C)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TSAN) -c $< -o $@

$(B)/o/%.o: %.c | $(B)/.deps
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(B)/o/%.o: %.cc | $(B)/.deps
	$(call msg,CXX,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS_ALL) -c $< -o $@
$(B)/o/gen/embedded.o: $(GEN_C)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(B)/san/%.o: %.c | $(B)/.deps
	$(call msg,CC-SAN,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -O1 $(SAN) -c $< -o $@
$(B)/san/%.o: %.cc | $(B)/.deps
	$(call msg,CXX-SAN,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS_ALL) -O1 $(SAN) -c $< -o $@
$(B)/san/gen/embedded.o: $(GEN_C)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(SAN) -c $< -o $@
# ThreadSanitizer: the web's search threads beside the loop (tests/e2e/t72).
$(B)/tsan/%.o: %.c | $(B)/.deps
	$(call msg,CC-TSAN,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -O1 $(TSAN) -c $< -o $@
$(B)/tsan/%.o: %.cc | $(B)/.deps
	$(call msg,CXX-TSAN,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS_ALL) -O1 $(TSAN) -c $< -o $@
$(B)/tsan/gen/embedded.o: $(GEN_C)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(TSAN) -c $< -o $@

tbtwarn: $(LIB_OBJS) $(patsubst %.c,$(B)/o/%.o,$(CLI_C))
	$(call msg,LINK,$@)
	$(Q)$(CXX) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(B)/san/tbtwarn: $(SAN_OBJS) $(patsubst %.c,$(B)/san/%.o,$(CLI_C))
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(SAN) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(B)/tsan/tbtwarn: $(TSAN_OBJS) $(patsubst %.c,$(B)/tsan/%.o,$(CLI_C))
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(TSAN) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(B)/o/tests/%: $(B)/o/tests/unit/%.o $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CXX) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)
$(B)/san/tests/%: $(B)/san/tests/unit/%.o $(SAN_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CXX) $(SAN) -o $@ $^ $(PKG_LIBS) $(CMOCKA_LIBS)

# Benchmarks: the generator, our import and search, and the bare Xapian baselines.
BENCH_C := $(wildcard bench/*.c)
BENCH_CXX := $(wildcard bench/*.cc)
BENCH_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(BENCH_C)) $(patsubst bench/%.cc,$(B)/bench/%,$(BENCH_CXX))
$(B)/bench/%: bench/%.c $(LIB_OBJS) | $(B)/.deps
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -o $@ $< $(LIB_OBJS) $(PKG_LIBS) -lstdc++ -lm
$(B)/bench/%: bench/%.cc
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(CXXFLAGS_ALL) -o $@ $< $(PKG_LIBS)

# Fuzzing: libFuzzer with ASan and UBSan (clang). FUZZ_SECONDS per target; crashes go to build/fuzz/crashes/.
FUZZ_TARGETS := eping wto feed html
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard lib/*.c) indexer/classify.c indexer/record.c indexer/norm.c indexer/members.c indexer/parse_eping.c \
	indexer/parse_wto.c indexer/parse_feed.c indexer/parse_html.c indexer/parse_doc.c
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE -Ilib -Iindexer -I$(B)/gen $(PKG_CFLAGS) \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(FUZZ_SRC) $(GEN_C)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRC) $(GEN_C) $(PKG_LIBS)

fuzz: $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))
	$(Q)sh scripts/deps.sh bench
	$(Q)sh fuzz/run.sh $(B) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

test: $(B)/.deps-test tbtwarn $(UNIT_BINS) $(B)/san/tbtwarn $(SAN_UNIT_BINS) $(B)/tsan/tbtwarn check-banned check-layers
	$(Q)sh tests/run.sh $(B)

bench: $(B)/.deps-test tbtwarn $(BENCH_BINS)
	$(Q)sh scripts/deps.sh bench
	$(Q)sh bench/run.sh $(B)

# Functions we do not use (see ../STYLE): a grep keeps them out.
check-banned:
	$(Q)! grep -nE '\b(strcpy|strcat|sprintf|strncpy|strtok|atoi|gets|localtime|gmtime)\(' lib/*.[ch] db/*.[ch] net/*.[ch] indexer/*.[ch] crawler/*.[ch] alerter/*.[ch] translator/*.[ch] cli/*.[ch] \
		|| (echo "banned function used (see docs/design.md)"; exit 1)
	$(Q)! grep -nE '\b(setenv|unsetenv|putenv|tzset|setlocale)\(' lib/*.[ch] db/*.[ch] net/*.[ch] indexer/*.[ch] crawler/*.[ch] alerter/*.[ch] translator/*.[ch] web/*.[ch] \
		service/*.[ch] cli/*.[ch] || (echo "process-wide state changed while threads may run (see docs/design.md)"; exit 1)
	$(Q)! grep -nE '\bdie\(' lib/*.[ch] db/*.[ch] net/*.[ch] indexer/*.[ch] indexer/*.cc crawler/*.[ch] alerter/*.[ch] translator/*.[ch] \
		web/*.[ch] service/*.[ch] | grep -v '^lib/util\.[ch]:' || (echo "die() outside cli/: library code returns errors (see docs/design.md)"; exit 1)
	$(Q)! grep -nE 'sqlite3|libpq-fe|PGconn' lib/*.[ch] net/*.[ch] indexer/*.[ch] indexer/*.cc crawler/*.[ch] alerter/*.[ch] translator/*.[ch] \
		web/*.[ch] service/*.[ch] cli/*.[ch] || (echo "a database handle outside the storage layer db/ (see docs/design.md, Storage)"; exit 1)

# Which layer may include which (lib knows no stage; the indexer no crawler, alerter or web; the crawler and the
# alerter know each other only through the store): scripts/check-layers.sh, tested by tests/layers.sh.
check-layers:
	$(Q)sh scripts/check-layers.sh .

check: test

valgrind: tbtwarn $(UNIT_BINS)
	$(Q)for t in $(UNIT_BINS); do valgrind -q --error-exitcode=1 --leak-check=full $$t || exit 1; done

run: tbtwarn
	$(Q)sh scripts/demo.sh

install: tbtwarn
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/tbtwarn $(DESTDIR)$(UNITDIR)
	install -m 755 tbtwarn $(DESTDIR)$(BINDIR)/tbtwarn
	install -m 644 config/members.tsv config/categories.tsv config/tbtwarn.ini config/demo.ini \
		config/demo-subscribers.csv $(DESTDIR)$(DATADIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/tbtwarn/tbtwarn.ini || install -m 640 config/tbtwarn.ini $(DESTDIR)$(SYSCONFDIR)/tbtwarn/tbtwarn.ini
	install -d $(DESTDIR)$(DATADIR)/samples $(DESTDIR)$(DATADIR)/web
	install -m 644 tests/data/samples/* $(DESTDIR)$(DATADIR)/samples/
	install -m 644 web/static/* $(DESTDIR)$(DATADIR)/web/
	install -m 644 docs/tbtwarn.1 $(DESTDIR)$(MANDIR)/man1/tbtwarn.1
	install -m 644 docs/tbtwarn.conf.5 $(DESTDIR)$(MANDIR)/man5/tbtwarn.conf.5
	sed 's|/usr/local/bin/tbtwarn|$(BINDIR)/tbtwarn|' contrib/tbtwarn.service > $(DESTDIR)$(UNITDIR)/tbtwarn.service

clean:
	rm -rf $(B) tbtwarn

.PHONY: all deps test bench fuzz check check-banned check-layers valgrind run install clean
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
