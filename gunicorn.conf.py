"""gunicorn settings for every way the CRM is started (./run, the Dockerfile, docker-compose.yml).

Limits on what a client may send before Django sees anything; the size of a
request body is capped in Django itself (MAX_REQUEST_BODY_MB, crm.middleware).
"""

import os

# The longest URL the CRM makes is a filtered list, well under 4 KB.
limit_request_line = 4094
# Browsers send about 20 headers; a few proxies add some more.
limit_request_fields = 50
# Big enough for the session and CSRF cookies together.
limit_request_field_size = 8190
# A worker silent this long is restarted; threads keep it heartbeating during
# a slow upload, so this bounds a hung worker, not a long request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
