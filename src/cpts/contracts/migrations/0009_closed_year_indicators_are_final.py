"""On PostgreSQL, the indicators of a year whose evaluation is closed keep what the closing saw:
their measured value, what it was computed from, the CPAM's decision, and the figures the
year's kept result was computed with. A fill of the annex racing the closing (or a script, an
admin edit) is refused by the database. Labels, remarks and referents stay editable."""

from django.db import migrations

FINAL_COLUMNS = [
    "contract_id",
    "contract_year",
    "kind",
    "amount",
    "objective",
    "lower_is_better",
    "tiers",
    "measured_value",
    "done",
    "computed_code",
    "computed_measure",
    "computed_result_id",
    "computed_start",
    "computed_end",
    "computed_engine",
    "computed_at",
    "computed_by_id",
    "verdict",
    "verdict_reason",
    "decided_by_id",
    "decided_on",
]

TRIGGER = f"""
CREATE OR REPLACE FUNCTION cpts_closed_year_indicator_is_final() RETURNS trigger AS $$
BEGIN
    IF ({", ".join(f"NEW.{column}" for column in FINAL_COLUMNS)})
       IS DISTINCT FROM ({", ".join(f"OLD.{column}" for column in FINAL_COLUMNS)})
       AND EXISTS (SELECT 1 FROM contracts_evaluation
                   WHERE contract_id = OLD.contract_id AND contract_year = OLD.contract_year
                     AND status = 'closed') THEN
        RAISE EXCEPTION 'The indicators of a closed evaluation never change (indicator %)', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER closed_year_indicator_is_final BEFORE UPDATE ON contracts_indicator
    FOR EACH ROW EXECUTE FUNCTION cpts_closed_year_indicator_is_final();
"""

REVERSE = """
DROP TRIGGER IF EXISTS closed_year_indicator_is_final ON contracts_indicator;
DROP FUNCTION IF EXISTS cpts_closed_year_indicator_is_final();
"""


def postgres_only(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("contracts", "0008_indicator_bound_to_computed_indicator")]

    operations = [migrations.RunPython(postgres_only(TRIGGER), postgres_only(REVERSE))]
