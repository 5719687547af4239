# Mail accounts' ``oauth_error`` holds only the provider's own words since the token error
# became one sentence in the reader's language (``MailAccount.oauth_error_text``). Rows
# written before may hold a translated sentence (English or German, the worker's language):
# "no refresh token is stored" is cleared (the account shows its own sentence for that), a
# sentence around the provider's words is stripped to those words. Any other value is the
# provider's words already and stays. The sentences are frozen here as they were written.

import re

from django.db import migrations

# Cleared: the state "needs reconnecting" without words shows the no-refresh-token sentence.
_CLEARED = (
    "no refresh token is stored; connect the account",
    "es ist kein Refresh-Token gespeichert; verbinden Sie das Konto",
)
# Stripped to what %(words)s stood for.
_WRAPPERS = (
    "the token endpoint did not answer in time or could not be reached (%(words)s)",
    "der Token-Endpunkt hat nicht rechtzeitig geantwortet oder war nicht erreichbar (%(words)s)",
    "The OAuth2 token can no longer be refreshed (%(words)s): connect the account again.",
    "Das OAuth2-Token kann nicht mehr erneuert werden (%(words)s): Verbinden Sie das Konto neu.",
    "Refreshing the access token failed: %(words)s",
    "Das Erneuern des Zugriffstokens ist fehlgeschlagen: %(words)s",
    "The token endpoint could not be reached: %(words)s",
    "Der Token-Endpunkt war nicht erreichbar: %(words)s",
)


def _pattern(template: str) -> re.Pattern:
    before, after = template.split("%(words)s")
    return re.compile(re.escape(before) + r"(?P<words>.+)" + re.escape(after) + r"\Z", re.S)


def provider_words(stored: str) -> str:
    """``stored`` without the translated sentence around the provider's words ("" when it
    held no words of theirs)."""
    text = stored.strip()
    # A sentence may have been wrapped in another (the reconnect sentence around a refusal).
    for _round in range(3):
        if text in _CLEARED:
            return ""
        for template in _WRAPPERS:
            match = _pattern(template).match(text)
            if match:
                text = match.group("words").strip()
                break
        else:
            return text
    return text


def forwards(apps, schema_editor):
    MailAccount = apps.get_model("mail", "MailAccount")
    for pk, stored in MailAccount.objects.exclude(oauth_error="").values_list("pk", "oauth_error"):
        words = provider_words(stored)
        if words != stored:
            MailAccount.objects.filter(pk=pk).update(oauth_error=words)


class Migration(migrations.Migration):
    dependencies = [("mail", "0008_account_error_codes")]

    # Backwards nothing: the provider's words are what the older code stored as well.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
