# Apicurio Registry 3.x with in-memory storage, speaking the Confluent REST API on
# http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7, so that @kafkajs/confluent-schema-registry works unchanged.
# Sourced by deploy/local/stack; defines registry_up, registry_down, registry_status.
#
#   .cache/registry/apicurio-registry-<version>/   Apicurio's own Quarkus fast-jar (quarkus-run.jar, lib/, quarkus/),
#                                                  unpacked from io.apicurio:apicurio-registry-app:<version>:tar.gz:all
#                                                  by deploy/local/registry/pom.xml (Maven Central only)
#   .cache/m2/                                     Maven's local repository (shared with kafka.sh)
#   .stack/registry/                               registry.out (console log), registry.pid, tmp/
#
# Storage is Apicurio 3's SQL storage on an in-memory H2 database: every start begins empty, and
# `down` forgets every schema. That is what tests want (random subjects, nothing left behind).
REGISTRY_VERSION="${QUINTET_STACK_REGISTRY_VERSION:-3.3.3}"
# Quarkus' management interface (health, metrics) needs a port of its own; its default, 9000, is ClickHouse's.
REGISTRY_MANAGEMENT_PORT="${QUINTET_STACK_REGISTRY_MANAGEMENT_PORT:-8091}"
# C1 only and the serial collector: a schema registry under test load needs neither C2 nor G1, and
# dropping them halves the CPU spent starting up on a 2-core machine and trims ~50 MB of RSS.
REGISTRY_JVM_OPTS="${QUINTET_STACK_REGISTRY_JVM_OPTS:--Xms64m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError}"
REGISTRY_READY_SECONDS="${QUINTET_STACK_REGISTRY_READY_SECONDS:-180}"
# Apicurio 3.3 is compiled for Java 21 (class files of version 65).
REGISTRY_MIN_JAVA=21

registry_dir() { echo "$STACK_STATE/registry"; }
registry_home() { echo "$STACK_CACHE/registry/apicurio-registry-$REGISTRY_VERSION"; }
registry_pidfile() { echo "$(registry_dir)/registry.pid"; }
registry_api() { echo "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"; }

