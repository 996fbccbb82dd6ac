"""The data version's trigger function recreates a missing slot row instead of updating nothing
(``cpts.steering.versions.BUMP_SQL``): a table emptied by a ``TRUNCATE`` of every table (the
national demo's reset did it) left the version standing still, and the cache serving figures
older than the writes."""

from __future__ import annotations

from django.db import migrations

from cpts.steering.versions import BUMP_SQL

#: the function as migration 0001 installed it (an UPDATE of the writer's slot)
PREVIOUS = """
CREATE OR REPLACE FUNCTION cpts_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('cpts.data_version_bumped', true), '') <> '1' THEN
        UPDATE cpts_data_version SET version = version + 1
            WHERE slot = mod(pg_backend_pid(), 128);
        PERFORM set_config('cpts.data_version_bumped', '1', true);
    END IF;
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("steering", "0002_shared_cache")]

    operations = [migrations.RunSQL(BUMP_SQL, PREVIOUS)]
