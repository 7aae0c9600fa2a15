# Shared helpers of deploy/local/stack. Sourced, not run.
# Layout: .cache/ holds downloads (Maven jars, ignored by git); .stack/<component>/ holds data, logs and PID files.
STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STACK_CACHE="${QUINTET_STACK_CACHE:-$STACK_ROOT/.cache}"
STACK_STATE="${QUINTET_STACK_STATE:-$STACK_ROOT/.stack}"

# Ports of the local stack; the configuration defaults in core/config.ts and docker-compose.yml match them.
KAFKA_PORT="${QUINTET_STACK_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${QUINTET_STACK_KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${QUINTET_STACK_REGISTRY_PORT:-8081}"
REDIS_PORT="${QUINTET_STACK_REDIS_PORT:-6379}"
REDIS_DURABLE_PORT="${QUINTET_STACK_REDIS_DURABLE_PORT:-6380}"
CLICKHOUSE_HTTP_PORT="${QUINTET_STACK_CLICKHOUSE_HTTP_PORT:-8123}"
CLICKHOUSE_TCP_PORT="${QUINTET_STACK_CLICKHOUSE_TCP_PORT:-9000}"
CLICKHOUSE_INTERSERVER_PORT="${QUINTET_STACK_CLICKHOUSE_INTERSERVER_PORT:-9009}"

stack_log() { printf '[stack] %s\n' "$*" >&2; }
stack_die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# stack_pid_alive FILE: true when FILE names a running process that was started before FILE was written.
# The second condition guards against PID reuse after a reboot or crash: a stale PID file must never make
# `down` signal an unrelated process that happens to have the same PID now.
stack_pid_alive() {
  local file="$1" pid stat started
  [ -f "$file" ] || return 1
  pid="$(cat "$file")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/stat" ] || return 0
  # Field 22 of /proc/PID/stat (counted after the ")" that ends the command name) is the start time in ticks.
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  started="$(awk -v ticks="$(getconf CLK_TCK)" -v boot="$(awk '/^btime/ { print $2 }' /proc/stat)" \
    '{ print int(boot + $20 / ticks) }' <<<"${stat##*) }")"
  [ "$started" -le $(($(stat -c %Y "$file") + 5)) ]
}

# stack_stop_pid FILE NAME [SECONDS]: TERM the process named in FILE, KILL it after SECONDS, remove FILE.
# STACK_STOP_SIGNAL=KILL (set by `stack crash-restart`) kills at once, as a crash would.
stack_stop_pid() {
  local file="$1" name="$2" wait_seconds="${3:-30}" pid
  if ! stack_pid_alive "$file"; then rm -f "$file"; return 0; fi
  pid="$(cat "$file")"
  stack_log "stopping $name (pid $pid, SIG${STACK_STOP_SIGNAL:-TERM})"
  kill "-${STACK_STOP_SIGNAL:-TERM}" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $((wait_seconds * 10))); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$file"; return 0; }
    sleep 0.1
  done
  stack_log "$name did not stop in ${wait_seconds}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

# stack_wait NAME SECONDS PIDFILE COMMAND...: poll COMMAND until it succeeds, failing early if the process died.
stack_wait() {
  local name="$1" seconds="$2" pidfile="$3"
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pidfile" ] && ! stack_pid_alive "$pidfile"; then
      return 1
    fi
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# stack_port_open PORT: true when something listens on 127.0.0.1:PORT.
stack_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# stack_http_get PORT PATH: print the body of GET http://127.0.0.1:PORT/PATH; fails unless the status is 2xx.
# Plain bash (/dev/tcp), so that readiness checks need neither curl nor node.
stack_http_get() {
  local port="$1" path="$2" response
  response="$( (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nConnection: close\r\n\r\n' "$path" "$port" >&3
    timeout 5 cat <&3
  ) 2>/dev/null)" || return 1
  [[ "$response" =~ ^HTTP/1\.[01]\ 2[0-9][0-9] ]] || return 1
  printf '%s' "${response#*$'\r\n\r\n'}"
}

# stack_require_command COMMAND PACKAGE: install the Debian PACKAGE when COMMAND is missing (needs root, as in CI).
stack_require_command() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null && return 0
  [ "$(id -u)" = 0 ] || stack_die "$command is missing; install it with: sudo apt-get install -y $package"
  command -v apt-get >/dev/null || stack_die "$command is missing and this machine has no apt-get; install $package yourself"
  stack_log "installing $package (apt-get)"
  if [ ! -f "$STACK_STATE/.apt-updated" ]; then
    mkdir -p "$STACK_STATE"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || stack_die "apt-get update failed"
    touch "$STACK_STATE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >"$STACK_STATE/apt-$package.log" 2>&1 \
    || { tail -n 20 "$STACK_STATE/apt-$package.log" >&2; stack_die "apt-get install $package failed"; }
  command -v "$command" >/dev/null || stack_die "$package installed but $command is still missing"
}

# stack_rss PIDFILE: resident memory of the process in MB (empty when not running).
stack_rss() {
  stack_pid_alive "$1" || return 0
  ps -o rss= -p "$(cat "$1")" | awk '{ printf "%d MB", $1 / 1024 }'
}

stack_env() {
  cat <<ENV
export QUINTET_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
export QUINTET_SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
export QUINTET_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
export QUINTET_TEST_REDIS_DURABLE_URL=redis://127.0.0.1:$REDIS_DURABLE_PORT/0
export QUINTET_CLICKHOUSE_URL=http://127.0.0.1:$CLICKHOUSE_HTTP_PORT
ENV
}
