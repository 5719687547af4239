"""The REST API's base (``/api/v1/``): personal access tokens, authentication, permissions,
the problem-details error shape, paging, field selection and throttling.

Every domain app builds its serializers and viewsets in ``<app>/api/`` on these classes;
this package imports no domain app.
"""
