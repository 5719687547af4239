"""The gate in front of every customer portal page."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.access import customer_profile

# The one rule for whether a customer login counts (active, of kind customer, with a valid
# customer user) lives in customers.access; the portal's sign-in and reset forms ask it here.
valid_customer_profile = customer_profile


def customer_required(view):
    """Signed-in customers with a valid customer user only; the view finds that customer
    user as ``request.customer_user``.

    Anonymous visitors go to the portal's sign-in (and come back afterwards). An agent or the
    system user gets a refusal page in the portal's look (403): the portal never shows
    agent data, whatever flags the account has. A customer whose customer user was made
    invalid (or whose login was deactivated) while signed in is signed out on the next
    request.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        login_url = reverse("customer:login")
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url)
        if not getattr(user, "is_customer", False):
            return render(request, "customer_portal/forbidden.html", status=403)
        profile = customer_profile(user)
        if profile is None:
            logout(request)
            messages.info(request, _("You have been signed out."))
            return redirect_to_login(request.get_full_path(), login_url)
        request.customer_user = profile
        return view(request, *args, **kwargs)

    return wrapper
