"""bench/isolation's driver: one ./devhost with devfs mounted, the drivers switched between the
host's process and processes of their own between measurements. See bench/isolation."""
import os, re, select, shutil, statistics, subprocess, sys, tempfile, time

root, out, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
secs = os.environ.get("ISO_SECONDS", "2")
count = int(os.environ.get("ISO_DD_COUNT", "20000"))
drivers = os.path.join(root, "host/launcher/target/devhost/drivers")
jar = {m: os.path.join(drivers, f) for f in os.listdir(drivers) for m in ("mem", "scull")
       if f.startswith("org.devhost.drivers." + m + "-")}
work = tempfile.mkdtemp(prefix="devhost-bench-iso-")
mount = os.path.join(work, "dev")
env = dict(os.environ, DEVHOST_NO_BUILD="1")
if os.environ.get("ISO_NO_ARCHIVE"):
    env["XDG_CACHE_HOME"] = "/proc/devhost-no-cache"  # no cache folder: children start without the class archive
# a short watchdog for faulty, whose hang the last measurement times (conf/ owner-only, as the launcher wants)
conf = os.path.join(work, "conf")
os.mkdir(conf, 0o700)
with open(os.path.join(conf, "org.devhost.supervision-faulty.cfg"), "w") as f:
    f.write("module=faulty\nwatchdog.ms=1000\n")
