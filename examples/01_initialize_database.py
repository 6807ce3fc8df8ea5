"""Example 1: initialize the database.

Uses CRASHDB_DATABASE_URL (or the seed's DB_* variables, or ./crashdb.sqlite3).
"""

from crashdb import DatabaseConnection, init_db

init_db(drop_existing=False)  # creates or upgrades the schema; safe to run at every start
if DatabaseConnection.test_connection():
    print("Database ready:", DatabaseConnection.get_engine().url.render_as_string())
else:
    raise SystemExit("Database not reachable")
