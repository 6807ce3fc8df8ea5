"""The writer never loses what it acknowledged, whatever one bad record or a bad disk does.

* A poison value among good records: one the validator refuses (a lone surrogate) raises
  ``InvalidRecord`` at the call and is never acknowledged; one the database refuses later (an
  outcome for a round that does not exist) is acknowledged, then dead-lettered with its
  reason. Either way every good record arrives exactly once, with the database up and through
  an outage (spool, replay), and ``flush()``/``close()`` never raise.
* An unwritable spool (the path is a file) during an outage keeps batches in memory; when the
  database is back just before ``close()``, inside the retry back-off window, ``close()``
  writes them all.
* With the database still down and the spool unwritable, ``close()`` saves them to the rescue
  spool and logs how many and where; a writer on that directory replays them.
"""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest

from crashdb import Database, InvalidRecord, RoundWriter
from crashdb.writer.spool import DEAD_LETTER_DIR
from writer_support import count, database_locked, round_ids, round_kw, short_timeout_db

GOOD = 120


def _log_with_poison(w: RoundWriter) -> tuple[list[uuid.UUID], uuid.UUID]:
    good: list[uuid.UUID] = []
    for n in range(1, GOOD + 1):
        good.append(w.log_crash_round(**round_kw(n)))
        if n == GOOD // 3:
            with pytest.raises(InvalidRecord) as exc:
                w.log_crash_round(**round_kw(10_000) | {"ocr_text": "2.45\ud800x"})
            assert exc.value.fields == ["ocr_text"]
            with pytest.raises(InvalidRecord):
                w.log_error(error_type="ocr", context={"k": "\udfff"})
    orphan = w.log_round_outcome(round_id=uuid.uuid4(), outcome="LOSS", profit_loss="-1")
    return good, orphan


def _dead_letters(spool: Path) -> list[dict[str, object]]:
    out = []
    for path in sorted((spool / DEAD_LETTER_DIR).glob("*.errors.json")):
        out.extend(json.loads(path.read_text()))
    return out


def test_poison_with_the_database_up(db: Database, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    w = RoundWriter(spool, db=db, flush_interval=0.05)
    good, _ = _log_with_poison(w)
    assert w.flush(30)
    w.close()
    assert sorted(round_ids(db)) == sorted(good)
    assert count(db, "crash_game_rounds") == GOOD  # exactly once
    (error,) = _dead_letters(spool)
    assert error["field"] == "round_id" and "no round with id" in str(error["reason"])
    assert w.stats.dead_lettered_records == 1


def test_poison_during_an_outage(db: Database, db_url: str, backend: str, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    fragile = short_timeout_db(db_url, backend)
    w = RoundWriter(
        spool, db=fragile, flush_interval=0.05, retry_initial=0.1, retry_max=0.3, write_timeout=2
    )
    with database_locked(db_url, backend):
        good, _ = _log_with_poison(w)
        assert w.flush(60)  # durably spooled
        assert w.backlog >= 1
    assert w.flush(60)
    w.close()  # replays what is left; never raises
    fragile.dispose()
    assert sorted(round_ids(db)) == sorted(good)
    assert count(db, "crash_game_rounds") == GOOD
    assert [e["field"] for e in _dead_letters(spool)] == ["round_id"]
    assert not [p for p in spool.glob("*/*.jsonl") if p.parent.name != DEAD_LETTER_DIR]


def test_unwritable_spool_and_the_database_back_just_before_close(
    db: Database, db_url: str, backend: str, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "spool"
    not_a_dir.write_text("a file where the spool directory should be")
    fragile = short_timeout_db(db_url, backend)
    # a long back-off: the database comes back well inside it
    w = RoundWriter(
        not_a_dir, db=fragile, flush_interval=0.05, retry_initial=60, retry_max=60, write_timeout=2
    )
    with database_locked(db_url, backend):
        ids = [w.log_crash_round(**round_kw(n)) for n in range(1, 2001)]
        assert not w.flush(30)  # neither written nor spooled: held in memory
    w.close()
    fragile.dispose()
    assert count(db, "crash_game_rounds") == 2000
    assert sorted(round_ids(db)) == sorted(ids)


def test_nowhere_to_go_at_close_is_rescued_and_said(
    db: Database, db_url: str, backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "spool"
    not_a_dir.write_text("not a directory")
    rescue_root = tmp_path / "rescue"
    fragile = short_timeout_db(db_url, backend)
    w = RoundWriter(
        not_a_dir,
        db=fragile,
        flush_interval=0.05,
        retry_initial=0.1,
        write_timeout=2,
        rescue_dir=rescue_root,
    )
    with database_locked(db_url, backend), caplog.at_level(logging.ERROR, "crashdb.writer"):
        ids = [
            w.log_crash_round(**round_kw(n, bot=f"rescue_{uuid.uuid4().hex[:6]}"))
            for n in range(1, 31)
        ]
        w.close()  # must not raise
    fragile.dispose()
    assert w.stats.rescued_records == 30
    said = [r.getMessage() for r in caplog.records if "could be written neither" in r.getMessage()]
    assert len(said) == 1 and "30 record(s)" in said[0] and str(rescue_root) in said[0]
    # the rescue spool is an ordinary spool: a writer on it replays the records
    with RoundWriter(rescue_root, db=db, flush_interval=0.05) as replayer:
        assert replayer.flush(60)
    stored = set(round_ids(db))
    assert set(ids) <= stored
