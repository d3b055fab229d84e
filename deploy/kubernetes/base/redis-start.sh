#!/bin/sh
# Starts one Redis of a shard StatefulSet (SHARD=shard-N; pods shard-N-0,
# shard-N-1 behind the headless Service shard-N). Pod 0 starts as the master
# and the others as its replicas, unless the Sentinels already name the
# shard's master (after a failover): then it follows that one, so a restarted
# old master does not come back as a second master.
set -eu
ordinal="${HOSTNAME##*-}"
self="${HOSTNAME}.${SHARD}"
master="$(timeout 3 redis-cli -h sentinel -p 26379 --raw sentinel get-master-addr-by-name "$SHARD" 2>/dev/null | head -n 1 || true)"
case "$master" in
  ""|ERR*|*" "*) master="" ;;
esac
if [ -z "$master" ] && [ "$ordinal" != "0" ]; then master="${SHARD}-0.${SHARD}"; fi
set -- --port 6379 --dir /data --appendonly yes --save "" --protected-mode no --replica-announce-ip "$self"
if [ -n "$master" ] && [ "$master" != "$self" ]; then
  echo "redis-start: $self replicates $master"
  set -- "$@" --replicaof "$master" 6379
else
  echo "redis-start: $self starts as the master of $SHARD"
fi
exec redis-server "$@"