# Ready means: the Confluent-compatible API answers 200 with a JSON array (the subject list).
registry_probe() {
  local body
  body="$(stack_http_get "$REGISTRY_PORT" /apis/ccompat/v7/subjects)" || return 1
  [[ "$body" == \[* ]]
}

# The major version of the java binary $1 (e.g. 17, 21, 25), or nothing. Read from the JDK's `release`
# file when there is one: starting a JVM per candidate costs seconds on a busy 2-core machine.
registry_java_major() {
  local home
  home="$(dirname "$(dirname "$(readlink -f "$1")")")"
  if [ -f "$home/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release" | sed 's/^1$/8/'
  else
    "$1" -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit }'
  fi
}

# A java binary of version >= REGISTRY_MIN_JAVA: QUINTET_STACK_REGISTRY_JAVA, then JAVA_HOME, then the
# newest JDK under /usr/lib/jvm (these machines have Debian's 17 as default and Temurin 25 beside it).
registry_java() {
  local candidate major best="" best_major=0
  for candidate in "${QUINTET_STACK_REGISTRY_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major="$(registry_java_major "$candidate")"
    [[ "$major" =~ ^[0-9]+$ ]] || continue
    if [ -n "${QUINTET_STACK_REGISTRY_JAVA:-}" ] && [ "$candidate" = "$QUINTET_STACK_REGISTRY_JAVA" ]; then
      [ "$major" -ge "$REGISTRY_MIN_JAVA" ] || stack_die "registry: QUINTET_STACK_REGISTRY_JAVA=$candidate is Java $major; Apicurio Registry $REGISTRY_VERSION needs Java $REGISTRY_MIN_JAVA or newer"
      echo "$candidate"
      return 0
    fi
    if [ "$major" -gt "$best_major" ]; then best="$candidate"; best_major="$major"; fi
  done
  [ "$best_major" -ge "$REGISTRY_MIN_JAVA" ] || stack_die "registry: Apicurio Registry $REGISTRY_VERSION needs Java $REGISTRY_MIN_JAVA or newer; the newest Java found is ${best:+$best (Java $best_major)}${best:-none}. Install a JDK $REGISTRY_MIN_JAVA+ under /usr/lib/jvm or set QUINTET_STACK_REGISTRY_JAVA=/path/to/bin/java"
  echo "$best"
}

# Fetch Apicurio's fast-jar from Maven Central once per version (about 160 MB).
registry_fetch() {
  local home work
  home="$(registry_home)"
  [ -f "$home/.complete" ] && [ -f "$home/quarkus-run.jar" ] && return 0
  stack_require_command mvn maven
  work="$STACK_CACHE/registry"
  mkdir -p "$work"
  rm -rf "$home"
  stack_log "registry: fetching Apicurio Registry $REGISTRY_VERSION (io.apicurio:apicurio-registry-app:tar.gz:all) from Maven Central into $home (first run only)"
  if ! mvn -B -q -f "$STACK_ROOT/deploy/local/registry/pom.xml" -Dmaven.repo.local="$STACK_CACHE/m2" \
      -Dapicurio.version="$REGISTRY_VERSION" -Dregistry.dir="$home" generate-resources >"$work/mvn.log" 2>&1; then
    tail -n 30 "$work/mvn.log" >&2
    stack_die "registry: Maven could not fetch io.apicurio:apicurio-registry-app:$REGISTRY_VERSION:tar.gz:all (log: $work/mvn.log). Is Maven Central reachable? QUINTET_STACK_REGISTRY_VERSION picks another 3.x version."
  fi
  [ -f "$home/quarkus-run.jar" ] || stack_die "registry: Maven finished but $home has no quarkus-run.jar"
  touch "$home/.complete"
}

registry_up() {
  local dir pidfile home java started
  dir="$(registry_dir)"
  pidfile="$(registry_pidfile)"
  if stack_pid_alive "$pidfile"; then
    stack_wait registry "$REGISTRY_READY_SECONDS" "$pidfile" registry_probe || registry_fail "running (pid $(cat "$pidfile")) but not ready"
    stack_log "registry: already running (pid $(cat "$pidfile")) at $(registry_api)"
    return 0
  fi
  if stack_port_open "$REGISTRY_PORT"; then
    # Started by another checkout or by hand: use it if it speaks the Confluent API, never stop it.
    if registry_probe; then
      stack_log "registry: a schema registry not started by this checkout answers at $(registry_api); using it"
      return 0
    fi
    stack_die "registry: port $REGISTRY_PORT is taken by something that does not answer GET /apis/ccompat/v7/subjects"
  fi
  stack_port_open "$REGISTRY_MANAGEMENT_PORT" && stack_die "registry: management port $REGISTRY_MANAGEMENT_PORT is taken (QUINTET_STACK_REGISTRY_MANAGEMENT_PORT picks another)"
  java="$(registry_java)"
  registry_fetch
  home="$(registry_home)"
  mkdir -p "$dir/tmp"
  stack_log "registry: starting Apicurio Registry $REGISTRY_VERSION (in-memory H2, Java $(registry_java_major "$java") at $java) at $(registry_api)"
  started=$SECONDS
  # Every setting is a system property, so the unpacked distribution stays untouched.
  # - storage: Apicurio 3's SQL storage on a private in-memory H2 database (its default, spelled out);
  #   a small connection pool instead of 20..100 connections.
  # - deletion enabled, so that tests and `quintet` can remove the subjects they made (Confluent allows it).
  # - no access log and no audit line per request: a test run makes thousands of requests.
  # - global compatibility BACKWARD, Confluent's default (Apicurio's is NONE: no check at all), so that a
  #   subject without a level of its own behaves as it would on Confluent.
  # - ccompat ids are content ids (legacy-id-mode off): the same schema gets the same id in every
  #   subject, as in Confluent's registry.
  # shellcheck disable=SC2086 # REGISTRY_JVM_OPTS holds several JVM options
  (cd "$dir" || exit 1
  setsid nohup "$java" $REGISTRY_JVM_OPTS -Djava.io.tmpdir="$dir/tmp" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$REGISTRY_MANAGEMENT_PORT" \
    -Dquarkus.http.access-log.enabled=false -Dquarkus.log.category.\"io.apicurio.registry.logging.audit\".level=WARN \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.url="jdbc:h2:mem:quintet_registry" \
    -Dapicurio.datasource.jdbc.initial-size=2 -Dapicurio.datasource.jdbc.min-size=2 -Dapicurio.datasource.jdbc.max-size=16 \
    -Dapicurio.rest.deletion.artifact.enabled=true -Dapicurio.rest.deletion.artifact-version.enabled=true \
    -Dapicurio.rest.deletion.group.enabled=true \
    -Dapicurio.ccompat.legacy-id-mode.enabled=false -Dapicurio.rules.global.compatibility=BACKWARD \
    -Dapicurio.storage.snapshot.location="$dir/tmp" -Dapicurio.import.work-dir="$dir/tmp" \
    -jar "$home/quarkus-run.jar" >"$dir/registry.out" 2>&1 </dev/null &
    echo $! >"$pidfile")
  stack_wait registry "$REGISTRY_READY_SECONDS" "$pidfile" registry_probe || registry_fail "did not become ready in ${REGISTRY_READY_SECONDS}s"
  stack_log "registry: ready at $(registry_api) in $((SECONDS - started))s (pid $(cat "$pidfile"), RSS $(stack_rss "$pidfile"))"
}

registry_fail() {
  local dir
  dir="$(registry_dir)"
  stack_log "registry: $1; last lines of $dir/registry.out:"
  tail -n 40 "$dir/registry.out" >&2 2>/dev/null || true
  stack_die "registry: $1"
}

registry_down() {
  stack_stop_pid "$(registry_pidfile)" registry 30
}

registry_status() {
  local pidfile
  pidfile="$(registry_pidfile)"
  if stack_pid_alive "$pidfile"; then
    if registry_probe; then echo "registry    up       $(registry_api) pid $(cat "$pidfile") $(stack_rss "$pidfile") (Apicurio $REGISTRY_VERSION, in-memory)"
    else echo "registry    starting $(registry_api) pid $(cat "$pidfile")"; fi
  elif registry_probe; then
    echo "registry    external $(registry_api) (not started by this checkout)"
  else
    echo "registry    down"
    return 1
  fi
}
