"""``ensure_database``: create the PostgreSQL database named by DATABASE_URL if it is missing.

``script/setup`` runs it before migrating, so a new PostgreSQL install needs no manual step.
SQLite creates its file by itself, so nothing is done for it.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    """Create the configured PostgreSQL database when it does not exist."""

    help = "Create the PostgreSQL database named by DATABASE_URL if it does not exist."

    def handle(self, *args, **options):
        """Connect to the server's maintenance database and create ours if needed."""
        db = settings.DATABASES["default"]
        if db["ENGINE"] != "django.db.backends.postgresql":
            return
        import psycopg
        from psycopg import sql

        params = {
            "dbname": "postgres",
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
        }
        try:
            with psycopg.connect(**{k: v for k, v in params.items() if v}, autocommit=True) as conn:
                exists = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
                ).fetchone()
                if not exists:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                    self.stdout.write(f"Created database {db['NAME']}.")
        except psycopg.Error as exc:
            raise CommandError(f"Could not reach PostgreSQL to create {db['NAME']}: {exc}") from exc
