"""ASGI entry point used by ``mamori serve`` and ``mamori demo``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
application = get_asgi_application()
