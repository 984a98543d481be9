"""Django admin backed by the services: every admin write is a service call, so it is checked and
audited like any other write.

The service runs once as a dry run inside the form's clean() (in a savepoint that is rolled back),
so a broken business rule shows on the form as the service's own Chinese message instead of a
500 page; save_model then runs it for real.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import transaction

from zhengwu.core.errors import DomainError


class _DryRun(Exception):
    pass


class ServiceModelAdmin(admin.ModelAdmin):
    """Subclasses implement service_create / service_update and the permission predicates."""

    view_predicate = None
    change_predicate = None  # tested with (user) for add and (user, obj) for change

    # --- permissions --------------------------------------------------------------------------
    def _test(self, predicate, user, obj=None) -> bool:
        if predicate is None:
            return False
        return bool(predicate.test(user, obj) if obj is not None else predicate.test(user))

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._test(self.view_predicate, request.user) or self.has_change_permission(request, obj)

    def has_add_permission(self, request):
        return self._test(self.change_predicate, request.user)

    def has_change_permission(self, request, obj=None):
        return self._test(self.change_predicate, request.user, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    # --- writes through services ----------------------------------------------------------------
    def service_create(self, request, data: dict[str, Any]):
        raise NotImplementedError

    def service_update(self, request, obj, changes: dict[str, Any]):
        raise NotImplementedError

    def _perform(self, request, form, change: bool):
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in form.fields}
        if change:
            changes = {name: data[name] for name in form.changed_data if name in data}
            if not changes:
                return form.instance
            return self.service_update(request, form.instance, changes)
        return self.service_create(request, data)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):  # type: ignore[valid-type,misc]
            def clean(self):
                data = super().clean()
                if self.errors:
                    return data
                try:
                    with transaction.atomic():
                        model_admin._perform(request, self, change)
                        raise _DryRun
                except _DryRun:
                    pass
                except DomainError as exc:
                    field = exc.field if exc.field in self.fields else None
                    self.add_error(field, exc.message_zh)
                return data

            def _post_clean(self):
                # The service validates; model validation on a half-built instance would only
                # duplicate (and sometimes contradict) it.
                pass

        return ServiceForm

    def save_model(self, request, obj, form, change):
        result = self._perform(request, form, change)
        if result is not None and result is not obj:
            obj.__dict__.update({k: v for k, v in result.__dict__.items() if k != "_state"})
            obj._state.adding = False
            obj._state.db = result._state.db

    def save_related(self, request, form, formsets, change):
        """No many-to-many or inline data is edited here."""

    def run_action(self, request, queryset, call, done: str) -> None:
        """Apply one service to each selected row; report per row, keep going past refusals."""
        ok, failed = 0, []
        for obj in queryset:
            try:
                call(obj)
            except DomainError as exc:
                failed.append(f"{obj}：{exc.message_zh}")
            else:
                ok += 1
        if ok:
            self.message_user(request, f"{done} {ok} 项。", messages.SUCCESS)
        for line in failed:
            self.message_user(request, line, messages.ERROR)
