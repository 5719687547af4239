"""The daemon's default schedules for Celery beat.

Beat runs with django-celery-beat's DatabaseScheduler, so every recurring job is a row that
an administrator can change, pause or add in the admin (the counterpart of OTRS's cron task
settings, spec section 14). This app owns only the migrations that create the default rows;
the tasks themselves live in the domain apps (``<app>/tasks.py``).
"""
