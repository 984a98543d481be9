from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def home(request):
    return render(request, "portal/home.html")


@login_required
def staff_home(request):
    return render(request, "portal/staff_home.html")
