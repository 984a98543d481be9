from __future__ import annotations

from django import forms

from zhengwu.catalog.codes import ItemType, ServiceObject
from zhengwu.org.models import Department


class SearchForm(forms.Form):
    """The search box and its filters; any field may be empty."""

    q = forms.CharField(label="搜索办事事项", max_length=100, required=False, strip=True)
    department = forms.ModelChoiceField(label="实施部门", queryset=Department.objects.none(), required=False,
                                        empty_label="全部部门")
    item_type = forms.ChoiceField(label="事项类型", required=False,
                                  choices=[("", "全部类型"), *ItemType.choices])
    service_object = forms.ChoiceField(label="服务对象", required=False,
                                       choices=[("", "不限"), *ServiceObject.choices])
    online = forms.BooleanField(label="只看全程网办", required=False)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        department = self.fields["department"]
        if departments is not None and isinstance(department, forms.ModelChoiceField):
            department.queryset = departments

    @property
    def has_filters(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return any(data.get(k) for k in ("department", "item_type", "service_object", "online"))
