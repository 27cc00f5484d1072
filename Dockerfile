# caregraph: one image for web (gunicorn), Celery worker and Celery beat.
# Settings come from the environment: see .env.example and docker-compose.yml.
FROM python:3.11-slim

# PYTHONPATH: the source tree in /app, not the installed copy, is what runs,
# because settings find templates/ and static/ beside the code.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    CAREGRAPH_VAR_DIR=/app/var

WORKDIR /app

RUN groupadd --system --gid 10001 caregraph \
    && useradd --system --uid 10001 --gid caregraph --home-dir /app --shell /usr/sbin/nologin caregraph

# Dependencies first, in their own layer, so that a code change does not
# reinstall them: install against empty packages, then drop the project itself.
COPY pyproject.toml ./
RUN mkdir -p apps caregraph \
    && touch apps/__init__.py caregraph/__init__.py \
    && pip install . \
    && pip uninstall --yes caregraph \
    && rm -rf apps caregraph build *.egg-info

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only-not-a-secret \
        python manage.py collectstatic --noinput \
    && mkdir -p var/broker/out var/broker/processed \
    && chown -R caregraph:caregraph var

USER caregraph
EXPOSE 8000
CMD ["gunicorn", "caregraph.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
