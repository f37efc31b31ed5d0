#!/usr/bin/env bash
# Starts a Redis for `tiosa run --queue` / `tiosa worker` on this machine (these machines
# have no systemd): loopback only, port 6390, a password kept in ~/.config/tiosa/redis.url
# (mode 600), append-only file so a restart keeps the queues. Idempotent. The queue tests
# start Redis servers of their own; this one is for trying a coordinator and workers by hand.
set -euo pipefail
log() { printf '[setup redis] %s\n' "$*" >&2; }
command -v redis-server >/dev/null || { log "redis-server not installed, skipping"; exit 0; }
CONF_DIR="${XDG_CONFIG_HOME:-$HOME/.config}/tiosa"
DATA="${XDG_STATE_HOME:-$HOME/.local/state}/tiosa/redis"
URL_FILE="$CONF_DIR/redis.url"
PORT=6390
mkdir -p "$CONF_DIR" "$DATA"
if [ ! -s "$URL_FILE" ]; then
  umask 077
  printf 'redis://:%s@127.0.0.1:%s\n' "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')" "$PORT" > "$URL_FILE"
fi
PASS=$(sed -E 's#^redis://:([^@]+)@.*#\1#' "$URL_FILE")
if REDISCLI_AUTH="$PASS" redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; then
  log "Redis answers on 127.0.0.1:$PORT (URL in $URL_FILE)"
  exit 0
fi
log "starting redis-server on 127.0.0.1:$PORT (URL in $URL_FILE)"
# The password goes in through stdin's config, not the command line (ps would show it).
printf 'requirepass %s\n' "$PASS" | redis-server - --bind 127.0.0.1 --port "$PORT" --dir "$DATA" \
  --appendonly yes --daemonize yes --logfile "$DATA/redis.log" --pidfile "$DATA/redis.pid"
for _ in $(seq 1 50); do
  REDISCLI_AUTH="$PASS" redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && { log "Redis answers"; exit 0; }
  sleep 0.1
done
log "redis-server did not answer; see $DATA/redis.log"
exit 1
