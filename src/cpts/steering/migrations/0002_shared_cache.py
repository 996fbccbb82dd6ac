"""The table of the cache shared by the server processes (``cpts.steering.versions``, level 2):
Django's ``DatabaseCache`` on ``cpts_shared_cache``, the columns ``createcachetable`` would make.

UNLOGGED: no write-ahead log for cache rows (cheaper writes); a crash of the server empties the
table, which a cache may. Not a model of a watched app: no trigger, writing to it never moves the
data version."""

from __future__ import annotations

from django.db import migrations

CREATE = """
CREATE UNLOGGED TABLE cpts_shared_cache (
    cache_key varchar(255) PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX cpts_shared_cache_expires ON cpts_shared_cache (expires);
"""

DROP = "DROP TABLE IF EXISTS cpts_shared_cache;"


class Migration(migrations.Migration):
    dependencies = [("steering", "0001_data_versions")]

    operations = [migrations.RunSQL(CREATE, DROP)]
