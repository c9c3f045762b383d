# One image for web, worker and beat; docker-compose.yml picks the command.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=crm.settings CRM_VAR_DIR=/var/lib/crm
WORKDIR /app
# LibreOffice headless turns generated documents into PDF; DejaVu carries Cyrillic.
RUN apt-get update && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core fontconfig \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY --from=assets /app/node_modules ./node_modules
COPY . .
# collectstatic needs a key to import settings; the real one comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput -v0 \
 && useradd --system --home /var/lib/crm crm && mkdir -p /var/lib/crm && chown crm /var/lib/crm
USER crm
EXPOSE 8000
CMD ["gunicorn", "crm.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--access-logfile", "-"]
