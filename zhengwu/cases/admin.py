"""Admin for 事项办件设置 (per-item case settings); every write goes through the service.

Cases themselves have no admin: they are handled on the staff pages, through the services, and
the system administrator (三员分立) does not read applicants' personal data.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from zhengwu.accounts.admin_support import ServiceModelAdmin
from zhengwu.accounts.permissions import is_sysadmin
from zhengwu.cases.models import CaseItemPolicy
from zhengwu.cases.services import case_item_policy_set

_FIELDS = ("deemed_approval_enabled", "joint_handling", "licence_type_code", "validity_years", "note")


@admin.register(CaseItemPolicy)
class CaseItemPolicyAdmin(ServiceModelAdmin):
    change_predicate = is_sysadmin
    list_display = ("item", "deemed_approval_enabled", "joint_handling", "licence_type_code", "validity_years")
    list_filter = ("deemed_approval_enabled", "joint_handling")
    raw_id_fields = ("item",)
    fields = ("item", *_FIELDS)

    def get_readonly_fields(self, request, obj=None):
        return ("item",) if obj is not None else ()

    def service_create(self, request, data: dict[str, Any]):
        return case_item_policy_set(actor=request.user, item_id=data["item"].pk,
                                    **{name: data[name] for name in _FIELDS})

    def service_update(self, request, obj, changes: dict[str, Any]):
        values = {name: getattr(obj, name) for name in _FIELDS}
        values.update(changes)
        return case_item_policy_set(actor=request.user, item_id=obj.item_id, **values)
