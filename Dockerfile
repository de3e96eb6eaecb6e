# Room Desk: one image for the dashboard and the worker (the command decides which runs).
FROM python:3.11-slim
# pg_dump / pg_restore for `roomdesk backup` and `roomdesk restore` on PostgreSQL.
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        postgresql-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core ./core
COPY ui ./ui
COPY pages ./pages
COPY app.py dashboard.py ./
COPY .streamlit ./.streamlit
RUN pip install --no-cache-dir . && useradd --system --home /data roomdesk && mkdir -p /data && chown roomdesk /data
USER roomdesk
ENV ROOMDESK_DATA_DIR=/data ROOMDESK_EMBEDDED_WORKER=0 PYTHONUNBUFFERED=1
EXPOSE 8501
# The dashboard; the worker runs the same image with `roomdesk worker`.
CMD ["python", "-m", "streamlit", "run", "app.py", \
     "--server.headless", "true", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false", \
     "--server.enableXsrfProtection", "true", "--server.maxUploadSize", "50"]
