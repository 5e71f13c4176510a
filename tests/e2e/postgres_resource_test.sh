# The shipped PostgreSQL resource (examples/resources/postgresql.yaml,
# docs/RESOURCES.md): a throwaway cluster (as the postgres user, on a Unix
# socket only) holds a schema with tables, rows, an index, a sequence and a
# role owning them; a plan backs it up with {type: resource, name: postgresql}
# to an encrypted target; `restore --resource postgresql --to SOCKETDIR`
# recovers it into a fresh second cluster, whose schema (pg_dump
# --schema-only) and rows equal the first's.
source "$CAIRN_E2E_LIB"
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1)
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ] || ! command -v pg_dump > /dev/null || ! id postgres > /dev/null 2>&1; then
  echo "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb, pg_dump or postgres user): apt-get install postgresql"
  exit 77
fi
[ "$(id -u)" -eq 0 ] || { echo "needs root: the resource runs its commands as the postgres user"; exit 77; }

pg=$T/pg
mkdir -p "$pg" && chown postgres: "$pg"
as_pg() { runuser -u postgres -- "$@"; }
port1=$(free_port)
port2=$((port1 + 1))
# start_cluster NAME PORT : initdb and start a cluster listening on $pg/NAME.sock only.
start_cluster() {
  as_pg mkdir -p "$pg/$1.sock"
  as_pg "$pgbin/initdb" -D "$pg/$1" -U postgres -A trust --no-sync > "$T/initdb-$1.log" 2>&1 || { cat "$T/initdb-$1.log"; fail "initdb $1"; }
  at_exit "runuser -u postgres -- '$pgbin/pg_ctl' -D '$pg/$1' -m immediate stop"
  as_pg "$pgbin/pg_ctl" -D "$pg/$1" -l "$pg/$1.log" -w -o "-k $pg/$1.sock -c listen_addresses='' -p $2 -c fsync=off" start > /dev/null \
    || { cat "$pg/$1.log"; fail "the cluster $1 did not start"; }
}
# sql CLUSTER PORT DB SQL : runs SQL there as postgres, prints unaligned rows.
sql() { as_pg psql -X -q -At -v ON_ERROR_STOP=1 -h "$pg/$1.sock" -p "$2" -d "$3" -c "$4"; }

note "a cluster with a role, a schema, tables, rows, an index and a sequence"
start_cluster one "$port1"
sql one "$port1" postgres "CREATE ROLE shop_owner LOGIN PASSWORD 'secret-pw'"
sql one "$port1" postgres "CREATE DATABASE shop OWNER shop_owner"
sql one "$port1" shop "SET ROLE shop_owner;
  CREATE SCHEMA sales;
  CREATE SEQUENCE sales.invoice_no START 1000 INCREMENT 7;
  CREATE TABLE sales.customers(id serial PRIMARY KEY, name text NOT NULL UNIQUE, joined date);
  CREATE TABLE sales.orders(id bigserial PRIMARY KEY, customer int REFERENCES sales.customers, item text,
                            amount numeric(10,2), invoice int DEFAULT nextval('sales.invoice_no'), note jsonb);
  CREATE INDEX orders_item ON sales.orders(item);
  INSERT INTO sales.customers(name, joined) SELECT 'customer ' || i, date '2026-01-01' + i FROM generate_series(1, 50) i;
  INSERT INTO sales.orders(customer, item, amount, note)
    SELECT 1 + i % 50, 'item-' || (i % 97), i * 1.25, jsonb_build_object('n', i, 'text', E'tab\\there \"quoted\"')
    FROM generate_series(1, 3000) i;
  CREATE TABLE public.settings(key text PRIMARY KEY, value text);
  INSERT INTO public.settings VALUES ('theme', 'dark'), ('lang', E'd\u00e9j\u00e0 vu');"
sql one "$port1" postgres "CREATE DATABASE empty_one;"

mkdir -p "$T/conf/resources.d"
cp "$(dirname "$CAIRN_E2E_LIB")/../../examples/resources/postgresql.yaml" "$T/conf/resources.d/"
chmod 644 "$T/conf/resources.d/postgresql.yaml"
cat > "$T/conf/cairn.yaml" <<YAML
state_dir: $T/state
keyring: {mode: keyfile, keyfile: $T/cairn.key}
targets:
  repo: {type: local, path: $T/repo}
