# Installing and starting the services the tests use; sourced by scripts/test and scripts/bench.
# Every service is a throw-away instance on 127.0.0.1 under $LASAIR_SVC_DIR, stopped on exit.

# A folder of our own unless the caller names one; ours is removed when the services stop
# (a MariaDB data folder is hundreds of MB, and a full disk fails builds with SIGBUS).
if [ -z "${LASAIR_SVC_DIR:-}" ]; then
    LASAIR_SVC_DIR=$(mktemp -d -t lasair-services.XXXXXX)
    SVC_DIR_OURS=1
fi
SERVICE_PIDS=()

say() { printf '%s\n' "scripts: $*" >&2; }

stop_services() {
    for pid in "${SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVICE_PIDS=()
    if [ -n "${SVC_DIR_OURS:-}" ]; then rm -rf "$LASAIR_SVC_DIR"; fi
}

# Debian packages the build and the services need, installed only when missing.
ensure_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# A free TCP port on 127.0.0.1 (asked of the kernel, so parallel runs do not collide).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for_port() {
    local port=$1 what=$2
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.2
    done
    say "$what did not open port $port"; return 1
}

# tansu: a Kafka-protocol broker in Rust, built once with cargo (about 9 minutes) and kept.
ensure_tansu() {
    command -v tansu >/dev/null 2>&1 && return 0
    say "building the tansu Kafka broker (once, about 9 minutes)"
    cargo install tansu --locked --features dynostore --quiet
}

start_tansu() {
    local port; port=$(free_port)
    tansu broker --listener-url "tcp://127.0.0.1:$port" --advertised-listener-url "tcp://127.0.0.1:$port" \
        --storage-engine memory://tansu/ >"$LASAIR_SVC_DIR/tansu.log" 2>&1 &
    SERVICE_PIDS+=($!)
    wait_for_port "$port" tansu
    export LASAIR_TEST_KAFKA="127.0.0.1:$port"
    local topic
    for topic in "$@"; do
        tansu topic create "${topic%%:*}" --partitions "${topic##*:}" --broker "tcp://127.0.0.1:$port" \
            >>"$LASAIR_SVC_DIR/tansu.log" 2>&1
    done
    say "tansu Kafka broker on $LASAIR_TEST_KAFKA"
}

# The CQL stand-in for Cassandra/ScyllaDB (in memory; none can be installed here).
start_cql() {
    local bin=$1 port; port=$(free_port)
    "$bin" --listen "127.0.0.1:$port" >"$LASAIR_SVC_DIR/cql.log" 2>&1 &
    SERVICE_PIDS+=($!)
    wait_for_port "$port" lasair-cql-server
    export LASAIR_TEST_CQL="127.0.0.1:$port"
    say "CQL test server on $LASAIR_TEST_CQL"
}

# lasair-query: the binary $LASAIR_QUERY_BIN names (a release build, say), else cargo's debug one.
lasair_query() {
    if [ -n "${LASAIR_QUERY_BIN:-}" ]; then "$LASAIR_QUERY_BIN" "$@"; else cargo run --quiet -p lasair-query -- "$@"; fi
}

