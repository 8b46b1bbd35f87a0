"""Full-text search over segment text: FTS5 on SQLite, a GIN index on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS transcripts_segment_fts USING fts5(
        text, content='transcripts_segment', content_rowid='id', tokenize='porter unicode61'
    )""",
    """CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_insert
        AFTER INSERT ON transcripts_segment BEGIN
        INSERT INTO transcripts_segment_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_delete
        AFTER DELETE ON transcripts_segment BEGIN
        INSERT INTO transcripts_segment_fts(transcripts_segment_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
    END""",
    """CREATE TRIGGER IF NOT EXISTS transcripts_segment_fts_update
        AFTER UPDATE OF text ON transcripts_segment BEGIN
        INSERT INTO transcripts_segment_fts(transcripts_segment_fts, rowid, text)
        VALUES ('delete', old.id, old.text);
        INSERT INTO transcripts_segment_fts(rowid, text) VALUES (new.id, new.text);
    END""",
    "INSERT INTO transcripts_segment_fts(transcripts_segment_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS transcripts_segment_fts_update",
    "DROP TRIGGER IF EXISTS transcripts_segment_fts_delete",
    "DROP TRIGGER IF EXISTS transcripts_segment_fts_insert",
    "DROP TABLE IF EXISTS transcripts_segment_fts",
]
POSTGRES_FORWARD = [
    "CREATE INDEX IF NOT EXISTS transcripts_segment_text_search "
    "ON transcripts_segment USING GIN (to_tsvector('simple', text))",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS transcripts_segment_text_search"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("transcripts", "0002_segment_revisions")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
