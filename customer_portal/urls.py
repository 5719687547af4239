"""The customer portal under /customer/ (namespace ``customer``).

Sign-in, password reset, registration and preferences are here; the ticket pages (and the
portal's root, which leads to them) come from ``customer_portal.ticket_urls``.
"""

from django.urls import include, path

from .views import accounts, configitems

app_name = "customer"

urlpatterns = [
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("login/code/", accounts.login_code, name="login_code"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/done/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("register/", accounts.register, name="register"),
    path("register/sent/", accounts.register_sent, name="register_sent"),
    path(
        "register/confirm/<uidb64>/<token>/",
        accounts.register_confirm,
        name="register_confirm",
    ),
    path("preferences/", accounts.preferences, name="preferences"),
    path("preferences/two-factor/", accounts.two_factor, name="two_factor"),
    path(
        "preferences/sign-out-elsewhere/",
        accounts.sign_out_elsewhere,
        name="sign_out_elsewhere",
    ),
    path("password/", accounts.password_change, name="password_change"),
    path("faq/", include("customer_portal.faq_urls")),
    path("configuration-items/", configitems.index, name="configitems"),
    path("configuration-items/<int:pk>/", configitems.detail, name="configitem"),
    path("configuration-items/files/<int:file_pk>/", configitems.file, name="configitem_file"),
    path("", include("customer_portal.ticket_urls")),
]
