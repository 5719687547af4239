# Stored files whose stored bytes are longer than one chunk (1 MiB) keep the first chunk in
# their row and the rest in chunk rows, as new ones do (see ContentBlob). Read a chunk at a
# time with SUBSTR (the same on PostgreSQL, MariaDB and SQLite), so a large file is never
# in memory whole. Backwards the chunks go back into their row: on MariaDB/MySQL a file
# larger than the server's max_allowed_packet cannot (that was the old layout's limit).

from django.db import migrations

# Frozen: the chunk size when this migration was written. Reading does not depend on it
# (a blob is its row and then its chunk rows in order, whatever their sizes).
CHUNK = 1024 * 1024


def forwards(apps, schema_editor):
    ContentBlob = apps.get_model("tickets", "ContentBlob")
    ContentChunk = apps.get_model("tickets", "ContentChunk")
    connection = schema_editor.connection
    table = connection.ops.quote_name(ContentBlob._meta.db_table)
    # Table name from the model, quoted; every value a parameter.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT sha256, LENGTH(data) FROM {table} WHERE chunks = 0 AND LENGTH(data) > %s",  # noqa: S608
            [CHUNK],
        )
        large = cursor.fetchall()
    for sha, length in large:
        count = -(-length // CHUNK) - 1
        for seq in range(1, count + 1):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT SUBSTR(data, %s, %s) FROM {table} WHERE sha256 = %s",  # noqa: S608
                    [seq * CHUNK + 1, CHUNK, sha],
                )
                piece = bytes(cursor.fetchone()[0])
            ContentChunk.objects.create(blob_id=sha, seq=seq, data=piece)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET data = SUBSTR(data, 1, %s), chunks = %s WHERE sha256 = %s",  # noqa: S608
                [CHUNK, count, sha],
            )


def backwards(apps, schema_editor):
    ContentBlob = apps.get_model("tickets", "ContentBlob")
    ContentChunk = apps.get_model("tickets", "ContentChunk")
    for sha, first in ContentBlob.objects.filter(chunks__gt=0).values_list("sha256", "data"):
        rest = ContentChunk.objects.filter(blob_id=sha).order_by("seq").values_list("data", flat=True)
        data = b"".join([bytes(first), *(bytes(piece) for piece in rest)])
        ContentBlob.objects.filter(pk=sha).update(data=data, chunks=0)
        ContentChunk.objects.filter(blob_id=sha).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0031_content_blob_chunks")]

    operations = [migrations.RunPython(forwards, backwards)]
