# sqlmig as a container: ENTRYPOINT is `sqlmig`, migrations live in /migrations.
#   docker build -t sqlmig .
#   docker run --rm -v "$PWD/migrations:/migrations:ro" -e DATABASE_URL=postgresql://... \
#       sqlmig up --wait 60
# To ship migrations inside an image instead:  FROM sqlmig  +  COPY migrations /migrations
# tests/containers/test_image.py builds a virtual environment with this file's build-stage
# COPY and RUN lines and runs the ENTRYPOINT as a non-root user: keep them simple.

FROM python:3.12-slim AS build
RUN python -m venv /opt/sqlmig
COPY pyproject.toml README.md /src/
COPY sqlmig /src/sqlmig
RUN /opt/sqlmig/bin/pip install --no-cache-dir --disable-pip-version-check /src

FROM python:3.12-slim
COPY --from=build /opt/sqlmig /opt/sqlmig
# A fixed numeric uid, so that Kubernetes' runAsNonRoot can check it without a passwd lookup.
RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin sqlmig \
    && mkdir /migrations
ENV PATH=/opt/sqlmig/bin:$PATH \
    SQLMIG_DIR=/migrations \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
WORKDIR /home/sqlmig
# sqlmig handles SIGTERM itself (cancel the statement, roll back, release the lock, exit 143),
# also as PID 1, so no init process is needed.
ENTRYPOINT ["sqlmig"]
CMD ["--help"]
