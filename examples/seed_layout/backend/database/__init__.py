"""Mounts crashdb at ``backend.database``, the import path of the seed's integration guide.

Put ``examples/seed_layout`` (or a copy of its ``backend`` folder) on ``sys.path`` and a bot
written against the guide runs unchanged.
"""

from crashdb import *
from crashdb import __all__
