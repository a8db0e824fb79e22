"""The applicant-side tables (``applicant_*``) in the registry's database.

Created by the registry migration ``0004_applicant``; keep this module equal to its result
(``tests/integration/test_schema_migrations.py`` compares them: Alembic's autogenerate finds
no difference between these tables and a migrated database).

    applicant_receipts    one receipt number (nomor tanda terima) per application, with the last
                          four NIK digits asked on /lacak and the survey token
    applicant_surveys     SKM answers (Permenpan RB 14/2017), u1..u9 in 1..4, one per application
    applicant_survey_imports  files of paper questionnaires already imported (by SHA-256)
    applicant_complaints  complaints (pengaduan) from the portal and the office's answers
    applicant_outbox      e-mail waiting to be sent, with attempts and the next attempt time
"""

from __future__ import annotations

import sqlalchemy as sa

from ..registry.schema import UTCDateTime

metadata = sa.MetaData()

receipts = sa.Table(
    "applicant_receipts", metadata,
    sa.Column("receipt", sa.String(32), primary_key=True),
    sa.Column("application_id", sa.String(120), nullable=False, unique=True),
    sa.Column("nik_last4", sa.String(4), nullable=False),
    sa.Column("survey_token", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

surveys = sa.Table(
    "applicant_surveys", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.String(120), unique=True),  # NULL: paper questionnaire
    sa.Column("permit", sa.String(60)),
    sa.Column("answered_on", sa.Date, nullable=False, index=True),
    *(sa.Column(f"u{i}", sa.SmallInteger, nullable=False) for i in range(1, 10)),
    sa.Column("source", sa.String(80), nullable=False),  # portal | import:<sha256 prefix>
    sa.Column("created_at", UTCDateTime, nullable=False),
)

survey_imports = sa.Table(
    "applicant_survey_imports", metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("filename", sa.Text, nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("imported_at", UTCDateTime, nullable=False),
)

complaints = sa.Table(
    "applicant_complaints", metadata,
    sa.Column("number", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("contact", sa.Text, nullable=False),
    sa.Column("about", sa.String(160), nullable=False),  # decree number or receipt number
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("attachment_name", sa.Text),
    sa.Column("attachment_type", sa.String(40)),
    sa.Column("attachment_path", sa.Text),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("answer", sa.Text),
    sa.Column("handled_by", sa.String(64)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
)

outbox = sa.Table(
    "applicant_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dedupe", sa.String(200), nullable=False, unique=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("application_id", sa.String(120)),
    sa.Column("to_addr", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("attachment_path", sa.Text),
    sa.Column("attachment_name", sa.Text),
    sa.Column("state", sa.String(12), nullable=False, index=True),  # pending | sent
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
)