# MariaDB: a throw-away instance (its own datadir and socket) with the database `lasair`, a
# read/write account and a read-only account (user queries run on the latter).
start_mariadb() {
    local port; port=$(free_port)
    local dir="$LASAIR_SVC_DIR/mariadb"
    mkdir -p "$dir"
    mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
        --user="$(id -un)" >"$LASAIR_SVC_DIR/mariadb-install.log" 2>&1
    mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" --port="$port" \
        --bind-address=127.0.0.1 --skip-name-resolve --user="$(id -un)" --skip-log-bin \
        --innodb-flush-log-at-trx-commit=2 --max-allowed-packet=64M --innodb-buffer-pool-size="${MARIADB_BUFFER_POOL:-1G}" \
        >"$LASAIR_SVC_DIR/mariadb.log" 2>&1 &
    SERVICE_PIDS+=($!)
    wait_for_port "$port" mariadbd
    mariadb --no-defaults --socket="$dir/sock" -uroot <<SQL
CREATE DATABASE lasair;
CREATE USER 'lasair'@'127.0.0.1' IDENTIFIED BY 'lasair';
GRANT ALL ON lasair.* TO 'lasair'@'127.0.0.1';
CREATE USER 'lasair_ro'@'127.0.0.1' IDENTIFIED BY 'lasair_ro';
CREATE DATABASE lasair_client;
GRANT ALL ON lasair_client.* TO 'lasair'@'127.0.0.1';
CREATE DATABASE lasair_backup;
CREATE DATABASE lasair_restored;
GRANT ALL ON lasair_backup.* TO 'lasair'@'127.0.0.1';
GRANT ALL ON lasair_restored.* TO 'lasair'@'127.0.0.1';
SQL
    export LASAIR_TEST_MYSQL="mysql://lasair:lasair@127.0.0.1:$port/lasair"
    export LASAIR_TEST_MYSQL_RO="mysql://lasair_ro:lasair_ro@127.0.0.1:$port/lasair"
    # The read-only account may read the user-visible tables and nothing else (not users or
    # tokens): the schema is created first, then lasair-query prints the grants for it.
    lasair_query --survey ztf --db "$LASAIR_TEST_MYSQL" \
        --print-grants "'lasair_ro'@'127.0.0.1'" | mariadb --no-defaults --socket="$dir/sock" -uroot lasair
    # A database of its own for the end-to-end test of the lasair client (tests/client), which
    # fills it through the whole pipeline.
    export LASAIR_TEST_MYSQL_CLIENT="mysql://lasair:lasair@127.0.0.1:$port/lasair_client"
    export LASAIR_TEST_MYSQL_CLIENT_RO="mysql://lasair_ro:lasair_ro@127.0.0.1:$port/lasair_client"
    lasair_query --survey ztf --db "$LASAIR_TEST_MYSQL_CLIENT" \
        --print-grants "'lasair_ro'@'127.0.0.1'" | mariadb --no-defaults --socket="$dir/sock" -uroot lasair_client
    # Two empty databases for the backup test (scripts/test-backup): one the pipeline fills and
    # scripts/backup dumps, one scripts/restore loads. The server's root account on its socket,
    # for what an operator does as root (ansible's mariadb role, applied here).
    export LASAIR_TEST_MYSQL_BACKUP="mysql://lasair:lasair@127.0.0.1:$port/lasair_backup"
    export LASAIR_TEST_MYSQL_RESTORED="mysql://lasair:lasair@127.0.0.1:$port/lasair_restored"
    export LASAIR_TEST_MYSQL_SOCKET="$dir/sock" LASAIR_TEST_MYSQL_PORT="$port"
    say "MariaDB on 127.0.0.1:$port"
}

# A virtualenv with the official `lasair` client exactly as astronomers install it from PyPI
# (0.1.4, unchanged), for tests/client; made once, at $LASAIR_CLIENT_VENV.
ensure_client_venv() {
    LASAIR_CLIENT_VENV=${LASAIR_CLIENT_VENV:-var/venv-lasair}
    if ! "$LASAIR_CLIENT_VENV/bin/python" -c 'import lasair, confluent_kafka' 2>/dev/null; then
        say "making $LASAIR_CLIENT_VENV with lasair==0.1.4 from PyPI"
        python3 -m venv "$LASAIR_CLIENT_VENV"
        "$LASAIR_CLIENT_VENV/bin/pip" install --quiet lasair==0.1.4 confluent-kafka
    fi
    export LASAIR_CLIENT_VENV
}

