#!/usr/bin/env bash
# tgt-master -n: a good configuration (macros, include, comments, options
# separated by newlines and by ";", IPv4 and IPv6 listeners) checks clean;
# bad ones exit 1 naming file:line.
. "$(dirname "$0")/../lib/common.sh"
need_bin tgt-master

mkdisk "$T/d1.img" 16M
mkdisk "$T/d2.img" 16M
mkdisk "$T/d3.img" 16M

cat > "$T/target3.inc" <<EOF2
# included file: a whole target
target "$IQN-3" {
	allow all
	lun 3 disk "$T/d3.img" { read-only yes }
}
EOF2

{
	conf_header
	cat <<EOF2
# comment line
tport = "$PORT"
thin = "yes"
d2 = "$T/d2.img"

listen on $ADDR port \$tport	# trailing comment
listen on ::1 port \$tport

target "$IQN" {
	alias "config test"
	allow all
	lun 1 disk "$T/d1.img"
	lun 2 disk \$d2 { backend aio; thin-provisioning \$thin; read-only no; removable no; block-size 4096 }
}

target "$IQN-2" {
	allow all
	lun 1 disk "$T/d1.img" {
		backend rdwr
		block-size 512
		size 8M
		vendor "ACME"
		product "TESTDISK"
		serial "0123456789"
	}
}
include "$T/target3.inc"
EOF2
} > "$T/good.conf"

# The good file checks clean and -n starts nothing.
check "good config: -n exits 0" "$BIN/tgt-master" -n -f "$T/good.conf"
if [ -n "$(ss -Hltn "sport = :$PORT")" ]; then
	fail "-n does not bind the listeners"
else
	ok "-n does not bind the listeners"
fi

# bad NAME LINE [FILE-IN-MESSAGE] < body: -n exits 1 with "file:LINE:".
bad() {
	local name=$1 line=$2 where=${3:-} f=$T/$1.conf rc
	{
		conf_header
		echo "listen on $ADDR port $PORT"
		cat
	} > "$f"
	[ -n "$where" ] || where=$f
	"$BIN/tgt-master" -n -f "$f" > "$T/out" 2>&1
	rc=$?
	if [ $rc -eq 1 ] && grep -qF "$(basename "$where"):$line:" "$T/out"; then
		ok "bad config $name: exit 1, $(basename "$where"):$line: reported"
	else
		fail "bad config $name: want exit 1 and $(basename "$where"):$line: (exit $rc)"
		indent "$T/out"
	fi
}

# conf_header is 4 lines, then the listen line (5): bodies start at 6.
bad unknown-keyword 7 <<EOF2
target "$IQN" {
	frobnicate yes
}
EOF2

bad duplicate-lun 9 <<EOF2
target "$IQN" {
	allow all
	lun 1 disk "$T/d1.img"
	lun 1 disk "$T/d2.img"
}
EOF2

bad bad-block-size 7 <<EOF2
target "$IQN" {
	lun 1 disk "$T/d1.img" { block-size 1000 }
}
EOF2

bad undefined-macro 7 <<EOF2
target "$IQN" {
	lun 1 disk \$nosuchmacro
}
EOF2

# Optical drives: an image that is neither an absolute path nor a name of
# the media directory, and a disk's option.
bad optical-image-path 8 <<EOF2
target "$IQN" {
	allow all
	lun 1 optical "../etc/passwd"
}
EOF2

bad optical-disk-option 7 <<EOF2
target "$IQN" {
	lun 1 optical "disc.iso" { block-size 512 }
}
EOF2

{
	conf_header
	cat <<EOF2
media directory "$T"
target "$IQN" {
	allow all
	lun 0 optical "d1.img"
	lun 1 optical { product "DVD-ROM" }
	lun 2 optical "$T/d2.img"
}
EOF2
} > "$T/optical.conf"
check "optical drives: -n exits 0" "$BIN/tgt-master" -n -f "$T/optical.conf"
check_out "optical drives: -nv prints them back" 'lun 1 optical \{' \
    "$BIN/tgt-master" -nv -f "$T/optical.conf"

cat > "$T/broken.inc" <<EOF2
target "$IQN" {
	allow all
	lun 4 disk "$T/d1.img" { backend nosuchbackend }
}
EOF2
bad error-in-include 3 "$T/broken.inc" <<EOF2
include "$T/broken.inc"
EOF2

# A missing file is an error too, not a crash.
"$BIN/tgt-master" -n -f "$T/nonexistent.conf" > "$T/out" 2>&1
rc=$?
if [ $rc -ne 0 ] && [ $rc -lt 126 ]; then
	ok "missing config file: exit $rc"
else
	fail "missing config file: want a non-zero exit, got $rc"
	indent "$T/out"
fi
