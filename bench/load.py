"""Load benchmark: a classroom of N browser sessions on one Streamlit server, at the protocol level.

Run from the repo root, against a running server or one it starts (and stops) itself:

    python bench/load.py --url http://127.0.0.1:8501 --sessions 40 --changes 5
    python bench/load.py --start --sessions 40 --changes 5 --distinct
    python bench/load.py --start --replicas 2 --distinct      # two servers, sessions spread as by a sticky proxy

Each session does what a browser tab does on the Playground page, over the websocket `/_stcore/stream` with
Streamlit's protobufs (no browser): it connects (subprotocol "streamlit"), sends the first `rerun_script` BackMsg
(empty widget states, no page hash, and the browser's context: locale, timezone, URL), waits for that run's
`script_finished` ForwardMsg, then changes one widget at a time -- the steps box `pg.steps` first, then a run's
learning-rate select_slider `pg.runs.{k}.hp.{Opt}.lr` -- and times each change from sending its `rerun_script` to
that run's `script_finished` (every delta of the new page has arrived by then).  Between changes a student looks
at the race (`--think`).  Sessions open within `--ramp` seconds of each other: a class opening a link.

Like the browser, every rerun sends the value of every widget on the page (a widget's id is read from its delta;
a keyed widget's id ends with its key; option widgets send their formatted labels), the query string the page
last set (the app keeps its state in `?c=`: a stale one would restore an old state), the page's script hash, and
the hashes of the large ("cacheable") messages it already holds, so the server sends a reference instead of an
unchanged figure.

Two kinds of classroom:
  default     every student makes the same changes (the lecturer says "set steps to 400, now Adam's lr to 0.1"):
              the first session to ask computes a run, the others find it in `st.cache_data`.
  --distinct  every student explores alone: each session's steps value is its own and each learning rate it
              picks is new for that run, so every change is an engine cache miss (one run for an lr change,
              all four for the steps change when it is above the default 500; below, the page shows the first
              steps of the cached runs: ui/cache.py).
`--swarm` switches each session to the swarm (24 x 24 starts: a 10-17 MB trajectory) first.  `--rounds R`
repeats the classroom R times with fresh sessions (and, with --distinct, fresh values) and prints the servers'
memory after each round: with bounded caches it levels off.

Prints one `name: value unit` line per figure: page-load and rerun latency (p50/p95/max, overall and per kind of
change), errors (exceptions on the page, failed or timed-out runs, lost connections), the servers' resident memory
(process and children, sampled from /proc every 0.2 s: start, peak, end), their CPU use (per run too: less
sensitive to other load than latencies), and what else used the machine meanwhile (the 1-minute load average
before and after, other processes' CPU, hypervisor steal; this script's own CPU time is printed too).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect  # a dependency of Streamlit itself

ROOT = Path(__file__).resolve().parent.parent
MB = 1e6
KEYED_ID = re.compile(r"^\$\$ID-[0-9a-f]+-(.+)$")  # Streamlit's id of a widget with a user key ends with the key
LR_KEY = re.compile(r"^pg\.runs\.(\d+)\.hp\.[^.]+\.lr$")
STEPS_KEY = "pg.steps"
MODE_KEY = "pg.mode"
KINDS = {"mode": "switches to the swarm", "steps": "steps changes: more recompute every run, fewer cut the cached ones",
         "lr": "learning-rate changes recomputing one run"}
SHARED_STEPS = 400  # what every student types in the default classroom
LR_RANGE = (1 / 20, 5)  # learning rates a student tries: this factor range around the run's current one
CONTEXT = {"timezone": "UTC", "timezone_offset": 0, "locale": "en-US", "color_scheme": "light"}


@dataclass
class Stats:
    page_loads: list[float] = field(default_factory=list)
    reruns: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    bytes: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    alerts: int = 0


def has(message, field: str) -> bool:
    """Whether a protobuf field holds a value (always, for a field without presence)."""
    return not message.DESCRIPTOR.fields_by_name[field].has_presence or message.HasField(field)


def browser_value(kind: str, widget) -> WidgetState | None:
    """The value a browser holds for a widget as the server drew it, in the form the browser sends it back
    (as Streamlit's frontend does: option widgets by their formatted labels); None for widgets that send
    nothing until clicked (buttons, charts, uploads)."""
    state = WidgetState(id=widget.id)
    told = getattr(widget, "set_value", False)  # the server set the value (e.g. from st.session_state)
    if kind == "slider" and widget.type == widget.SELECT_SLIDER:
        labels = widget.raw_value if told and widget.raw_value else [widget.options[int(i)] for i in widget.default]
        state.string_array_value.data.extend(labels)
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if told and widget.value else widget.default)
    elif kind == "button_group":
        labels = widget.raw_values if told else [widget.options[i].content for i in widget.default]
        state.string_array_value.data.extend(labels)
    elif kind == "multiselect":
        state.string_array_value.data.extend(widget.raw_values if told else [widget.options[i] for i in widget.default])
    elif kind in ("selectbox", "radio"):
        if told and has(widget, "raw_value"):
            state.string_value = widget.raw_value
        elif has(widget, "default") and 0 <= widget.default < len(widget.options):
            state.string_value = widget.options[widget.default]
        else:
            return None
    elif kind == "number_input":
        field = "value" if told else "default"
        if not has(widget, field):
            return None
        if widget.data_type == widget.INT:
            state.int_value = int(getattr(widget, field))
        else:
            state.double_value = getattr(widget, field)
    elif kind == "checkbox":
        state.bool_value = widget.value if told else widget.default
    elif kind in ("color_picker", "text_input", "text_area"):
        field = "value" if told else "default"
        if not has(widget, field):
            return None
        state.string_value = getattr(widget, field)
    else:
        return None
    return state


class Session:
    """One browser tab: a websocket, the widgets the last run drew, the values this tab holds and has set."""

    def __init__(self, url: str, stats: Stats, timeout: float):
        parsed = urlparse(url)
        self.page_url = f"{url}/"
        self.ws_url = f"{'wss' if parsed.scheme == 'https' else 'ws'}://{parsed.netloc}{parsed.path}/_stcore/stream"
        self.stats, self.timeout = stats, timeout
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.finished: asyncio.Queue = asyncio.Queue()
        self.drawn: list[str] = []  # ids of the widgets the last run drew
        self.widgets: dict[str, object] = {}  # user key -> its widget as the last run drew it
        self.held: dict[str, WidgetState] = {}  # widget id -> the value this tab holds (as a browser keeps it)
        self.values: dict[str, WidgetState] = {}  # user key -> the value this tab set
        self.query = ""
        self.page_hash = ""
        self.cached: dict[str, int] = {}  # hash of a cacheable message -> the run it last came in
        self.run_number = 0
        self.received = 0

    async def open(self) -> None:
        origin = "{0.scheme}://{0.netloc}".format(urlparse(self.page_url))
        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], origin=origin, max_size=None,
                                open_timeout=self.timeout, ping_interval=None)
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            await asyncio.gather(self.reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                self.received += len(raw)
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._handle(msg)
        except Exception as err:  # a lost connection ends every wait with an error
            await self.finished.put(f"connection lost: {err!r}")
        else:
            await self.finished.put("connection closed by the server")

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable and msg.hash:
            self.cached[msg.hash] = self.run_number
        if kind == "ref_hash":
            self.cached[msg.ref_hash] = self.run_number
        elif kind == "new_session":  # a run starts: the widgets it draws come next
            self.page_hash = msg.new_session.page_script_hash or self.page_hash
            self.drawn.clear()
            self.widgets.clear()
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg.delta.new_element)
        elif kind == "script_finished":
            status = msg.script_finished
            if status == ForwardMsg.FINISHED_SUCCESSFULLY:
                self.finished.put_nowait(None)
            elif status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.finished.put_nowait("script finished with a compile error")
            # FINISHED_EARLY_FOR_RERUN: an st.rerun() inside the run; its next run ends the wait

    def _element(self, element) -> None:
        which = element.WhichOneof("type")
        if which == "exception":
            self.stats.errors.append(f"exception on the page: {element.exception.type}: "
                                     f"{element.exception.message[:200]}")
            return
        if which == "alert" and element.alert.format == element.alert.ERROR:
            self.stats.alerts += 1
        widget = getattr(element, which) if which else None
        if widget is None or "id" not in widget.DESCRIPTOR.fields_by_name or not widget.id:
            return
        self.drawn.append(widget.id)
        match = KEYED_ID.match(widget.id)
        if match and match.group(1) != "None":  # the id of a widget without a key ends with "-None"
            self.widgets[match.group(1)] = widget
        if widget.id not in self.held or getattr(widget, "set_value", False):
            try:
                value = browser_value(which, widget)
            except (IndexError, ValueError, AttributeError):  # a widget drawn in a way this script doesn't know
                value = None
            if value is not None:
                self.held[widget.id] = value

    def widget_states(self) -> list[WidgetState]:
        """What a browser sends with a rerun: the value of every widget on the page, ours where we set one."""
        ids = {widget.id: key for key, widget in self.widgets.items()}
        states = []
        for widget_id in dict.fromkeys(self.drawn):
            key = ids.get(widget_id)
            if key in self.values:
                states.append(WidgetState(id=widget_id))
                states[-1].MergeFrom(self.values[key])
                states[-1].id = widget_id
            elif widget_id in self.held:
                states.append(self.held[widget_id])
        return states

    async def rerun(self, first: bool = False) -> tuple[float, int]:
        """Send a rerun request as the browser does; seconds and bytes until its run finished."""
        msg = BackMsg()
        state = msg.rerun_script
        state.widget_states.SetInParent()
        if not first:
            state.query_string = self.query
            state.page_script_hash = self.page_hash
            # Like the browser's message cache: what came in the last two runs.
            state.cached_message_hashes.extend(h for h, run in self.cached.items() if run >= self.run_number - 1)
            state.widget_states.widgets.extend(self.widget_states())
        for name, value in {**CONTEXT, "url": self.page_url}.items():
            setattr(state.context_info, name, value)
        self.run_number += 1
        while not self.finished.empty():  # a late message of an earlier run
            self.finished.get_nowait()
        before = self.received
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        try:
            problem = await asyncio.wait_for(self.finished.get(), self.timeout)
        except TimeoutError:
            problem = f"no script_finished within {self.timeout:g} s"
        if problem:
            raise RuntimeError(problem)
        return time.perf_counter() - t0, self.received - before

    def set_steps(self, steps: int) -> None:
        self.values[STEPS_KEY] = WidgetState(int_value=steps)

    def lr_widgets(self) -> list[str]:
        return sorted((k for k in self.widgets if LR_KEY.match(k)), key=lambda k: int(LR_KEY.match(k).group(1)))

    def set_option(self, key: str, label: str) -> None:
        """A select_slider's or segmented_control's value: the option as the page formats it."""
        self.values[key] = WidgetState()
        self.values[key].string_array_value.data.append(label)

    def set_mode(self, mode: str) -> None:
        if MODE_KEY not in self.widgets:
            raise RuntimeError(f"no widget with key {MODE_KEY!r} on the page")
        labels = [o.content for o in self.widgets[MODE_KEY].options if o.content.lower() == mode]
        if not labels:
            raise RuntimeError(f"no {mode!r} option in {MODE_KEY!r}")
        self.set_option(MODE_KEY, labels[0])

    def current_option(self, key: str) -> str:
        """An option widget's value in this tab: the one we set, else the one the browser holds."""
        if key in self.values:
            return self.values[key].string_array_value.data[0]
        return self.held[self.widgets[key].id].string_array_value.data[0]


def lr_choices(session: Session, key: str) -> list[str]:
    """The slider's options within LR_RANGE of the run's current learning rate, the current one left out."""
    now = float(session.current_option(key))
    low, high = now * LR_RANGE[0], now * LR_RANGE[1]
    return [o for o in session.widgets[key].options if low <= float(o) <= high and float(o) != now]


def plan(index: int, sessions: int, round_: int, distinct: bool) -> tuple[int, random.Random]:
    """The steps value a session types and the random source of its learning-rate picks."""
    if not distinct:
        return SHARED_STEPS, random.Random(round_)  # everyone: the same values in the same order
    unique = round_ * sessions + index
    return 250 + (unique * 37) % 500, random.Random(f"{round_}/{index}")  # 37 and 500 coprime: no repeats


async def student(index: int, args, stats: Stats, round_: int, urls: list[str]) -> None:
    rng = random.Random(f"start {round_}/{index}")
    await asyncio.sleep(rng.uniform(0, args.ramp))
    session = Session(urls[index % len(urls)], stats, args.timeout)  # as sticky sessions spread over replicas
    try:
        await session.open()
        seconds, _ = await session.rerun(first=True)
        stats.page_loads.append(seconds)
        steps, picks = plan(index, args.sessions, round_, args.distinct)
        kinds = (["mode"] if args.swarm else []) + ["steps"] + ["lr"] * args.changes
        tried: dict[str, set] = {}
        for change, kind in enumerate(kinds[:args.changes]):
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
            if kind == "mode":
                session.set_mode("swarm")
            elif kind == "steps":
                if STEPS_KEY not in session.widgets:
                    raise RuntimeError(f"no widget with key {STEPS_KEY!r} on the page")
                session.set_steps(steps)
            else:
                keys = session.lr_widgets()
                if not keys:
                    raise RuntimeError("no learning-rate widget (key pg.runs.<k>.hp.<Opt>.lr) on the page")
                key = keys[change % len(keys)]
                choices = [o for o in lr_choices(session, key) if o not in tried.setdefault(key, set())]
                if not choices:
                    raise RuntimeError(f"no learning rate left to try on {key}")
                label = picks.choice(choices)
                tried[key].add(label)
                session.set_option(key, label)
            seconds, received = await session.rerun()
            stats.reruns[kind].append(seconds)
            stats.bytes.append(received)
    except Exception as err:
        stats.errors.append(f"session {index}: {err}")
    finally:
        await session.close()


class MemorySampler(threading.Thread):
    """Memory of server processes (with their descendants: the engine's workers), from /proc, every `period` s.

    RSS counts the pages the processes share (torch's libraries, mapped by the server and by each engine
    worker) once per process; PSS (proportional set size) splits each shared page among its processes, so the
    PSS of the whole tree is the memory the server really takes from the machine."""

    def __init__(self, pids: list[int], period: float = 0.2):
        super().__init__(daemon=True)
        self.pids, self.period = pids, period
        self.samples: list[list[float]] = []  # per sample: the RSS of each server
        self.pss_samples: list[list[float]] = []
        self.stopped = threading.Event()

    @staticmethod
    def tree(root: int) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
        pids, todo = [], [root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo += children.get(pid, [])
        return pids

    def _total(self, file: str, pattern: str) -> list[float]:
        totals = []
        for root in self.pids:
            total = 0
            for pid in self.tree(root):
                try:
                    text = Path(f"/proc/{pid}/{file}").read_text()
                except OSError:
                    continue
                match = re.search(pattern, text, re.M)
                total += int(match.group(1)) * 1024 if match else 0
            totals.append(total)
        return totals

    def rss(self) -> list[float]:
        """Bytes resident, per server (shared pages counted in every process)."""
        return self._total("status", r"^VmRSS:\s+(\d+) kB")

    def pss(self) -> list[float]:
        """Proportional set size, per server: shared pages split among the processes sharing them."""
        return self._total("smaps_rollup", r"^Pss:\s+(\d+) kB")

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in (pid for root in self.pids for pid in self.tree(root)):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def run(self) -> None:
        while not self.stopped.wait(self.period):
            self.samples.append(self.rss())
            self.pss_samples.append(self.pss())


def listening_pid(port: int) -> int | None:
    """The process that listens on a local TCP port (from /proc/net/tcp*), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(parts[9])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                link = os.readlink(f"/proc/{entry}/fd/{fd}")
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(entry)
        except OSError:
            continue
    return None


def start_server(extra: list[str], log) -> tuple[subprocess.Popen, str]:
    """`streamlit run app.py` on a free local port, its output going to the file `log`."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "MALLOC_ARENA_MAX": "2"}  # the arenas as the Dockerfile sets them
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1", *extra], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    return server, f"http://127.0.0.1:{port}"


def server_log(log) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-2000:]


def wait_healthy(url: str, server: subprocess.Popen | None, log, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
        if server is not None and server.poll() is not None:
            break
    raise SystemExit(f"no healthy Streamlit server at {url}\n{server_log(log) if server is not None else ''}")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def machine_ticks() -> tuple[float, float]:
    """Seconds of CPU the whole machine spent busy, and stolen by the hypervisor, so far (from /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields[:8]) - fields[3] - fields[4] - fields[7]  # all but idle, iowait and steal
    return busy / os.sysconf("SC_CLK_TCK"), fields[7] / os.sysconf("SC_CLK_TCK")


async def classroom(args, round_: int, urls: list[str]) -> tuple[Stats, float]:
    stats = Stats()
    t0 = time.perf_counter()
    await asyncio.gather(*(student(i, args, stats, round_, urls) for i in range(args.sessions)))
    return stats, time.perf_counter() - t0


async def warm_up(url: str, timeout: float) -> float:
    """One page load before the class: a fresh server imports torch and runs the default race first."""
    stats = Stats()
    session = Session(url, stats, timeout)
    try:
        await session.open()
        seconds, _ = await session.rerun(first=True)
    finally:
        await session.close()
    if stats.errors:
        raise SystemExit(f"the warm-up page load failed: {stats.errors[0]}")
    return seconds


def report(stats: Stats, wall: float) -> None:
    def line(name: str, seconds: list[float], target: str = "") -> None:
        if seconds:
            print(f"{name}_p50: {statistics.median(seconds):.2f} s")
            print(f"{name}_p95: {percentile(seconds, 95):.2f} s{target}")
            print(f"{name}_max: {max(seconds):.2f} s")

    reruns = [seconds for kind in KINDS for seconds in stats.reruns[kind]]
    print(f"page_loads: {len(stats.page_loads)} runs")
    line("page_load", stats.page_loads)
    print(f"reruns: {len(reruns)} reruns (" + ", ".join(f"{len(stats.reruns[kind])} {what}"
                                                        for kind, what in KINDS.items() if stats.reruns[kind]) + ")")
    line("rerun", reruns, " (target <= 3 s)")
    for kind in KINDS:
        line(f"rerun_{kind}", stats.reruns[kind])
    print(f"reruns_per_s: {len(reruns) / wall:.2f} reruns/s (over {wall:.1f} s)")
    if stats.bytes:
        print(f"received_per_rerun: {statistics.mean(stats.bytes) / MB:.3f} MB (mean)")
    print(f"errors: {len(stats.errors)} errors (target 0)")
    print(f"error_alerts: {stats.alerts} alerts (st.error shown on the page)")
    for problem in stats.errors[:10]:
        print(f"  {problem}", file=sys.stderr)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", default="http://127.0.0.1:8501",
                       help="a running server, or several comma-separated replicas: sessions go to them in turn, "
                            "as a sticky load balancer spreads browsers (default %(default)s)")
    where.add_argument("--start", action="store_true", help="start `streamlit run app.py` on a free port, stop after")
    parser.add_argument("--replicas", type=int, default=1, help="with --start: how many servers (default 1)")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="with --start: an extra `streamlit run` option, e.g. --server-arg=--runner.fastReruns=0")
    parser.add_argument("--sessions", type=int, default=40, help="concurrent sessions (default %(default)s)")
    parser.add_argument("--changes", type=int, default=5, help="widget changes per session (default %(default)s)")
    parser.add_argument("--distinct", action="store_true", help="every session's values are its own: no cache hits")
    parser.add_argument("--swarm", action="store_true", help="the first change switches to the swarm (24 x 24 "
                        "starts): the steps and learning rates then change the swarm's run")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the classroom with fresh sessions")
    parser.add_argument("--ramp", type=float, default=3.0, help="sessions open within this many seconds (default 3)")
    parser.add_argument("--think", type=float, default=5.0,
                        help="mean seconds a student looks at the race before a change (default 5; the animation "
                             "plays ~10 s)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a run counts as failed")
    parser.add_argument("--pid", type=int, action="append",
                        help="a server's process id (default: the one listening on each URL's port)")
    return parser.parse_args()


def measure(args: argparse.Namespace, urls: list[str], pids: list[int]) -> bool:
    """Warm up, run the classroom(s), print the figures; True if there were no errors."""
    sampler = MemorySampler(pids) if pids else None
    kind = ("distinct" if args.distinct else "shared") + (" swarm" if args.swarm else "")
    print(f"mode: {kind} (sessions open within {args.ramp:g} s, think {args.think:g} s between changes; "
          f"{len(urls)} server(s))")
    print(f"load_before: {loadavg()} (1-min load average; {os.cpu_count()} cores)")
    warm = [asyncio.run(warm_up(url, args.timeout)) for url in urls]
    print(f"warm_up_page_load: {max(warm):.2f} s (one page load per server before the class)")
    rss_start = sampler.rss() if sampler else None
    pss_start = sampler.pss() if sampler else None
    cpu_start = sampler.cpu_seconds() if sampler else None
    client_cpu = time.process_time()
    machine_start = machine_ticks()
    if sampler:
        sampler.start()
    everything, wall = Stats(), 0.0
    for round_ in range(args.rounds):
        stats, seconds = asyncio.run(classroom(args, round_, urls))
        wall += seconds
        everything.page_loads += stats.page_loads
        for kind in everything.reruns:
            everything.reruns[kind] += stats.reruns[kind]
        everything.bytes += stats.bytes
        everything.errors += stats.errors
        everything.alerts += stats.alerts
        if sampler and args.rounds > 1:
            print(f"server_pss_after_round_{round_ + 1}: {sum(sampler.pss()) / MB:.0f} MB "
                  f"(peak so far {max(map(sum, sampler.pss_samples), default=0) / MB:.0f}; "
                  f"RSS {sum(sampler.rss()) / MB:.0f})")
    if sampler:
        sampler.stopped.set()
        sampler.join()
    print(f"sessions: {args.sessions * args.rounds} sessions ({args.rounds} round(s) of {args.sessions}, "
          f"{args.changes} changes each)")
    report(everything, wall)
    if sampler:
        samples = [rss_start, *sampler.samples]
        cpu = sampler.cpu_seconds() - cpu_start
        runs = len(everything.page_loads) + sum(map(len, everything.reruns.values()))
        pss = [pss_start, *sampler.pss_samples]
        print(f"server_pss_start: {sum(pss_start) / MB:.0f} MB (server and engine workers)")
        print(f"server_pss_peak: {max(map(sum, pss)) / MB:.0f} MB (target <= 1500 MB)")
        print(f"server_pss_end: {sum(sampler.pss()) / MB:.0f} MB")
        print(f"server_rss_start: {sum(rss_start) / MB:.0f} MB (shared libraries counted once per process)")
        print(f"server_rss_peak: {max(map(sum, samples)) / MB:.0f} MB")
        if len(pids) > 1:
            print(f"server_pss_peak_per_replica: {max(map(max, pss)) / MB:.0f} MB (the largest of {len(pids)})")
        print(f"server_rss_end: {sum(sampler.rss()) / MB:.0f} MB")
        print(f"server_cpu: {cpu / wall:.2f} cores (mean over the class)")
        print(f"server_cpu_per_run: {cpu / max(runs, 1) * 1e3:.0f} ms (CPU time over page loads and reruns: "
              "less sensitive to other load than the latencies)")
    else:
        print("server_rss: unknown (no process listens on the port here: pass --pid)")
    client_cpu = time.process_time() - client_cpu
    busy, steal = (end - start for end, start in zip(machine_ticks(), machine_start, strict=True))
    print(f"client_cpu: {client_cpu:.1f} s (this load script, on the same machine)")
    others = max(0.0, busy - client_cpu - (sampler.cpu_seconds() - cpu_start if sampler else 0))
    print(f"other_cpu: {others / wall:.2f} cores (what else ran on the machine meanwhile; steal "
          f"{steal / wall:.2f} cores)")
    print(f"load_after: {loadavg()} (1-min load average)")
    return not everything.errors


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryFile() as log:
        servers, ok = [], False
        urls = [url.strip().rstrip("/") for url in args.url.split(",")]
        try:
            if args.start:
                servers, urls = zip(*(start_server(args.server_arg, log) for _ in range(args.replicas)), strict=True)
            for url, server in itertools.zip_longest(urls, servers):
                wait_healthy(url, server, log)
            pids = [server.pid for server in servers] or args.pid or [listening_pid(urlparse(url).port or 80)
                                                                       for url in urls]
            ok = measure(args, list(urls), [pid for pid in pids if pid])
            if not ok and servers:
                print(f"the servers' last output:\n{server_log(log)}", file=sys.stderr)
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    server.kill()
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
