# One image for the web, worker and beat processes (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core fonts-noto-core libgomp1 curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 stq02
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=stq02:stq02 . .
RUN mkdir -p /var/lib/stq02 && chown stq02:stq02 /var/lib/stq02
USER stq02
ENV STQ02_VAR_DIR=/var/lib/stq02 STATIC_ROOT=/app/staticfiles
# collectstatic needs settings but no database or secrets: it runs in the embedded mode.
RUN DEBUG=1 python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "stq02.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
