# live build configuration: edit or override on the command line.
VERSION = 0.1.0

PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/live

PKG_CONFIG ?= pkg-config
PKGS = libavformat libavcodec libavfilter libavutil libswscale libswresample x264 \
       jansson sqlite3 libmicrohttpd libsodium openssl libsrtp2 srt opus

CC ?= cc
CSTD = -std=c17 -D_GNU_SOURCE
WARN = -Wall -Wextra -Wshadow -Wno-unused-parameter -Wno-missing-field-initializers
OPT ?= -O2 -g

# make SANITIZE=1: AddressSanitizer + UBSan, in a separate build tree.
ifeq ($(SANITIZE),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT = -O1 -g
else
BUILD ?= build
SANFLAGS =
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CPPFLAGS += -Ilib -DLIVE_VERSION=\"$(VERSION)\" -DLIVE_DATADIR=\"$(DATADIR)\"
CFLAGS += $(CSTD) $(WARN) $(OPT) $(SANFLAGS) $(PKG_CFLAGS) -pthread -MMD -MP
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS += $(PKG_LIBS) -lm
