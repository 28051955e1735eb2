"""The hostile-input corpus (tests/hostile/cases.yaml): every case one line, its exit code, fast.

Each case runs in-process through ``ecoopt.cli.main`` and must: exit with its code; print
exactly one non-empty line on stderr (usage errors too); contain every ``expect`` substring
(case-insensitive); print no traceback; finish
within ``WALL_S``. A few run as real subprocesses too, and one test proves that no file outside
the allowed folders is opened while the whole corpus runs.

Some inputs made ecoopt hang or allocate without bound before its size limits existed, so each
case runs under a guard: an address-space limit (a runaway allocation raises MemoryError instead
of exhausting the machine) and an abort timer (a runaway loop fails the case instead of hanging
the suite). Neither changes the result of a case that behaves.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import pathlib
import re
import resource
import shutil
import signal
import site
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import pytest
import yaml

import ecoopt
from ecoopt import cli

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "hostile"
REPO = HERE.parent
MANIFEST = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))["cases"]
CASES = {c["id"]: c for c in MANIFEST}

WALL_S = 1.0  # every case, in-process, wall time
ABORT_S = 3.0  # a case still running after this is stopped and fails
HEADROOM_BYTES = 3 * 2**30  # address space a case may add before MemoryError
_REAL_OPEN = builtins.open  # the guard's own reads are not the corpus's


def test_manifest_is_well_formed():
    assert len(CASES) == len(MANIFEST), "repeated ids"
    keys = {"id", "category", "argv", "exit", "expect", "why"}
    optional = {"stream", "stdout", "absent", "setup"}
    for c in MANIFEST:
        assert keys <= c.keys() and c.keys() <= keys | optional, c["id"]
        assert c["expect"] and all(isinstance(e, str) for e in c["expect"]), c["id"]
        for token in re.findall(r"\{dir\}/([^\s\"']+)", " ".join(c["argv"])):
            if c["category"] != "cli" or "does_not_exist" not in token:
                assert (CORPUS / token).exists(), (c["id"], token)
    families = [c for c in MANIFEST if c["category"] != "cli"]
    assert len(MANIFEST) >= 75
    assert sum(c["id"].startswith(("gs_", "gpu_")) for c in families) >= 30
    assert sum(c["id"].startswith("p_") for c in families) >= 30
    assert sum(c["category"] == "cli" for c in MANIFEST) >= 18


# -- running one case ------------------------------------------------------------------------


class CaseAborted(BaseException):
    """Raised by the abort timer; a BaseException so that no ``except Exception`` swallows it."""


def _vm_bytes() -> int:
    with _REAL_OPEN("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def guard(abort_s: float = ABORT_S):
    """Address-space limit and abort timer around one case (Linux; main thread only)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_bytes() + HEADROOM_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)

    def abort(signum, frame):  # noqa: ANN001, ARG001
        raise CaseAborted(f"still running after {abort_s} s")

    old = signal.signal(signal.SIGALRM, abort)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.setitimer(signal.ITIMER_REAL, abort_s)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
    """What Python prints for a warning outside pytest: onto stderr, where the user sees it."""
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def prepare(case: dict, tmp: Path) -> list[str]:
    """Make the case's ``setup`` in ``tmp``; return its argv with {dir} and {tmp} filled in."""
    setup = case.get("setup") or {}
    for dest, src in (setup.get("copy") or {}).items():
        (tmp / dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / src, tmp / dest)
    for dest, text in (setup.get("files") or {}).items():
        (tmp / dest).parent.mkdir(parents=True, exist_ok=True)
        (tmp / dest).write_text(text)
    for link, target in (setup.get("symlink") or {}).items():
        (tmp / link).parent.mkdir(parents=True, exist_ok=True)
        (tmp / link).symlink_to(tmp / target)
    for fifo in setup.get("fifo") or []:
        (tmp / fifo).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(tmp / fifo)
    return [a.replace("{dir}", str(CORPUS)).replace("{tmp}", str(tmp)) for a in case["argv"]]


def run_in_process(argv: list[str], abort_s: float = ABORT_S) -> tuple[object, float]:
    """(exit code, or the exception that escaped main; wall seconds)."""
    t0 = time.perf_counter()
    try:
        with guard(abort_s), warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            try:
                code: object = cli.main(argv)
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
    except CaseAborted as exc:
        code = exc
    except Exception as exc:  # escaped main: the user would see a traceback
        code = exc
    return code, time.perf_counter() - t0


def _instance_files(argv: list[str]) -> list[str]:
    """The instance paths in a filled-in argv (under the corpus or a temporary folder)."""
    return [a for a in argv if a.startswith("/") and not a.startswith(("/proc", "/nonexistent"))]


