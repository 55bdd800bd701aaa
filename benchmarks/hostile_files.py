"""Hostile cases against the file promises of docs/reliability.md ("Files and injection"),
through the real CLI: each case sets up a user's folder or a results folder with planted links,
runs one command, and checks that no file of the user changed and no traceback was printed.

    python benchmarks/hostile_files.py      # about a minute; prints one line per case and a count
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
MIN = ROOT / "scenarios/minimal_loop.yaml"
base = Path(tempfile.mkdtemp(prefix="ptce-hostile-"))


def snap(root):
    out = {}
    for d, dirs, files in os.walk(root, followlinks=False):
        for n in dirs + files:
            p = Path(d) / n
            if p.is_symlink():
                out[str(p)] = "L" + os.readlink(p)
            elif p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [PY, "-m", "ptce_flows.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


results = []


def case(name, setup, args, user_paths, cwd_rel="."):
    root = base / name.replace("/", "_")
    root.mkdir()
    setup(root)
    users = [root / u for u in user_paths]
    before = {
        u: snap(u) if u.is_dir() else {str(u): hashlib.sha256(u.read_bytes()).hexdigest()}
        for u in users
    }
    proc = cli(*args, cwd=root / cwd_rel)
    after = {
        u: snap(u) if u.is_dir() else {str(u): hashlib.sha256(u.read_bytes()).hexdigest()}
        for u in users
    }
    changed = [
        str(k) for k in users if {p: h for p, h in after[k].items() if p in before[k]} != before[k]
    ]
    tb = "Traceback" in proc.stderr or "internal error" in proc.stderr
    results.append((name, proc.returncode, bool(changed), tb))
    print(
        f"{name:38} exit {proc.returncode:>3}  changed={bool(changed)} traceback={tb}  {proc.stderr.strip().splitlines()[-1][:90] if proc.stderr.strip() else ''}"
    )


def userdir(root):
    w = root / "work"
    w.mkdir()
    shutil.copy(MIN, w / "my.yaml")
    (w / "notes.txt").write_text("n")
    (w / "sub").mkdir()
    (w / "sub" / "x.csv").write_text("1")


def victim(root):
    v = root / "victim"
    v.mkdir()
    for n in ("a.png", "b.svg", "c.pdf", "d.html", "map.png"):
        (v / n).write_text(n)


def results_dir(root, name="res"):
    assert cli("run", str(MIN), "--out", name, "--days", "20", "--quiet", cwd=root).returncode == 0


F = ("--days", "20", "--quiet")
case("run --out work", userdir, ["run", "work/my.yaml", "--out", "work", *F], ["work"])
case(
    "run --out work --force",
    userdir,
    ["run", "work/my.yaml", "--out", "work", "--force", *F],
    ["work"],
)
case("run --out . (user folder)", userdir, ["run", "my.yaml", "--out", ".", *F], ["work"], "work")
case(
    "run --out . --force",
    userdir,
    ["run", "my.yaml", "--out", ".", "--force", *F],
    ["work"],
    "work",
)
case(
    "run --out .. (parent of cwd)", userdir, ["run", "my.yaml", "--out", "..", *F], ["work"], "work"
)
case(
    "run --out work/sub/..", userdir, ["run", "work/my.yaml", "--out", "work/sub/..", *F], ["work"]
)
case(
    "run --out link-to-user-dir",
    lambda r: (userdir(r), os.symlink(r / "work", r / "ln")),
    ["run", "work/my.yaml", "--out", "ln", *F],
    ["work"],
)
case(
    "run --out a file",
    lambda r: userdir(r),
    ["run", "work/my.yaml", "--out", "work/notes.txt", *F],
    ["work"],
)
case(
    "run --out dangling link",
    lambda r: (userdir(r), os.symlink(r / "victim", r / "dl")),
    ["run", "work/my.yaml", "--out", "dl", *F],
    ["work"],
)
case(
    "run --out the scenario itself",
    userdir,
    ["run", "work/my.yaml", "--out", "work/my.yaml", *F],
    ["work"],
)
case(
    "compare --out work",
    userdir,
    ["compare", "work/my.yaml", "--out", "work", "--days", "10", "--quiet"],
    ["work"],
)
case(
    "sweep --out work",
    userdir,
    [
        "sweep",
        "work/my.yaml",
        "--param",
        "sites.platform.capacity_t_per_day=10,12",
        "--out",
        "work",
        "--days",
        "10",
        "--quiet",
    ],
    ["work"],
)
case(
    "compare --out work --force",
    userdir,
    ["compare", "work/my.yaml", "--out", "work", "--force", "--days", "10", "--quiet"],
    ["work"],
)


def planted_fig(root):
    userdir(root)
    victim(root)
    results_dir(root)
    (root / "res/figures").mkdir()
    os.symlink(root / "victim", root / "res/figures/en")


case(
    "report: figures/en -> victim dir",
    planted_fig,
    ["report", "res", "--formats", "png", "svg", "pdf", "html", "--dpi", "30"],
    ["victim", "work"],
)


def planted_fig2(root):
    userdir(root)
    victim(root)
    results_dir(root)
    os.symlink(root / "victim", root / "res/figures")


case("report: figures -> victim dir", planted_fig2, ["report", "res", "--dpi", "30"], ["victim"])


def dangling(root):
    victim(root)
    results_dir(root)
    os.symlink(root / "victim/new.html", root / "res/report.en.html")


case(
    "report: dangling report.en.html", dangling, ["report", "res", "--formats", "html"], ["victim"]
)


def linked_pdf(root):
    victim(root)
    results_dir(root)
    os.symlink(root / "victim/c.pdf", root / "res/report.en.pdf")


case(
    "report: report.en.pdf -> victim file",
    linked_pdf,
    ["report", "res", "--formats", "pdf", "--dpi", "30"],
    ["victim"],
)


def linked_summary(root):
    victim(root)
    results_dir(root)
    (root / "res/summary.json").unlink()
    os.symlink("/dev/zero", root / "res/summary.json")


case("report: summary.json -> /dev/zero", linked_summary, ["report", "res"], ["victim"])


def fifo(root):
    victim(root)
    results_dir(root)
    (root / "res/flows.csv").unlink()
    os.mkfifo(root / "res/flows.csv")


case("report: flows.csv is a FIFO", fifo, ["report", "res"], ["victim"])


def scen_link(root):
    victim(root)
    results_dir(root)
    (root / "res/scenario.yaml").unlink()
    os.symlink(root / "victim/a.png", root / "res/scenario.yaml")


case(
    "report: scenario.yaml -> victim", scen_link, ["report", "res", "--formats", "html"], ["victim"]
)


def rerun_link(root):
    victim(root)
    results_dir(root)
    (root / "res/flows.csv").unlink()
    os.symlink(root / "victim/a.png", root / "res/flows.csv")


case(
    "run over a results folder with a link",
    rerun_link,
    ["run", str(MIN), "--out", "res", *F],
    ["victim"],
)


def ours_with_notes(root):
    results_dir(root)
    (root / "res/notes.txt").write_text("n")
    (root / "res/mine").mkdir()
    (root / "res/mine/f").write_text("f")


case(
    "rerun keeps user files in results",
    ours_with_notes,
    ["run", str(MIN), "--out", "res", "--days", "30", "--quiet"],
    ["res/notes.txt", "res/mine"],
)
case(
    "report keeps user files in results",
    ours_with_notes,
    ["report", "res", "--formats", "svg", "--dpi", "30"],
    ["res/notes.txt", "res/mine"],
)


def fake_manifest(root):
    userdir(root)
    (root / "work/manifest.json").write_text('{"package": "something-else"}')


case(
    "folder with a foreign manifest",
    fake_manifest,
    ["run", "work/my.yaml", "--out", "work", *F],
    ["work"],
)


def ro(root):
    userdir(root)
    results_dir(root)
    os.chmod(root, 0o555)


case(
    "read-only parent (root: no effect)",
    ro,
    ["run", str(MIN), "--out", "res", "--days", "30", "--quiet"],
    ["work"],
)
os.chmod(base / "read-only parent (root: no effect)", 0o755)


def empty(root):
    (root / "x").mkdir()


case(
    "compare --out . (empty folder)",
    empty,
    ["compare", str(MIN), "--out", ".", "--days", "10", "--quiet"],
    [],
    "x",
)
case("run --out /", userdir, ["run", str(MIN), "--out", "/", *F], ["work"])
n = len(results)
lost = sum(r[2] for r in results)
tb = sum(r[3] for r in results)
print(
    f"\n{n} hostile cases, {lost} lost or changed a user file, {tb} ended in a traceback/internal error"
)
shutil.rmtree(base, ignore_errors=True)
sys.exit(1 if lost or tb else 0)
