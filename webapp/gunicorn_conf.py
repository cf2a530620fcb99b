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
