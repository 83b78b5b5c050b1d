# Copyright (c) 2026 The tgt suite authors
# SPDX-License-Identifier: GPL-2.0-only
#
# A private one-node GlusterFS for the glfs tests, sourced by them:
#
#	gluster_up DIR VOLUME [UID GID]
#				start glusterd (its own working and run
#				directories under DIR, 127.0.0.1 only, port
#				GLUSTER_PORT) and a started one-brick VOLUME
#				whose root UID:GID own (root if not given);
#				sets GLUSTER_HOST, GLUSTER_UP_SECS
#	gluster_down		stop the brick processes and glusterd (by
#				their PIDs), remove their sockets and logs
#	gluster_cli ARGS	the gluster CLI on that glusterd
#
# The CLI refuses a brick on 127.0.0.1 or localhost, so the brick is named
# by a host name that resolves to 127.x (the machine's own name usually
# does; GLUSTER_HOST chooses another).  The brick processes write their
# logs and sockets under /var/log/glusterfs and /var/run/gluster whatever
# glusterd's directories are: gluster_down removes ours.

GLUSTER_DIR= GLUSTERD_PID= GLUSTER_BRICK_PIDS=
gluster_cli() {
	timeout 60 gluster --mode=script \
	    --glusterd-sock="$GLUSTER_DIR/run/glusterd.socket" \
	    --log-file="$GLUSTER_DIR/log/cli.log" "$@"
}

gluster_up() {
	local d=$1 vol=$2 uid=${3:-0} gid=${4:-0} t0 t1 i rc
	t0=$(date +%s.%N)
	GLUSTER_DIR=$d
	GLUSTER_HOST=${GLUSTER_HOST:-$(hostname)}
	if ! getent ahostsv4 "$GLUSTER_HOST" | grep -q '^127\.'; then
		echo "gluster: $GLUSTER_HOST does not resolve to 127.x" >&2
		return 1
	fi
	mkdir -p "$d/wd" "$d/run" "$d/log" "$d/bricks/b1"
	# the brick ports: a free range above glusterd's own port
	cat > "$d/glusterd.vol" <<EOF
volume management
    type mgmt/glusterd
    option working-directory $d/wd
    option run-directory $d/run
    option glusterd-sockfile $d/run/glusterd.socket
    option transport-type socket
    option transport.socket.bind-address 127.0.0.1
    option transport.socket.listen-port $GLUSTER_PORT
    option transport.socket.read-fail-log off
    option ping-timeout 0
    option event-threads 1
    option base-port $GLUSTER_BRICK_PORT
    option max-port $((GLUSTER_BRICK_PORT + 8))
end-volume
EOF
	glusterd -f "$d/glusterd.vol" -p "$d/run/glusterd.pid" \
	    -l "$d/log/glusterd.log" -L WARNING || return 1
	for i in $(seq 1 120); do
		gluster_cli pool list > /dev/null 2>&1 && break
		sleep 0.25
	done
	# kept here too: gluster_down stops them even if DIR went away
	GLUSTERD_PID=$(cat "$d/run/glusterd.pid" 2>/dev/null)
	gluster_cli volume create "$vol" "$GLUSTER_HOST:$d/bricks/b1" \
	    force > "$d/log/create.out" 2>&1 || return 1
	gluster_cli volume set "$vol" nfs.disable on > /dev/null 2>&1
	gluster_cli volume set "$vol" storage.owner-uid "$uid" > /dev/null &&
	    gluster_cli volume set "$vol" storage.owner-gid "$gid" > /dev/null ||
	    return 1
	gluster_cli volume start "$vol" > "$d/log/start.out" 2>&1
	rc=$?
	GLUSTER_BRICK_PIDS=$(cat "$d"/run/vols/*/*.pid 2>/dev/null)
	[ $rc -eq 0 ] || return 1
	t1=$(date +%s.%N)
	GLUSTER_UP_SECS=$(awk -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.1f", b - a }')
}

# Stop one process by PID: TERM, up to 10 s, then KILL.
gluster_stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 1 40); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.25
	done
	kill -KILL "$pid" 2>/dev/null
}

gluster_down() {
	local d=$GLUSTER_DIR pid sock
	[ -n "$d" ] || return 0
	for pid in $GLUSTER_BRICK_PIDS \
	    $(cat "$d"/run/vols/*/*.pid 2>/dev/null); do
		sock=$(tr '\0' '\n' < "/proc/$pid/cmdline" 2>/dev/null |
		    grep -A1 -x -- -S | tail -n 1)
		gluster_stop_pid "$pid"
		[ -n "$sock" ] && rm -f "$sock"
	done
	for pid in $GLUSTERD_PID $(cat "$d/run/glusterd.pid" 2>/dev/null); do
		gluster_stop_pid "$pid"
	done
	rm -f /var/log/glusterfs/bricks/"$(echo "${d#/}" | tr / -)"-bricks-*.log
	GLUSTER_DIR= GLUSTERD_PID= GLUSTER_BRICK_PIDS=
}
