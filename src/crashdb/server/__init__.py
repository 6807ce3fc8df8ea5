"""The fleet service, ``crashdb serve``: authenticated HTTP ingest for remote bots, a read
API, a live dashboard, and alerts (see ``docs/fleet.md``).

Modules: :mod:`~crashdb.server.config` (settings and alert rules, from a TOML file),
:mod:`~crashdb.server.auth` (tokens, roles, rate limits), :mod:`~crashdb.server.ingest`
(records into the one write path, with server-side group commit),
:mod:`~crashdb.server.fleet` (heartbeats and the fleet overview),
:mod:`~crashdb.server.alerts` and :mod:`~crashdb.server.delivery` (rules, state, webhooks
and Telegram), :mod:`~crashdb.server.stream` (server-sent events), :mod:`~crashdb.server.app`
(the FastAPI application; FastAPI is imported only there).
"""
