#!/bin/sh
# Runs PostgreSQL 15 as a Berth task (an app's cmd: `exec /abs/path/pg_launch.sh [DATA_ROOT]`).
#
# Tasks run as root and PostgreSQL refuses to, so this script does the root part and then drops
# to the `postgres` user for the server itself:
#   DATA_ROOT (default $MESOS_SANDBOX/pgdata: the container path of the app's volume, or a plain
#   directory in the sandbox when the app has no volume) holds the cluster in DATA_ROOT/pg15,
#   owned by postgres, mode 0700. An empty volume is initialised first, atomically: initdb writes
#   into pg15.init, which is fsynced and renamed to pg15 only when complete, so a task killed in
#   the middle of initdb leaves nothing that looks like a cluster.
# Durability is the point of the exercise: fsync, synchronous_commit and full_page_writes are on
# (written into postgresql.conf at initdb, and checked by the tests), so a COMMIT that returned
# is on the volume's disk.
# The server listens on the task's $HOST (the agent's address) at $PORT0. Its unix sockets go to
# /run/postgresql (a sandbox path is too long for a socket's 107 bytes), on a tmpfs mounted there
# in a mount namespace of the server's own: no other task or server sees them, nothing is left
# behind when the server goes, and the host's /run/postgresql (created if missing) stays empty.
# SIGTERM from the agent (it signals the whole process group, so the postmaster sees it too and
# would begin a "smart" shutdown that waits for clients to leave) is turned into SIGINT,
# PostgreSQL's fast shutdown: sessions are cut, a checkpoint is written, and the server exits 0
# within the kill grace period.
set -eu

bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
data_root=${1:-${MESOS_SANDBOX:?not a Berth task}/pgdata}
data=$data_root/pg15
sockets=/run/postgresql
address=${HOST:-127.0.0.1}
port=${PORT0:?the app needs one port}

log() { echo "pg_launch: $*" >&2; }

as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }

mkdir -p "$data_root" "$sockets"

if [ ! -f "$data/PG_VERSION" ]; then
  if [ -e "$data" ]; then
    # Not ours to guess about: a half-written cluster would come from an initdb that this
    # script did not rename into place.
    log "$data exists without PG_VERSION; refusing to touch it"
    exit 1
  fi
  log "initialising a new cluster in $data"
  rm -rf "$data.init"
  mkdir "$data.init"
  chown postgres:postgres "$data.init"
  chmod 0700 "$data.init"
  # initdb fsyncs everything it wrote before it returns (no --no-sync).
  as_postgres "$bin/initdb" -D "$data.init" -U postgres -A trust -E UTF8 --locale=C >&2
  # The writer connects over TCP to the node's loopback address (127.0.0.0/8) without a password:
  # test clusters listen on loopback only.
  echo "host all all 127.0.0.0/8 trust" >> "$data.init/pg_hba.conf"
  cat >> "$data.init/postgresql.conf" <<'EOF'
# Set by pg_launch.sh: an acknowledged COMMIT is durable.
fsync = on
synchronous_commit = on
full_page_writes = on
# Crash recovery first makes sure everything in the data dir is on disk. The default fsyncs every
# file one by one (about 2 s on a loop-mounted image); one syncfs of the volume's filesystem, which
# holds nothing else, does the same job in a fraction of it.
recovery_init_sync_method = syncfs
# Small enough for a test node's cgroup.
shared_buffers = 32MB
max_connections = 20
EOF
  sync "$data.init/pg_hba.conf" "$data.init/postgresql.conf"
  mv "$data.init" "$data"
  sync "$data_root"
fi

# The volume is attached to one node at a time (that is what the epoch guarantees), and this
# task's pid namespace is new: a postmaster.pid left here belongs to a task that is gone. Its pid
# number may well be alive in this namespace (pids start again from 1), which would make
# PostgreSQL refuse to start, so it goes.
if [ -f "$data/postmaster.pid" ]; then
  log "removing postmaster.pid of a previous task (pid $(head -n 1 "$data/postmaster.pid"))"
  rm -f "$data/postmaster.pid"
fi

log "starting PostgreSQL on $address:$port, data $data"
# unshare, sh and setpriv each exec the next, so $! is the postmaster's pid (a function run in
# the background would be a subshell standing in between).
unshare --mount --propagation private -- /bin/sh -c \
  'mount -t tmpfs -o size=1m,mode=0755,uid=postgres,gid=postgres pg-sockets "$0" &&
   exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"' "$sockets" \
  "$bin/postgres" -D "$data" -c listen_addresses="$address" -p "$port" \
  -c unix_socket_directories="$sockets" &
server=$!

trap 'log "SIGTERM: fast shutdown"; kill -INT "$server" 2>/dev/null || true' TERM INT
# `wait` returns early when a trapped signal arrives; wait again for the server's own exit.
status=0
wait "$server" || status=$?
while kill -0 "$server" 2>/dev/null; do
  status=0
  wait "$server" || status=$?
done
log "PostgreSQL exited with status $status"
exit "$status"
