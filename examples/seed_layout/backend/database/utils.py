"""``backend.database.utils``: the analytics, export and maintenance functions."""

from crashdb import *
from crashdb import __all__
