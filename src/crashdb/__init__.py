"""crashdb: record every round a fleet of crash-game bots plays, and answer honest questions.

The public API is the union of the ``__all__`` lists of the modules below; a test checks that
every name listed is importable from ``crashdb``.
"""

from crashdb import (
    analytics,
    db,
    exceptions,
    export,
    fairness,
    games,
    ingest,
    maintenance,
    records,
    report,
    simulate,
    stats,
    strategies,
    writer,
)
from crashdb.analytics import *  # noqa: F403
from crashdb.db import *  # noqa: F403
from crashdb.exceptions import *  # noqa: F403
from crashdb.export import *  # noqa: F403
from crashdb.fairness import *  # noqa: F403
from crashdb.games import *  # noqa: F403
from crashdb.ingest import *  # noqa: F403
from crashdb.maintenance import *  # noqa: F403
from crashdb.records import *  # noqa: F403
from crashdb.report import *  # noqa: F403
from crashdb.simulate import *  # noqa: F403
from crashdb.stats import *  # noqa: F403
from crashdb.strategies import *  # noqa: F403
from crashdb.writer import *  # noqa: F403

__all__ = [
    *db.__all__,
    *exceptions.__all__,
    *records.__all__,
    *ingest.__all__,
    *writer.__all__,
    *stats.__all__,
    *analytics.__all__,
    *export.__all__,
    *maintenance.__all__,
    *games.__all__,
    *fairness.__all__,
    *strategies.__all__,
    *simulate.__all__,
    *report.__all__,
]
__version__ = "0.1.0"
