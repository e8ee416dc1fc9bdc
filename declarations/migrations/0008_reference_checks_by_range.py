"""The statement-level reference checks of 0007 look up a range of integer keys
when every key in it exists, instead of each value given: for a chunk of 50,000
goods lines, one count over the 16,667 ids of its declarations instead of 50,000
lookups (stq02/references.py)."""

from django.db import migrations

from stq02.references import refresh_functions


class Migration(migrations.Migration):
    dependencies = [("declarations", "0007_set_based_references")]

    operations = [migrations.RunPython(refresh_functions, migrations.RunPython.noop)]