plans:
  db:
    sources: [{type: resource, name: postgresql}]
    targets: [repo]
YAML
cairn() { "$CAIRN" -q -c "$T/conf/cairn.yaml" "$@"; }

note "backup through the plan: pg_dump -Fc per database, the roles (sensitive), metadata in the manifest"
run 0 cairn init
PGHOST=$pg/one.sock PGPORT=$port1 run 0 cairn backup
run 0 cairn --json checkpoints
[ "$(json '.sources[] | select(.name=="postgresql") | .manifest.metadata.databases')" = 2 ] \
  || fail "the manifest does not say 2 databases: $(cat "$T/out")"
run 0 cairn ls latest postgresql
grep -q "db1.dump" "$T/out" && grep -q "db2.dump" "$T/out" && grep -q "roles.sql" "$T/out" || fail "ls: $(cat "$T/out")"

rows() {
  sql "$1" "$2" shop "COPY (SELECT * FROM sales.customers ORDER BY id) TO STDOUT;
    COPY (SELECT * FROM sales.orders ORDER BY id) TO STDOUT; COPY (SELECT * FROM public.settings ORDER BY key) TO STDOUT;
    SELECT last_value, is_called FROM sales.invoice_no; SELECT last_value FROM sales.orders_id_seq;"
}
rows one "$port1" > "$T/rows1"
note "a change after the backup is not in the restore"
sql one "$port1" shop "INSERT INTO public.settings VALUES ('later', 'not in the backup')"

note "restore --resource into a fresh second cluster (--to its socket directory)"
start_cluster two "$port2"
start=$(date +%s)
PGPORT=$port2 run 0 cairn restore latest --resource postgresql --to "$pg/two.sock"
grep -q "resource postgresql recovered" "$T/out" || fail "$(cat "$T/out")"

note "schema and rows are equal"
# (pg_dump's \restrict lines carry a random key per dump)
schema() { as_pg pg_dump --schema-only -h "$pg/$1.sock" -p "$2" -d "$3" | grep -v '^\\\(un\)\{0,1\}restrict '; }
for db in shop empty_one; do
  schema one "$port1" "$db" > "$T/schema1-$db.sql"
  schema two "$port2" "$db" > "$T/schema2-$db.sql"
  diff -u "$T/schema1-$db.sql" "$T/schema2-$db.sql" > /dev/null || { diff -u "$T/schema1-$db.sql" "$T/schema2-$db.sql" | head -40; fail "the schema of $db differs"; }
done
grep -q "CREATE INDEX orders_item" "$T/schema2-shop.sql" && grep -q "OWNER TO shop_owner" "$T/schema2-shop.sql" \
  || fail "the restored schema lacks the index or the owner"
rows two "$port2" > "$T/rows2"
[ "$(wc -l < "$T/rows1")" -gt 3050 ] || fail "too few rows compared: $(wc -l < "$T/rows1")"
cmp "$T/rows1" "$T/rows2" || fail "the rows differ from those at the backup"
[ "$(sql two "$port2" shop "SELECT nextval('sales.invoice_no')")" = "$(sql one "$port1" shop "SELECT nextval('sales.invoice_no')")" ] \
  || fail "the sequence does not continue where it was"
role="SELECT rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'shop_owner'"
[ -n "$(sql one "$port1" postgres "$role")" ] && [ "$(sql two "$port2" postgres "$role")" = "$(sql one "$port1" postgres "$role")" ] \
  || fail "the role (and its password hash, from the sensitive roles.sql) was not restored"

note "a database that already exists there is not overwritten: recover fails, one clear line"
PGPORT=$port2 run 1 cairn restore latest --resource postgresql --to "$pg/two.sock"
grep -q "postgresql.yaml: resource postgresql: the recover command exited with 1: .*already exists" "$T/err" || fail "$(cat "$T/err")"
[ "$(wc -l < "$T/err")" -eq 1 ] || fail "more than one line: $(cat "$T/err")"
echo "restore took $(( $(date +%s) - start )) s"
