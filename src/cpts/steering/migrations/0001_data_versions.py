"""The data version of the tables the steering figures read (``cpts.steering.versions``): a table
of counters and a statement-level trigger on every table of the watched apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from cpts.steering.versions import CREATE_SQL, DROP_SQL, unwatch_sql, watch_sql

#: the watched apps when this migration was written (a later app gets its own migration)
WATCHED_APPS = ("territory", "communities", "contracts", "crises")


def _tables(apps: Any) -> list[str]:
    return sorted(
        {
            model._meta.db_table
            for label in WATCHED_APPS
            for model in apps.get_app_config(label).get_models(include_auto_created=True)
        }
    )


def watch(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(CREATE_SQL)
    for table in _tables(apps):
        schema_editor.execute(watch_sql(table))


def unwatch(apps: Any, schema_editor: Any) -> None:
    for table in _tables(apps):
        schema_editor.execute(unwatch_sql(table))
    schema_editor.execute(DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [
        ("territory", "0005_perimeter_versions_never_overlap"),
        ("communities", "0003_member_email"),
        ("contracts", "0009_closed_year_indicators_are_final"),
        ("crises", "0003_crisis_end"),
    ]

    operations = [migrations.RunPython(watch, unwatch)]
