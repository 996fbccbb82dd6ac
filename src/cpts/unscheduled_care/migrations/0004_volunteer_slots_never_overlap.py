"""A volunteer's live slots never overlap, so that one person is never booked twice at once: an
exclusion constraint (btree_gist) on ``(volunteer, [start, end))`` for the slots not cancelled."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

# Not ``BtreeGistExtension()``: unapplying it would drop the extension, which the territory's and
# the contracts' exclusion constraints also use. Creating it is idempotent; it is never dropped.
BTREE_GIST = "CREATE EXTENSION IF NOT EXISTS btree_gist"


class Migration(migrations.Migration):
    dependencies = [
        ("unscheduled_care", "0003_sas_platform_declarations"),
    ]

    operations = [
        migrations.RunSQL(BTREE_GIST, migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="slot",
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                condition=models.Q(("status", "cancelled"), _negated=True),
                expressions=[
                    ("volunteer", "="),
                    (
                        models.Func(
                            models.F("start"),
                            models.F("end"),
                            function="tstzrange",
                            output_field=django.contrib.postgres.fields.ranges.DateTimeRangeField(),
                        ),
                        "&&",
                    ),
                ],
                name="volunteer_slots_never_overlap",
            ),
        ),
    ]
