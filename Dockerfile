# leakmap: proxy, analyser and reports in one image (see docker-compose.yml and the README).
FROM python:3.12-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 1000 leakmap
WORKDIR /app
COPY pyproject.toml README.md ./
COPY addons ./addons
COPY analyzer ./analyzer
RUN pip install '.[postgres]' && mkdir -p /app/reports && chown leakmap /app/reports

USER leakmap
# The mitmproxy CA lives in ~/.mitmproxy: keep it in a volume so phones stay trusted.
VOLUME ["/home/leakmap/.mitmproxy", "/app/reports"]
EXPOSE 8080/tcp 51820/udp
ENTRYPOINT ["leakmap"]
CMD ["--help"]
