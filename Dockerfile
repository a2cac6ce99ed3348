# Optimizer Playground: a small CPU-only image that runs offline as a non-root user.
#   docker build -t optimizer-playground .
#   docker run -p 8501:8501 optimizer-playground        (then open http://localhost:8501)
# tests/test_docker.py lints this file with hadolint and runs its RUN lines, COPYs and CMD outside Docker.

# --- builder: a virtualenv with the app's pinned requirements --------------------------------------
FROM python:3.11-slim-bookworm AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
# torch alone and first, from PyTorch's CPU wheel index: PyPI's Linux torch pulls GBs of CUDA packages.
# Keep its pin equal to requirements.txt's (a test checks).
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
WORKDIR /build
COPY requirements.txt .
# The rest from PyPI; torch==2.13.0 is already satisfied by the installed 2.13.0+cpu, so nothing CUDA comes in.
# Then drop what the app never loads: torch's C++ headers (no compiler here) and test binaries, pandas' tests.
RUN /opt/venv/bin/pip install --no-cache-dir -r requirements.txt \
 && rm -rf /opt/venv/lib/python3.11/site-packages/torch/include /opt/venv/lib/python3.11/site-packages/torch/test \
    /opt/venv/lib/python3.11/site-packages/pandas/tests

# --- runtime: the same base, the venv and the app; no pip cache, no build tools ---------------------
FROM python:3.11-slim-bookworm
# MALLOC_ARENA_MAX: fewer glibc arenas for the server's threads (bench/load.py: swarm class peak 1.35 -> 1.02 GB)
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_ARENA_MAX=2
RUN groupadd --gid 10001 app \
 && useradd --uid 10001 --gid app --create-home --no-log-init app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The build context is filtered by .dockerignore (no tests, bench, .git, caches, screenshots).
COPY . .
USER 10001:10001
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=4); sys.exit(0 if r.read() == b'ok' else 1)"]
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
