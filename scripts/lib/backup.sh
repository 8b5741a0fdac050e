# What scripts/backup and scripts/restore share: reading the database URLs the tools take
# (`sqlite:PATH`, `mysql://USER:PW@HOST:PORT/DB`, `mariadb://...`) and a MariaDB client's
# options file, so that no password is ever on a command line (ps would show it).

say() { printf '%s\n' "${0##*/}: $*" >&2; }
die() { say "$*"; exit 1; }

# The path of a `sqlite:PATH` URL; fails on any other.
sqlite_path() {
    case "$1" in
        sqlite::memory:) die "$1: a memory database has nothing to back up" ;;
        sqlite:?*) printf '%s\n' "${1#sqlite:}" ;;
        *) return 1 ;;
    esac
}

# For a mysql:// or mariadb:// URL, writes a client options file (mode 0600) holding its user,
# password, host and port to $2, and prints the database's name. The URL's parts are
# percent-decoded as the tools decode them.
mysql_options() {
    local url=$1 file=$2
    ( umask 077; python3 - "$url" "$file" <<'PY'
import sys, urllib.parse
url, path = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(url)
if u.scheme not in ("mysql", "mariadb") or not u.hostname:
    sys.exit(f"{url.split('@')[-1]}: not a mysql://USER:PW@HOST:PORT/DB URL")
db = urllib.parse.unquote(u.path.lstrip("/"))
if not db or "/" in db or "`" in db:
    sys.exit(f"{u.hostname}: the URL names no database (mysql://USER:PW@HOST:PORT/DB)")
def q(v):  # an option file's value, quoted
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
with open(path, "w") as f:
    f.write("[client]\n")
    f.write(f"user={q(urllib.parse.unquote(u.username or ''))}\n")
    f.write(f"password={q(urllib.parse.unquote(u.password or ''))}\n")
    f.write(f"host={q(u.hostname)}\nport={u.port or 3306}\nprotocol=TCP\n")
print(db)
PY
    )
}

# The client programs: MariaDB's names, or MySQL's where only those are installed.
mariadb_client() { command -v mariadb || command -v mysql || die "no mariadb client (apt-get install mariadb-client)"; }
mariadb_dump() { command -v mariadb-dump || command -v mysqldump || die "no mariadb-dump (apt-get install mariadb-client)"; }
