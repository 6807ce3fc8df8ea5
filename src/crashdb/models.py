"""The seed's import path for the table classes: everything in :mod:`crashdb.db.models`."""

from crashdb.db.models import *  # noqa: F403
from crashdb.db.models import __all__ as __all__
