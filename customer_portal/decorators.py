"""The gate in front of every customer portal page."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import CustomerUser


def valid_customer_profile(user) -> CustomerUser | None:
    """The customer user behind ``user`` if that login may use the portal: an active login
    of kind customer with a valid customer user; None for anyone else."""
    if not (
        user is not None
        and user.is_authenticated
        and user.is_active
        and getattr(user, "is_customer", False)
    ):
        return None
    try:
        profile = user.customer_profile
    except ObjectDoesNotExist:
        return None
    return profile if profile.is_valid else None


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
        profile = valid_customer_profile(user)
        if profile is None:
            logout(request)
            messages.info(request, _("You have been signed out."))
            return redirect_to_login(request.get_full_path(), login_url)
        request.customer_user = profile
        return view(request, *args, **kwargs)

    return wrapper
