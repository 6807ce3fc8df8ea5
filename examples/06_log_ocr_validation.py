"""Example 6: log what the OCR read off the screen and whether it passed validation."""

from decimal import Decimal

from crashdb import init_db, log_ocr_validation

init_db()
for raw, cleaned, confidence, status in [
    ("2.45x", Decimal("2.45"), 0.97, "valid"),
    ("2.4S", None, 0.41, "rejected"),  # 'S' misread for '5'
    ("1O.02x", Decimal("10.02"), 0.78, "corrected"),
]:
    ocr_id = log_ocr_validation(
        bot_id="aviator_bot_001",
        session_id="session_20251121_001",
        raw_ocr_text=raw,
        cleaned_value=cleaned,
        confidence=confidence,
        validation_status=status,
    )
    print(f"OCR {raw!r:>9} -> {cleaned!s:>6} ({status}, confidence {confidence}) id={ocr_id}")
