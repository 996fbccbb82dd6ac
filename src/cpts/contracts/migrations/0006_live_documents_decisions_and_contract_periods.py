"""Invariants in the database: at most one live (filed or validated) letter of intent and health
project per community; every decision has its date and author (letters, projects, indicators,
closed evaluations; a dismissed amendment has its date); contract year numbers start at 1
everywhere they are stored. The exclusion constraint on contract periods, created in SQL by 0005,
is declared in the models from now on: this migration records it in the state only."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
import django.db.models.functions.comparison
from django.db import migrations, models

DECIDED = models.Q(("decided_on__isnull", False), ("decided_by__isnull", False))


class Migration(migrations.Migration):
    dependencies = [
        ("contracts", "0005_record_terms_and_adjustments"),
    ]

    operations = [
        # The database has had this very constraint since 0005 (same name, same definition:
        # tests/contracts/test_constraints.py compares them).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="contract",
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                        expressions=[
                            ("community", "="),
                            (
                                models.Func(
                                    models.F("signed_on"),
                                    django.db.models.functions.comparison.Coalesce(
                                        "terminated_on", "ends_on"
                                    ),
                                    django.contrib.postgres.fields.ranges.RangeBoundary(),
                                    function="daterange",
                                    output_field=django.contrib.postgres.fields.ranges.DateRangeField(),
                                ),
                                "&&",
                            ),
                        ],
                        name="contract_periods_never_overlap",
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddConstraint(
            model_name="letterofintent",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["filed", "validated"])),
                fields=("community",),
                name="letterofintent_one_live_per_community",
            ),
        ),
        migrations.AddConstraint(
            model_name="healthproject",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["filed", "validated"])),
                fields=("community",),
                name="healthproject_one_live_per_community",
            ),
        ),
        migrations.AddConstraint(
            model_name="letterofintent",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "filed"), DECIDED, _connector="OR"),
                name="letterofintent_decision_has_date_and_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="healthproject",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "filed"), DECIDED, _connector="OR"),
                name="healthproject_decision_has_date_and_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("verdict", "pending"), DECIDED, _connector="OR"),
                name="indicator_verdict_has_date_and_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="evaluation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "open"),
                    models.Q(("closed_on__isnull", False), ("closed_by__isnull", False)),
                    _connector="OR",
                ),
                name="closed_evaluation_has_date_and_author",
            ),
        ),
        migrations.AddConstraint(
            model_name="amendment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "dismissed"), _negated=True),
                    ("decided_on__isnull", False),
                    _connector="OR",
                ),
                name="dismissed_amendment_has_date",
            ),
        ),
        migrations.AddConstraint(
            model_name="evaluation",
            constraint=models.CheckConstraint(
                condition=models.Q(("contract_year__gte", 1)),
                name="evaluation_year_starts_at_one",
            ),
        ),
        migrations.AddConstraint(
            model_name="indicator",
            constraint=models.CheckConstraint(
                condition=models.Q(("contract_year__gte", 1)),
                name="indicator_year_starts_at_one",
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("contract_year__isnull", True), ("contract_year__gte", 1), _connector="OR"
                ),
                name="payment_year_starts_at_one",
            ),
        ),
    ]
