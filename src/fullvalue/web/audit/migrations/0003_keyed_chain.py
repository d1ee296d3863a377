"""Audit events record the id of the key that signed them (the chain is keyed from here on).

On SQLite, adding the column rebuilds the table, which drops its triggers: the append-only
trigger of 0002 is created again. PostgreSQL adds the column in place and keeps its triggers.
"""

from django.db import migrations, models

SQLITE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
"""


def triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(
                blank=True,
                default="",
                help_text="the audit key's id; blank: unkeyed",
                max_length=16,
            ),
        ),
        migrations.RunPython(triggers_again, migrations.RunPython.noop),
    ]
