from django.apps import AppConfig


class PluginConfig(AppConfig):
    """An app installed beside the project that brings an admin module of its own."""

    name = "tests.admin_portal.plugin"
    label = "admin_plugin_example"
    verbose_name = "Admin plug-in example"
