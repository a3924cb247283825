"""ASGI entry point used by ``mamori serve`` and ``mamori demo``: Django, behind the fast
withdrawal check of :mod:`mamori.custody.fastpath.gateway`, every body bounded first
(:mod:`mamori.core.limits`)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
django_application = get_asgi_application()

from mamori.core.limits import BodyLimit  # noqa: E402 - needs Django set up first
from mamori.custody.fastpath.gateway import Gateway  # noqa: E402

application = BodyLimit(Gateway(django_application))
