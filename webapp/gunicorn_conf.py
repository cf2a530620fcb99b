"""gunicorn settings for scripts/serve-production, all from the environment.

The access log leaves out the query string (entry URLs carry recruiting ids) and the
client's address (IPs stay out of the logs).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WORKERS") or 2)
threads = int(os.environ.get("THREADS") or 4)
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("SCL_ACCESS_LOG", "-")
access_log_format = '"%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("SCL_LOG_LEVEL", "info")
forwarded_allow_ips = "*" if int(os.environ.get("SCL_TRUSTED_PROXIES") or 0) else "127.0.0.1"


def post_worker_init(worker):
    """Once the app is loaded: compile its templates and read its catalogues, then freeze what is loaded.

    Both would otherwise happen inside the first participants' requests (measured with py-spy:
    8 % of a new worker's first half-minute under load). gc.freeze moves the loaded libraries,
    templates and catalogues out of the collector's generations, so a full collection no longer
    walks them all again.
    """
    import gc

    app = worker.wsgi
    if "babel" in getattr(app, "extensions", {}):  # our app (the load benchmark's floor app is not)
        from webapp.i18n import warm_up
        warm_up(app)
    gc.collect()
    gc.freeze()
