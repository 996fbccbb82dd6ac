"""Versions of one community's perimeter never overlap: an exclusion constraint (btree_gist) on
``[valid_from, valid_to)``, an open end meaning "still in force"."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

# Not ``BtreeGistExtension()``: unapplying it drops the extension, which the contracts' exclusion
# constraint also uses (contracts 0005). Creating it is idempotent; it is never dropped.
BTREE_GIST = "CREATE EXTENSION IF NOT EXISTS btree_gist"


class Migration(migrations.Migration):
    dependencies = [
        ("territory", "0004_intercommunalities_and_their_communes"),
    ]

    operations = [
        migrations.RunSQL(BTREE_GIST, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="perimeter",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                expressions=[
                    ("community", "="),
                    (
                        models.Func(
                            models.F("valid_from"),
                            models.F("valid_to"),
                            django.contrib.postgres.fields.ranges.RangeBoundary(),
                            function="daterange",
                            output_field=django.contrib.postgres.fields.ranges.DateRangeField(),
                        ),
                        "&&",
                    ),
                ],
                name="perimeter_versions_never_overlap",
            ),
        ),
    ]
