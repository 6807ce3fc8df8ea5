"""``backend.database.models``: the nine ORM models."""

from crashdb.models import *
from crashdb.models import __all__