def _scrub(text: str, files: list[str]) -> str:
    """``text`` without the instance files' paths and names, so that an expectation such as
    "count" is not met by the file name gs_count_huge_unpooled.yaml alone."""
    for f in sorted(files, key=len, reverse=True):
        for s in (f, Path(f).name):
            text = re.sub(re.escape(s), "<file>", text, flags=re.IGNORECASE)
    return text


def check(
    case: dict, argv: list[str], code: object, out: str, err: str, wall_s: float | None
) -> list[str]:
    """Everything wrong with one run of ``case``, in words (empty when it passes)."""
    bad = []
    if isinstance(code, BaseException):
        bad.append(f"{type(code).__name__} escaped main: {code}")
    elif code != case["exit"]:
        bad.append(f"exit {code}, expected {case['exit']}")
    if "Traceback" in err or "Traceback" in out:
        bad.append("a traceback was printed")
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if case.get("stream") == "stdout":
        text = out
        if lines:
            bad.append(f"stderr should be empty, has {len(lines)} line(s)")
    else:
        text = err
        if len(lines) != 1:
            bad.append(f"stderr has {len(lines)} non-empty lines, expected exactly 1")
    files = _instance_files(argv)
    names = {n.lower() for f in files for n in (f, Path(f).name)}
    scrubbed = _scrub(text, files).lower()
    missing = [
        e
        for e in case["expect"]
        if e.lower() not in (text.lower() if e.lower() in names else scrubbed)
    ]
    if missing:
        bad.append(f"missing {missing}")
    missing_out = [e for e in case.get("stdout") or [] if e.lower() not in out.lower()]
    if missing_out:
        bad.append(f"stdout missing {missing_out}")
    leaked = [a for a in case.get("absent") or [] if a in out or a in err]
    if leaked:
        bad.append(f"printed {leaked!r}")
    if wall_s is not None and wall_s >= WALL_S:
        bad.append(f"took {wall_s:.2f} s (limit {WALL_S} s)")
    return bad


@pytest.fixture(scope="module", autouse=True)
def _imports_done():
    """Import what the cases lazily import, so import time is not charged to the first case."""
    import ecoopt.gpushare  # noqa: F401
    import ecoopt.gpushare.simulate  # noqa: F401
    import ecoopt.partition  # noqa: F401


@pytest.mark.parametrize("case", MANIFEST, ids=[c["id"] for c in MANIFEST])
def test_case(case, tmp_path, capsys):
    argv = prepare(case, tmp_path)
    code, wall_s = run_in_process(argv)
    captured = capsys.readouterr()
    bad = check(case, argv, code, captured.out, captured.err, wall_s)
    shown = captured.err.strip()[:1500] or captured.out.strip()[-600:]
    assert not bad, f"{case['id']}: {'; '.join(bad)}\n  argv: {argv}\n  output: {shown}"


# -- a few as real subprocesses --------------------------------------------------------------

SUBPROCESS_CASES = ["gpu_memory_huge", "p_path_absolute", "c_mip_gap_5"]


def _limit_child() -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, resource.RLIM_INFINITY))


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_case_as_a_subprocess(case_id, tmp_path):
    case = CASES[case_id]
    argv = prepare(case, tmp_path)
    run = [sys.executable, "-c", "import sys; from ecoopt.cli import main; sys.exit(main())"]
    r = subprocess.run(
        [*run, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        preexec_fn=_limit_child,  # noqa: PLW1509 - no threads are started before exec
    )
    bad = check(case, argv, r.returncode, r.stdout, r.stderr, None)
    assert not bad, f"{case_id}: {'; '.join(bad)}\n  stderr: {r.stderr.strip()[:1500]}"


# -- nothing outside the allowed folders is opened -------------------------------------------


#: fixed paths that libraries read about the machine whatever the input (pandas' read_csv
#: asks the cgroup for its CPU quota)
SYSTEM_READS = ("/sys/fs/cgroup/",)


def _roots(tmp: Path) -> list[Path]:
    """Folders the corpus may read from: the corpus, the bundled models and data, each case's
    own temporary folder, and Python's own library folders."""
    package = Path(ecoopt.__file__).resolve().parent
    roots = [CORPUS, REPO / "models", package.parent / "models", package, tmp]
    roots += [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)]
    roots += [Path(p) for p in site.getsitepackages()]
    roots += [Path(sysconfig.get_paths()[k]) for k in ("stdlib", "platstdlib", "purelib")]
    return [Path(os.path.realpath(r)) for r in roots]


