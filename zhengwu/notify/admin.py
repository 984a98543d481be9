from django.contrib import admin

from zhengwu.notify.models import Delivery


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "channel", "template", "recipient_masked", "outcome")
    list_filter = ("channel", "outcome")
    readonly_fields = [f.name for f in Delivery._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
