# A one-node Ceph cluster for the rbd tests, sourced by bash scripts.
#
#	ceph_up DIR PORT	start it in DIR (wiped first): one monitor on
#				v2:127.0.0.1:PORT, one bluestore OSD on a
#				sparse file, cephx, pool "rbd" of size 1,
#				no manager.  Sets CEPH_CONF, CEPH_SECS (the
#				time it took).  1 on failure (see DIR/log).
#	ceph_down DIR		stop the daemons ceph_up started (by the pids
#				they wrote), the OSD first.
#	ceph_stop_osd DIR, ceph_start_osd DIR
#				take the OSD away and bring it back.
#	ceph_test_up DIR	ceph_up for an integration test, with its
#				ok or FAIL line.
#
# Everything listens on 127.0.0.1 only.  Messenger v1 is off, so the one
# address is the v2 one; every daemon writes its pid file, log and admin
# socket under DIR.  Clients get the admin keyring from the [client]
# section and no admin socket (two clients would fight over one).
# Bounded waits throughout: a cluster that does not come up within
# CEPH_WAIT seconds (default 120) is a failure, not a hang.

CEPH_WAIT=${CEPH_WAIT:-120}

# ceph_wait SECS CMD...: run CMD every 0.2 s until it succeeds.
ceph_wait() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

ceph_osd_up() {
	timeout 10 ceph osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1'
}

ceph_up() {
	local d=$1 port=$2 fsid osd_uuid osd_id t0=$SECONDS
	local start
	start=$(date +%s%N)
	rm -rf "$d"
	mkdir -p "$d/mon.a" "$d/osd.0" "$d/run" "$d/log" || return 1
	fsid=$(uuidgen)
	cat > "$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$port
public addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = $d/run
admin socket = $d/run/\$name.asok
pid file = $d/run/\$name.pid
log file = $d/log/\$name.log
crash dir = $d/run/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
auth allow insecure global id reclaim = false
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
[client]
keyring = $d/keyring.admin
admin socket =
[mon]
mon data = $d/mon.\$id
keyring = $d/mon.\$id/keyring
paxos propose interval = 0.1
paxos min wait = 0.01
[osd]
osd data = $d/osd.\$id
keyring = $d/osd.\$id/keyring
osd objectstore = bluestore
bluestore block path = $d/osd.\$id.block
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mkfs = false
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
osd max object name len = 256
osd max object namespace len = 64
osd op num shards = 1
osd op num threads per shard = 2
CONF
	export CEPH_CONF=$d/ceph.conf
	(
	set -e
	cd "$d"
	ceph-authtool --create-keyring keyring.mon --gen-key -n mon. \
	    --cap mon 'allow *' >/dev/null
	ceph-authtool --create-keyring keyring.admin --gen-key \
	    -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
	    --cap mgr 'allow *' >/dev/null
	ceph-authtool keyring.mon --import-keyring keyring.admin >/dev/null
	monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$port]" \
	    monmap >/dev/null
	ceph-mon --mkfs -i a --monmap monmap --keyring keyring.mon
	ceph-mon -i a
	) > "$d/log/up.log" 2>&1 || return 1
	ceph_wait "$CEPH_WAIT" timeout 10 ceph -s || return 1
	osd_uuid=$(uuidgen)
	osd_id=$(timeout 30 ceph osd new "$osd_uuid") || return 1
	(
	set -e
	cd "$d"
	# the mkfs reads no monitor config; its bdev label errors are benign
	ceph-osd -i "$osd_id" --mkfs --mkkey --no-mon-config \
	    --osd-uuid "$osd_uuid"
	timeout 30 ceph auth add "osd.$osd_id" osd 'allow *' \
	    mon 'allow profile osd' -i "osd.$osd_id/keyring"
	ceph-osd -i "$osd_id"
	) >> "$d/log/up.log" 2>&1 || return 1
	ceph_wait "$CEPH_WAIT" ceph_osd_up || return 1
	timeout 60 ceph osd pool create rbd 8 8 replicated \
	    >> "$d/log/up.log" 2>&1 || return 1
	timeout 60 rbd pool init rbd >> "$d/log/up.log" 2>&1 || return 1
	CEPH_SECS=$(( ($(date +%s%N) - start) / 1000000 ))
	CEPH_SECS=$((CEPH_SECS / 1000)).$(printf %03d $((CEPH_SECS % 1000)))
	: "$t0"
}

# ceph_kill DIR NAME: stop one daemon by its pid file, SIGKILL after 10 s.
ceph_kill() {
	local p=$1/run/$2.pid pid i
	[ -f "$p" ] || return 0
	pid=$(cat "$p")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	fi
	rm -f "$p"
}

ceph_stop_osd() { ceph_kill "$1" osd.0; }
ceph_start_osd() {
	(cd "$1" && ceph-osd -i 0) >> "$1/log/up.log" 2>&1 || return 1
	ceph_wait "$CEPH_WAIT" ceph_osd_up
}

ceph_down() {
	ceph_kill "$1" osd.0
	ceph_kill "$1" mon.a
}

# ceph_test_up DIR: for an integration test (after regress/lib/common.sh):
# ceph_up on a free port, bounded by 300 s, as an ok or a FAIL line;
# exports CEPH_CONF.  1 if the cluster did not come up.
ceph_test_up() {
	local d=$1 port
	port=$(free_port)
	if ! timeout 300 bash -c ". '$top/regress/cluster/ceph.sh'; \
	    ceph_up '$d' '$port' && echo \$CEPH_SECS > '$d.secs'"; then
		fail "ceph: a one-node cluster comes up within ${CEPH_WAIT} s"
		indent "$d/log/up.log"
		return 1
	fi
	export CEPH_CONF=$d/ceph.conf
	ok "ceph: one monitor and one OSD up on 127.0.0.1:$port in $(cat "$d.secs") s"
}
