"""Reading the KCS synthetic import declarations straight from their CSV files.

For development and for reproducing the published comparison without a
database. The back-test command itself reads declarations and outcomes from the
database (``risk.datasets``); this reader maps the same columns the same way.
"""

import pandas as pd

COLUMNS = {
    "Declaration ID": "number",
    "Date": "date",
    "Office ID": "office",
    "Process Type": "process_type",
    "Import Type": "import_type",
    "Import Use": "import_use",
    "Payment Type": "payment_type",
    "Mode of Transport": "transport_mode",
    "Declarant ID": "declarant",
    "Importer ID": "importer",
    "Seller ID": "seller",
    "Courier ID": "courier",
    "HS6 Code": "hs6",
    "Country of Departure": "departure",
    "Country of Origin": "origin",
    "Tax Rate": "tax_rate",
    "Tax Type": "tax_type",
    "Country of Origin Indicator": "origin_indicator",
    "Net Mass": "mass_kg",
    "Item Price": "value",
    "Fraud": "label",
    "Critical Fraud": "critical",
}


def read(path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).rename(columns=COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    for column in ("tax_rate", "mass_kg", "value"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["label"] = frame["label"].astype(int)
    frame["revenue"] = 0.0  # the data set has no revenue column
    return frame
