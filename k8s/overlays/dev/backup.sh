#!/bin/sh
# Backups of the service's PostgreSQL database, run in the PostgreSQL image:
# by the `backup` service of compose.prod.yaml (schedule) and by the dev
# overlay's CronJob "postgres-backup" (once). One script for both: it lives
# here, where kustomize can read it, and deploy/backup.sh links to it.
#
#   backup schedule          one dump now, then one every BACKUP_INTERVAL seconds
#   backup once              one dump now
#   backup list              the dumps kept, oldest first
#   backup restore FILE      replace the database's contents with a dump
#                            (FILE: a name from `list`, or `latest`)
#
# Each dump is `pg_dump --format=custom` into BACKUP_DIR, written under a
# temporary name and renamed when complete, so a crash never leaves a partial
# dump that looks whole; the newest BACKUP_KEEP are kept. Each run logs one
# JSON line (ERROR, and a non-zero exit that fails a Job, when it fails). The
# connection comes from the standard PG* variables.
set -eu

BACKUP_DIR="${BACKUP_DIR-/backups}"  # the defaults apply when unset; empty is refused
BACKUP_KEEP="${BACKUP_KEEP-7}"
BACKUP_INTERVAL="${BACKUP_INTERVAL-86400}"

log() {  # log LEVEL MESSAGE [EXTRA JSON FIELDS]
  printf '{"time": "%s", "level": "%s", "logger": "backup", "message": "%s"%s}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" "${3:-}"
}

fail() {
  log ERROR "$1"
  exit 1
}

[ -d "$BACKUP_DIR" ] || fail "BACKUP_DIR must name a directory, not '$BACKUP_DIR'"
case "$BACKUP_KEEP" in '' | *[!0-9]* | 0) fail "BACKUP_KEEP must be a whole number of at least 1 (got $BACKUP_KEEP)" ;; esac
case "$BACKUP_INTERVAL" in '' | *[!0-9]* | 0) fail "BACKUP_INTERVAL must be a whole number of seconds (got $BACKUP_INTERVAL)" ;; esac

dumps() {  # the complete dumps, oldest first (names sort by time)
  ls -1 "$BACKUP_DIR" | grep -E '^[0-9]{8}T[0-9]{6}Z\.dump$' || true
}

take() {
  name="$(date -u +%Y%m%dT%H%M%SZ).dump"
  started=$(date +%s%3N)
  if ! pg_dump --format=custom --no-owner --file="$BACKUP_DIR/.$name.partial"; then
    rm -f "$BACKUP_DIR/.$name.partial"
    fail "pg_dump failed"
  fi
  mv "$BACKUP_DIR/.$name.partial" "$BACKUP_DIR/$name"
  bytes=$(wc -c < "$BACKUP_DIR/$name")
  removed=0
  excess=$(( $(dumps | wc -l) - BACKUP_KEEP ))
  if [ "$excess" -gt 0 ]; then
    for old in $(dumps | head -n "$excess"); do
      rm -f "$BACKUP_DIR/$old"
      removed=$((removed + 1))
    done
  fi
  log INFO "backup taken" ", \"file\": \"$name\", \"bytes\": $bytes, \"milliseconds\": $(( $(date +%s%3N) - started )), \"removed\": $removed, \"kept\": $(dumps | wc -l)"
}

restore() {
  file="${1:-}"
  [ -n "$file" ] || fail "name a dump to restore (see: backup list), or latest"
  if [ "$file" = latest ]; then
    file=$(dumps | tail -n 1)
    [ -n "$file" ] || fail "there is no dump in $BACKUP_DIR"
  fi
  case "$file" in */* | .*) fail "name a dump of $BACKUP_DIR, not a path" ;; esac
  [ -f "$BACKUP_DIR/$file" ] || fail "no dump named $file in $BACKUP_DIR"
  started=$(date +%s%3N)
  # One transaction: a restore that fails leaves the database as it was.
  pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error \
    --dbname="$PGDATABASE" "$BACKUP_DIR/$file" || fail "pg_restore of $file failed; the database is unchanged"
  log INFO "backup restored" ", \"file\": \"$file\", \"milliseconds\": $(( $(date +%s%3N) - started ))"
}

case "${1:-schedule}" in
  schedule)
    log INFO "backups every $BACKUP_INTERVAL s into $BACKUP_DIR, keeping $BACKUP_KEEP"
    trap 'exit 0' TERM INT
    while :; do
      (take) || true  # a failed run is logged; the next one is tried on time
      sleep "$BACKUP_INTERVAL" &
      wait $!
    done
    ;;
  once) take ;;
  list) dumps ;;
  restore) restore "${2:-}" ;;
  *) fail "unknown command ${1}: use schedule, once, list or restore FILE" ;;
esac
