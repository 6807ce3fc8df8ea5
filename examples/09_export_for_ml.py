"""Example 9: export multipliers for ML training (JSON as in the seed's guide)."""

import json

from crashdb import export_multipliers_for_ml, init_db

init_db()
data = export_multipliers_for_ml("aviator", limit=5000)
with open("training_data.json", "w") as f:
    json.dump(data, f)
print(f"Wrote training_data.json ({len(data)} rows)")