def test_no_file_outside_the_allowed_folders_is_opened(tmp_path, monkeypatch, capsys):
    opened: list[tuple[str, str, bool]] = []  # (case id, real path, for writing)
    fifos: list[tuple[str, str]] = []  # FIFOs something tried to open (it would block)
    state = {"case": ""}

    def record(file, writing: bool) -> None:  # noqa: ANN001
        if isinstance(file, int):  # an already open descriptor
            return
        path = os.path.realpath(os.fsdecode(file))
        opened.append((state["case"], path, writing))
        is_fifo = False
        with contextlib.suppress(OSError):
            is_fifo = stat.S_ISFIFO(os.stat(path).st_mode)
        if is_fifo:  # opening it would block: record it and stop here
            fifos.append((state["case"], path))
            raise OSError(f"test spy: refusing to open the FIFO {path}")

    def mode_writes(mode: str) -> bool:
        return any(ch in mode for ch in "wax+")

    real_open, real_io_open, real_os_open = builtins.open, io.open, os.open
    real_path_open = pathlib.Path.open
    real_read_text, real_read_bytes = pathlib.Path.read_text, pathlib.Path.read_bytes

    def spy_open(file, mode="r", *a, **kw):  # noqa: ANN001, ANN002, ANN003
        record(file, mode_writes(mode))
        return real_open(file, mode, *a, **kw)

    def spy_io_open(file, mode="r", *a, **kw):  # noqa: ANN001, ANN002, ANN003
        record(file, mode_writes(mode))
        return real_io_open(file, mode, *a, **kw)

    def spy_os_open(path, flags, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        record(path, bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND)))
        return real_os_open(path, flags, *a, **kw)

    def spy_path_open(self, mode="r", *a, **kw):  # noqa: ANN001, ANN002, ANN003
        record(self, mode_writes(mode))
        return real_path_open(self, mode, *a, **kw)

    def spy_read_text(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        record(self, False)
        return real_read_text(self, *a, **kw)

    def spy_read_bytes(self):  # noqa: ANN001
        record(self, False)
        return real_read_bytes(self)

    def own_folder(tmp: Path) -> Path:
        return tmp / "inst" if (tmp / "inst").is_dir() else tmp

    cases_tmp = {}
    for case in MANIFEST:
        cases_tmp[case["id"]] = tmp_path / case["id"]
        cases_tmp[case["id"]].mkdir()
    argvs = {c["id"]: prepare(c, cases_tmp[c["id"]]) for c in MANIFEST}

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_io_open)
    monkeypatch.setattr(os, "open", spy_os_open)
    monkeypatch.setattr(pathlib.Path, "open", spy_path_open)
    monkeypatch.setattr(pathlib.Path, "read_text", spy_read_text)
    monkeypatch.setattr(pathlib.Path, "read_bytes", spy_read_bytes)
    try:
        for case in MANIFEST:
            state["case"] = case["id"]
            run_in_process(argvs[case["id"]], abort_s=1.5)
            capsys.readouterr()
    finally:
        monkeypatch.undo()

    # ecoopt's own scratch files (tempfile.mkstemp: the HiGHS log) may be written in the temp
    # folder, and read back by the case that wrote them; nothing else there
    scratch = os.path.realpath(tempfile.gettempdir())
    outside = []
    written: set[tuple[str, str]] = set()
    for case_id, path, writing in opened:
        argv = argvs[case_id]
        p = Path(path)
        if writing:  # only where the user asked for output (--csv), or ecoopt's scratch files
            targets = [os.path.realpath(argv[i + 1]) for i, a in enumerate(argv) if a == "--csv"]
            if path in targets:
                continue
            if path == os.devnull:  # HiGHS's banner is sent there (ecoopt.highs)
                continue
            if p.parent == Path(scratch) and p.name.startswith("ecoopt-"):
                written.add((case_id, path))
                continue
            outside.append((case_id, "write", path))
            continue
        if (case_id, path) in written or path.startswith(SYSTEM_READS):
            continue
        if p.name.startswith("__editable__.") and p.name.endswith(".__path_hook__"):
            continue  # the import system's editable-install finder, not a file ecoopt reads
        # a case's own temporary folder is allowed only where its instance lives ("inst/"):
        # a setup's "outside/" folder is outside on purpose
        if not any(p == r or p.is_relative_to(r) for r in _roots(own_folder(cases_tmp[case_id]))):
            outside.append((case_id, "read", path))
    assert opened, "the spy saw nothing: is it installed?"
    outside += [(c, "FIFO open (would block)", p) for c, p in fifos]
    assert not outside, "opened outside the allowed folders:\n" + "\n".join(
        f"  {c}: {how} {p}" for c, how, p in outside
    )
