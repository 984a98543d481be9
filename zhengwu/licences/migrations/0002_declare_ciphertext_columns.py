# The two columns stay `text`: only the model state learns how they are encrypted
# (zhengwu.core.fields.CiphertextField), so manage.py rotate_data_key finds them. No SQL runs.

import zhengwu.core.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("licences", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name="certificate",
                name="holder_id_cipher",
                field=zhengwu.core.fields.CiphertextField(aad_field="identifier", index_field="holder_id_index",
                                                          index_label="licences.holder_id_index",
                                                          label="licences.holder_id",
                                                          verbose_name="持证主体代码（SM4 加密）"),
            ),
            migrations.AlterField(
                model_name="signingkey",
                name="private_key_cipher",
                field=zhengwu.core.fields.CiphertextField(aad_field="reference", label="licences.signing_key",
                                                          verbose_name="SM2 私钥（SM4 加密）"),
            ),
        ]),
    ]