# Python packages the tests use as independent peers (the official lasair client's Kafka
# library, an SMTP server), installed only when missing.
ensure_python() {
    local missing=() mod pkg
    for pair in "$@"; do
        mod=${pair%%=*} pkg=${pair#*=}
        python3 -c "import $mod" 2>/dev/null || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Python packages ${missing[*]}"
    # A Debian-managed python3 refuses plain installs (PEP 668); these are test peers only.
    python3 -m pip install --quiet "${missing[@]}" 2>/dev/null ||
        python3 -m pip install --quiet --break-system-packages "${missing[@]}"
}

# SMTP: aiosmtpd delivering every message into a maildir the tests read.
start_smtp() {
    local port; port=$(free_port)
    local dir="$LASAIR_SVC_DIR/maildir"
    mkdir -p "$dir/cur" "$dir/new" "$dir/tmp"
    python3 -m aiosmtpd -n -l "127.0.0.1:$port" -c aiosmtpd.handlers.Mailbox "$dir" \
        >"$LASAIR_SVC_DIR/smtp.log" 2>&1 &
    SERVICE_PIDS+=($!)
    wait_for_port "$port" aiosmtpd
    export LASAIR_TEST_SMTP="127.0.0.1:$port" LASAIR_TEST_MAILDIR="$dir"
    say "SMTP (aiosmtpd) on $LASAIR_TEST_SMTP"
}

# OpenSSH servers for lasair-mine's tests: N sshd on free 127.0.0.1 ports, run as the current
# user, each with a throw-away host key; one throw-away user key is authorised on all of them
# and a known_hosts file lists their host keys. Exports LASAIR_TEST_SSH (host:port,...),
# LASAIR_TEST_SSH_KEY, LASAIR_TEST_SSH_KNOWN_HOSTS and LASAIR_TEST_SSH_PIDS (each server's
# pid, in the same order: a test may kill a host's sessions).
start_sshd() {
    local n=${1:-3} dir="$LASAIR_SVC_DIR/sshd" hosts=() pids=() i port
    mkdir -p "$dir"
    ssh-keygen -q -t ed25519 -N '' -C lasair-test-user -f "$dir/user_key"
    cp "$dir/user_key.pub" "$dir/authorized_keys"
    : >"$dir/known_hosts"
    # Run as root, sshd separates privileges into an empty folder that systemd would make.
    if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd; fi
    for i in $(seq 1 "$n"); do
        port=$(free_port)
        ssh-keygen -q -t ed25519 -N '' -C "lasair-test-host-$i" -f "$dir/host_key_$i"
        cat >"$dir/sshd_$i.conf" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $dir/host_key_$i
AuthorizedKeysFile $dir/authorized_keys
PidFile $dir/sshd_$i.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
MaxStartups 100:30:200
MaxSessions 100
CONF
        /usr/sbin/sshd -D -e -f "$dir/sshd_$i.conf" >"$LASAIR_SVC_DIR/sshd_$i.log" 2>&1 &
        SERVICE_PIDS+=($!)
        pids+=($!)
        echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key_$i.pub")" >>"$dir/known_hosts"
        hosts+=("127.0.0.1:$port")
    done
    for i in "${!hosts[@]}"; do wait_for_port "${hosts[$i]##*:}" sshd; done
    LASAIR_TEST_SSH=$(IFS=,; echo "${hosts[*]}")
    LASAIR_TEST_SSH_PIDS=$(IFS=,; echo "${pids[*]}")
    export LASAIR_TEST_SSH LASAIR_TEST_SSH_PIDS
    export LASAIR_TEST_SSH_KEY="$dir/user_key" LASAIR_TEST_SSH_KNOWN_HOSTS="$dir/known_hosts"
    say "$n OpenSSH servers on $LASAIR_TEST_SSH"
}

# The web pages' browser libraries (npm ci from web/package-lock.json) and Selenium, which
# drives Debian's chromium through chromedriver in the page tests; installed when missing.
ensure_web() {
    if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
        say "installing the pages' browser libraries (npm ci in web/)"
        (cd web && npm ci --silent --no-audit --no-fund)
    fi
    LASAIR_WEB_VENV=${LASAIR_WEB_VENV:-var/venv-web}
    if ! "$LASAIR_WEB_VENV/bin/python" -c 'import selenium' 2>/dev/null; then
        say "making $LASAIR_WEB_VENV with selenium from PyPI"
        python3 -m venv "$LASAIR_WEB_VENV"
        "$LASAIR_WEB_VENV/bin/pip" install --quiet selenium
    fi
    export LASAIR_WEB_VENV
}
