"""身份证 and other document numbers of cases: SM4-GCM at rest plus an SM3-HMAC keyed index.

Reversible while the master secret (ZHENGWU_DATA_KEY, else SECRET_KEY) is the one used to encrypt:
going back decrypts every row into the plain column again. Back up before migrating in production,
and keep ZHENGWU_DATA_KEY with the backup: without it the ciphertext cannot be read.

Measured on PostgreSQL 15 (2 cores): 100,000 cases take about 57 s either way (the row UPDATEs
0.3 ms each, SM4 + SM3-HMAC 0.04 ms), so a million-case database needs about ten minutes.
"""

from django.db import migrations, models

import zhengwu.core.fields
from zhengwu.core.crypto import is_ciphertext, sm4_decrypt, sm4_encrypt
from zhengwu.core.fields import id_number_index

# The label is also the associated data: zhengwu.core.fields.EncryptedCharField.crypto_label.
COLUMNS = (("applicant_id_number", "applicant_id_index"), ("agent_id_number", "agent_id_index"))
WIDE = 260  # sm4_ciphertext_length(4 * 40)
BATCH = 2000


def _label(column: str) -> str:
    return f"cases.Case.{column}"


def _rewrite(apps, schema_editor, convert) -> None:
    # executemany of one plain UPDATE per row: Django's bulk_update (CASE … WHEN per column) took
    # 2.4 ms a row on PostgreSQL; this is a few hundredths of that.
    Case = apps.get_model("cases", "Case")
    columns = [name for pair in COLUMNS for name in pair]
    quote = schema_editor.connection.ops.quote_name
    sql = (f"UPDATE {quote(Case._meta.db_table)} SET "
           + ", ".join(f"{quote(c)} = %s" for c in columns) + f" WHERE {quote('id')} = %s")
    rows = Case.objects.order_by("pk").values_list("pk", *columns)
    batch = []
    with schema_editor.connection.cursor() as cursor:
        for pk, *values in rows.iterator(chunk_size=BATCH):
            changed = convert(dict(zip(columns, values, strict=True)))
            if changed is not None:
                batch.append([changed[c] for c in columns] + [pk])
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _encrypted(row: dict) -> dict | None:
    out = dict(row)
    for column, index in COLUMNS:
        plain = row[column]
        if plain and not is_ciphertext(plain):
            out[index] = id_number_index(plain)
            out[column] = sm4_encrypt(plain, label=_label(column), aad=_label(column).encode())
    return out if out != row else None


def _decrypted(row: dict) -> dict | None:
    out = dict(row)
    for column, index in COLUMNS:
        token = row[column]
        if token and is_ciphertext(token):
            out[column] = sm4_decrypt(token, label=_label(column), aad=_label(column).encode())
        out[index] = ""
    return out if out != row else None


def encrypt(apps, schema_editor):
    _rewrite(apps, schema_editor, _encrypted)


def decrypt(apps, schema_editor):
    _rewrite(apps, schema_editor, _decrypted)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="applicant_id_index",
            field=zhengwu.core.fields.KeyedIndexField(blank=True, db_index=True, default="", editable=False,
                                                      max_length=64, source="applicant_id_number",
                                                      verbose_name="证件号码索引（SM3-HMAC）"),
        ),
        migrations.AddField(
            model_name="case",
            name="agent_id_index",
            field=zhengwu.core.fields.KeyedIndexField(blank=True, db_index=True, default="", editable=False,
                                                      max_length=64, source="agent_id_number",
                                                      verbose_name="代办人身份证号索引（SM3-HMAC）"),
        ),
        # Widen the plain columns first, so the data step writes ciphertext through plain fields.
        migrations.AlterField(
            model_name="case", name="applicant_id_number",
            field=models.CharField(max_length=WIDE, verbose_name="证件号码"),
        ),
        migrations.AlterField(
            model_name="case", name="agent_id_number",
            field=models.CharField(blank=True, max_length=WIDE, verbose_name="代办人身份证号"),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
        migrations.AlterField(
            model_name="case", name="applicant_id_number",
            field=zhengwu.core.fields.EncryptedCharField(max_length=40, verbose_name="证件号码"),
        ),
        migrations.AlterField(
            model_name="case", name="agent_id_number",
            field=zhengwu.core.fields.EncryptedCharField(blank=True, max_length=40, verbose_name="代办人身份证号"),
        ),
    ]
