#!/usr/bin/env bash
# Load test of CPTS Pilote on the national demo: gunicorn (DEBUG off) on loopback, locust
# headless, then p50/p95/p99 per endpoint and errors (benchmarks/load/report.py).
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cpts_load benchmarks/load/run.sh [--build]
#
# --build: (re)build the national demo first (migrate, load_territory, seed_national --reset);
# without it, the demo is built only if the database has no community.
# Environment: USERS (50), SPAWN_RATE (10), DURATION (60s), WORKERS (3), PORT (8765),
# COMMUNITIES (1000), SEED (2026), PILOTAGE (1; 0 leaves /pilotage/ out of the mix),
# WRITERS (0; 1 adds a writer recording an indicator's value every WRITE_EVERY seconds, 5, and
# the task worker that warms the steering figures again after writes).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${DATABASE_URL:?DATABASE_URL doit désigner la base PostgreSQL du test de charge}"
BIN=.venv/bin
USERS=${USERS:-50} SPAWN_RATE=${SPAWN_RATE:-10} DURATION=${DURATION:-60s}
WORKERS=${WORKERS:-3} PORT=${PORT:-8765} COMMUNITIES=${COMMUNITIES:-1000} SEED=${SEED:-2026}
WRITERS=${WRITERS:-0} WRITE_EVERY=${WRITE_EVERY:-5}
export DEBUG=0 SECURE_PROXY_SSL_HEADER=1 ALLOWED_HOSTS=127.0.0.1,localhost
export SECRET_KEY=${SECRET_KEY:-load-test-key-not-for-production-$(hostname)}
export DJANGO_SETTINGS_MODULE=cpts.settings
mkdir -p var/load

$BIN/python manage.py migrate -v0
communities=$($BIN/python manage.py shell -v0 -c \
  "from cpts.communities.models import Community; print(Community.objects.count())" 2>/dev/null | tail -1)
if [[ "${1:-}" == "--build" || "$communities" == "0" ]]; then
  $BIN/python manage.py load_territory
  $BIN/python manage.py seed_national --communities "$COMMUNITIES" --seed "$SEED" --reset
fi
$BIN/python manage.py collectstatic --noinput -v0
$BIN/python benchmarks/load/prepare.py
# the steering figures of every day a filter can ask, into the cache the server processes share
# (what the task worker does after writes: `cpts worker`)
$BIN/python manage.py warm_steering

$BIN/gunicorn cpts.wsgi:application --preload --workers "$WORKERS" --bind "127.0.0.1:$PORT" \
  --access-logfile /dev/null --error-logfile var/load/gunicorn.log --pid var/load/gunicorn.pid &
server=$!
worker=""
if [[ "$WRITERS" != "0" ]]; then  # with writes, the worker warms the figures again after them
  $BIN/cpts worker --pilotage "$WRITE_EVERY" 2>var/load/worker.log &
  worker=$!
fi
trap 'kill $server $worker 2>/dev/null || true; wait $server $worker 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -s -o /dev/null -H 'X-Forwarded-Proto: https' "http://127.0.0.1:$PORT/connexion/" && break
  sleep 0.5
done

# pg_stat_statements, when the server loads it, says which queries the run spent its time on.
psql "$DATABASE_URL" -qc "select pg_stat_statements_reset()" >/dev/null 2>&1 || true
PILOTAGE=${PILOTAGE:-1} WRITERS=$WRITERS WRITE_EVERY=$WRITE_EVERY \
  $BIN/locust -f benchmarks/load/locustfile.py --host "http://127.0.0.1:$PORT" \
  --headless -u "$((USERS + WRITERS))" -r "$SPAWN_RATE" -t "$DURATION" --csv var/load/result --only-summary \
  --loglevel WARNING 2>&1 | tail -n 3 || true
echo
echo "Test de charge : $USERS utilisateurs et $WRITERS écrivain(s) (toutes les $WRITE_EVERY s), $DURATION, $WORKERS workers gunicorn, $(nproc) cœurs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
$BIN/python benchmarks/load/report.py var/load/result_stats.csv
