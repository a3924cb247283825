"""ASGI entry point used by ``mamori serve`` and ``mamori demo``: Django, behind the fast
withdrawal check of :mod:`mamori.custody.gateway`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
django_application = get_asgi_application()

from mamori.custody.gateway import Gateway  # noqa: E402 - needs Django set up first

application = Gateway(django_application)
