"""ASGI entry point used by ``mamori serve`` and ``mamori demo``: Django, behind the fast
withdrawal check of :mod:`mamori.custody.fastpath.gateway`, every body bounded first
(:mod:`mamori.core.limits`).

A worker process that uvicorn spawned (``--workers`` above 1) binds itself to the server
first thing (:func:`mamori.core.children.bind_to_parent`): multiprocessing does not end it
when the server dies, and it would go on answering on the server's port. It is killed, not
asked to stop: uvicorn catches SIGTERM but acts on it only once Django is loaded, seconds
later, and a worker whose server is gone has nothing left to finish."""

import multiprocessing
import os
import signal

from mamori.core import children

if multiprocessing.parent_process() is not None:  # a worker; the server has none
    children.bind_to_parent(death_signal=signal.SIGKILL)

from django.core.asgi import get_asgi_application  # a worker binds itself first

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mamori.settings")
django_application = get_asgi_application()

from mamori.core.limits import BodyLimit  # noqa: E402 - needs Django set up first
from mamori.custody.fastpath.gateway import Gateway  # noqa: E402

application = BodyLimit(Gateway(django_application))
