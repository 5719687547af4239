"""Operations: environment checks (``checkenvironment``, ``/healthz``, ``/readyz``), backup and
restore of the database and the files."""
