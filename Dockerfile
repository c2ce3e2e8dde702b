# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DEBUG=false
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    libpango-1.0-0 libpangoft2-1.0-0 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY pyproject.toml constraints.txt ./
COPY phasetransfer/__init__.py phasetransfer/__init__.py
RUN pip install --no-cache-dir -c constraints.txt -e .
COPY . .
RUN SECRET_KEY=collectstatic-only ALLOWED_HOSTS=localhost DEPLOYMENT=staging \
    python manage.py collectstatic --no-input -v0
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "phasetransfer.config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
