from django.apps import AppConfig


class ExtensionExampleConfig(AppConfig):
    name = "tests.extension_example"
    label = "extension_example"
    verbose_name = "Example extension"
