#!/bin/sh
# Run once by the postgres image when its volume is first initialised: the login the
# web app, worker, beat and MLLP listener use. It owns nothing; the `migrate` service
# (as the owner) grants it the application's tables and only SELECT and INSERT on
# the audit trail (manage.py db_grant_app_role).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v app_password="${APP_DB_PASSWORD:-caregraph_app}" <<'SQL'
CREATE ROLE caregraph_app LOGIN PASSWORD :'app_password';
SQL
