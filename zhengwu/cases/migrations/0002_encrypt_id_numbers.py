"""身份证 and other document numbers of cases: SM4-GCM at rest plus an SM3-HMAC keyed index.

Reversible while the master secret (ZHENGWU_DATA_KEY, else SECRET_KEY) is the one used to encrypt:
going back decrypts every row into the plain column again. Back up before migrating in production,
and keep ZHENGWU_DATA_KEY with the backup: without it the ciphertext cannot be read.
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


def encrypt(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    fields = [name for pair in COLUMNS for name in pair]
    batch = []
    for case in Case.objects.only("pk", *fields).order_by("pk").iterator(chunk_size=BATCH):
        for column, index in COLUMNS:
            plain = getattr(case, column)
            if plain and not is_ciphertext(plain):
                setattr(case, index, id_number_index(plain))
                setattr(case, column, sm4_encrypt(plain, label=_label(column), aad=_label(column).encode()))
        batch.append(case)
        if len(batch) >= BATCH:
            Case.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Case.objects.bulk_update(batch, fields)


def decrypt(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    fields = [name for pair in COLUMNS for name in pair]
    batch = []
    for case in Case.objects.only("pk", *fields).order_by("pk").iterator(chunk_size=BATCH):
        for column, index in COLUMNS:
            token = getattr(case, column)
            if token and is_ciphertext(token):
                setattr(case, column, sm4_decrypt(token, label=_label(column), aad=_label(column).encode()))
            setattr(case, index, "")
        batch.append(case)
        if len(batch) >= BATCH:
            Case.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Case.objects.bulk_update(batch, fields)


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