host = subprocess.Popen([os.path.join(root, "devhost"), "org.osgi.framework.storage=" + os.path.join(work, "cache"),
                         "devhost.deploy=" + os.path.join(work, "deploy"), "devhost.conf=" + conf,
                         "devhost.devfs.mount=" + mount], cwd=root, env=env,
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
buf = b""

def until_prompt(bound=120):
    """What the host printed up to its next prompt ("g! " at a line's start), bounded."""
    global buf
    deadline = time.time() + bound
    while True:
        i = buf.find(b"\ng! ")
        if buf.startswith(b"g! "):
            i = -1
            text, buf = b"", buf[3:]
            return text.decode()
        if i >= 0:
            text, buf = buf[:i], buf[i + 4:]
            return text.decode()
        if time.time() > deadline or host.poll() is not None:
            raise SystemExit("bench/isolation: the host did not answer; it printed:\n" + buf.decode(errors="replace"))
        r, _, _ = select.select([host.stdout], [], [], 1)
        if r:
            buf += os.read(host.stdout.fileno(), 65536)

def run(command):
    host.stdin.write((command + "\n").encode())
    host.stdin.flush()
    return until_prompt()

rows = []
try:
    until_prompt()  # the first prompt
    run("dev:rmmod faulty")  # not measured; one process less on two cores
    def switch(isolated):
        run("dev:rmmod -f scull")
        run("dev:rmmod -f mem")
        flag = "--isolated " if isolated else ""
        t0 = time.time()
        s = run("dev:insmod " + flag + jar["scull"])
        start_ms = (time.time() - t0) * 1000
        m = run("dev:insmod " + flag + jar["mem"])
        if "loaded" not in s or "loaded" not in m:
            raise SystemExit("bench/isolation: insmod failed:\n" + s + m)
        return start_ms

    def measure(rnd, mode):
        start_ms = switch(mode == "isolated")
        rows.append((rnd, mode, "start", start_ms, "ms"))
        if mode == "isolated":
            info = run("dev:modinfo scull")
            rss = re.search(r"pid (\d+), ([\d.]+) MiB resident", info)
            if rss:
                rows.append((rnd, mode, "rss", float(rss.group(2)), "MiB"))
                # proportional: the pages it shares with the host (the JVM's code, the JDK's class archive) in part
                with open("/proc/%s/smaps_rollup" % rss.group(1)) as f:
                    pss = re.search(r"^Pss:\s+(\d+) kB", f.read(), re.M)
                if pss:
                    rows.append((rnd, mode, "pss", int(pss.group(1)) / 1024.0, "MiB"))
        dd = run("dev:dd if=zero of=null bs=1 count=%d" % count)
        t = re.search(r"copied, ([\d.]+) s", dd)
        rows.append((rnd, mode, "dd1", count / float(t.group(1)), "ops/s"))
        c = subprocess.run([os.path.join(out, "fuse_client"), mount, secs], capture_output=True, text=True, check=True)
        for line in c.stdout.split():
            name, value, unit = line.split(",")
            rows.append((rnd, mode, name, float(value), unit))

    for rnd in range(rounds):
        order = ["in-process", "isolated"] if rnd % 2 == 0 else ["isolated", "in-process"]
        for mode in order:
            measure(rnd, mode)
        p = subprocess.run([os.path.join(out, "pingpong"), secs], capture_output=True, text=True, check=True)
        _, value, unit = p.stdout.strip().split(",")
        rows.append((rnd, "floor", "pingpong", float(value), unit))
    # a hang: from the watchdog's call to every client answered (the host's log, in ms), and the
    # host's CPU in the 5 s after, as a share of one core
    faulty = [os.path.join(drivers, f) for f in os.listdir(drivers) if f.startswith("org.devhost.drivers.faulty-")][0]
    stamp = re.compile(r"\[\s*([\d.]+)\] faulty: (hung: |\d+ request\(s\) waiting on process \d+ answered EIO)")
    hz = os.sysconf("SC_CLK_TCK")
    def cpu():
        with open("/proc/%d/stat" % host.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / hz
    for rnd in range(rounds):
        run("dev:rmmod -f faulty")
        if "loaded" not in run("dev:insmod --isolated " + faulty + " fault=hang"):
            raise SystemExit("bench/isolation: faulty did not load")
        client = subprocess.Popen(["head", "-c", "1", os.path.join(mount, "faulty")], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        client.wait(timeout=120)
        times = {}
        for _ in range(100):
            for m in stamp.finditer(run("dev:dmesg")):
                times["hung" if m.group(2).startswith("hung") else "answered"] = float(m.group(1))
            if len(times) == 2 and times["answered"] >= times["hung"]:
                break
            time.sleep(0.1)
        rows.append((rnd, "isolated", "hang", (times["answered"] - times["hung"]) * 1000, "ms"))
        c0 = cpu()
        time.sleep(5)
        rows.append((rnd, "isolated", "idlecpu", (cpu() - c0) / 5 * 100, "%"))
        run("dev:dmesg -c")
finally:
    try:
        host.stdin.close()
        host.wait(timeout=120)
    except Exception:
        host.kill()
    if os.path.ismount(mount):
        subprocess.run(["umount", "-l", mount])
    shutil.rmtree(work, ignore_errors=True)

with open(os.path.join(out, "results.csv"), "w") as f:
    f.write("round,mode,name,value,unit\n")
    for r in rows:
        f.write("%d,%s,%s,%.1f,%s\n" % r)

def med(mode, name):
    v = [r[3] for r in rows if r[1] == mode and r[2] == name]
    return statistics.median(v) if v else None

floor = med("floor", "pingpong")
print("bench/isolation: %d rounds, medians (bench/target/isolation/results.csv has every round)" % rounds)
print("%-9s %14s %14s %9s %14s" % ("what", "in-process", "isolated", "iso/in", "iso/floor"))
for name, unit in [("dd1", "ops/s"), ("read1", "ops/s"), ("read64k", "MB/s"), ("read1m", "MB/s"), ("ioctl", "ops/s"),
                   ("start", "ms")]:
    a, b = med("in-process", name), med("isolated", name)
    if a is None or b is None:
        continue
    rel = "%.2fx" % (b / a)
    fl = ""
    if name == "dd1" and floor:
        fl = "%.2fx" % ((b * 2) / floor)  # two round trips per dd op when isolated
    print("%-9s %11.0f %-2s %11.0f %-2s %9s %14s" % (name, a, unit[:2], b, unit[:2], rel, fl))
print("%-9s %14s %11.1f MiB" % ("rss", "", med("isolated", "rss") or 0))
print("%-9s %14s %11.1f MiB" % ("pss", "", med("isolated", "pss") or 0))
print("%-9s %14s %11.1f ms (a hang: the watchdog's call to every client answered)" % ("hang", "", med("isolated", "hang") or 0))
print("%-9s %14s %11.1f %% of a core (the host, the 5 s after)" % ("idlecpu", "", med("isolated", "idlecpu") or 0))
print("%-9s %11.0f ops/s (C, one byte each way over a Unix socket pair)" % ("floor", floor))
