/**
 * The Python side of the warm cwltool (pilot/wrapper/warm-cwltool.ts), kept as text so that the
 * bundled pilot carries it. No DIRAC counterpart: DIRAC's job wrapper starts the payload afresh.
 *
 * Started once per pilot as `python [-s] -c <this> <cwltool script or -c>`, it imports cwltool and
 * loads the CWL v1.0, v1.1 and v1.2 schemas (0.3 s and 0.35 s of CPU that every fresh cwltool
 * spends before its first line of work), then forks one child per payload. A child becomes what a
 * spawn of the same command would have made: its own session and process group, stdin from
 * /dev/null, std.out and std.err opened as the pilot would open them (truncated, before dropping
 * privileges), the job directory as cwd, the payload's uid and gid without supplementary groups,
 * the payload's environment (what cwltool read from it at import, TMPDIR's prefix and
 * CWLTOOL_FORCE_SHELL_POPEN, read again), sys.argv and sys.path[0] as the script would have, no
 * descriptor of the zygote's. What the interpreter itself reads at its start (PYTHON*, LANG, LC_*)
 * must be the zygote's: the pilot spawns a payload whose environment differs there. It then runs `cwltool.main.run(argv)` and exits with its
 * status after the interpreter's exit handlers, as `sys.exit(run())` does.
 *
 * The one change to cwltool: `use_standard_schema`, which every run calls to drop the schemas it
 * cached, keeps those this process loaded from the same standard files (a custom schema, as
 * `--enable-ext` asks, is still loaded afresh). Each child has its own copy of that cache.
 *
 * Protocol on fd 3 (a socket to the pilot), one JSON object per line:
 *   zygote → pilot  {"ready": true} once warm, or {"fatal": "..."} and it exits;
 *   pilot → zygote  {"id", "args", "argv0", "path0", "cwd", "env", "stdout", "stderr", "uid"?, "gid"?},
 *                   read by the child forked for it, never by the zygote (a child would find earlier
 *                   payloads' requests in the memory it was forked with); "id" comes first;
 *   zygote → pilot  {"id", "pid"} (started) or {"id", "error", "code"} (did not start: nothing runs);
 *                   {"exit": pid, "code": n | null, "signal": name | null} once that child ended.
 * The zygote ends at the end of its input (the pilot went away); children it started run on.
 */
export const zygoteSource = String.raw`
import errno, gc, json, os, select, signal, socket, sys, tempfile, traceback

CHANNEL = 3
channel = socket.socket(fileno=CHANNEL)
channel.setblocking(True)
sys.path.pop(0)  # the zygote's cwd ('' of -c); each child puts back what its command would have

def send(message):
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(CHANNEL, data):]

try:
    import cwltool.main
    import cwltool.process
    preloaded = set()
    for version in ("v1.0", "v1.1", "v1.2"):
        cwltool.process.get_schema(version)
        preloaded.add(version)
    drop_schema = cwltool.main.use_standard_schema
    def keep_preloaded(version):
        if version in preloaded and version not in cwltool.process.custom_schemas:
            return
        drop_schema(version)
    cwltool.main.use_standard_schema = keep_preloaded
    import cwltool.context
    import cwltool.job
    import cwltool.utils
    zygote_tmp_prefix = cwltool.utils.DEFAULT_TMP_PREFIX
except BaseException as error:
    send({"fatal": "%s: %s" % (type(error).__name__, error)})
    sys.exit(1)

def prctl(option, value):
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except Exception:
        pass

def open_output(path):
    # O_NONBLOCK: a FIFO planted under that name fails (ENXIO) instead of hanging the zygote.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o666)
    os.set_blocking(fd, True)
    return fd

def follow_environment():
    # What cwltool computed from the environment at import, computed again from the payload's.
    tempfile.tempdir = None
    prefix = tempfile.gettempdir() + os.path.sep
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "cwltool" and getattr(module, "DEFAULT_TMP_PREFIX", None) == zygote_tmp_prefix:
            module.DEFAULT_TMP_PREFIX = prefix
    if cwltool.context.RuntimeContext.tmpdir_prefix == zygote_tmp_prefix:
        cwltool.context.RuntimeContext.tmpdir_prefix = prefix
    cwltool.job.FORCE_SHELLED_POPEN = os.getenv("CWLTOOL_FORCE_SHELL_POPEN", "0") == "1"

def become_payload(request, status):
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()
    null = os.open("/dev/null", os.O_RDONLY)
    out = open_output(request["stdout"])
    err = open_output(request["stderr"])
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.chdir(request["cwd"])
    if "uid" in request:
        os.setgroups([])
        os.setgid(request["gid"])
        os.setuid(request["uid"])
        # Dropping root clears the dumpable flag until an exec, which this child never does:
        # /proc/self would stay root's. Its memory holds nothing a fresh cwltool's would not.
        prctl(4, 1)  # PR_SET_DUMPABLE
    # The name a spawned script would show in ps and /proc/<pid>/comm.
    prctl(15, os.path.basename(request["argv0"]).encode()[:15])  # PR_SET_NAME
    os.environ.clear()
    os.environ.update(request["env"])
    follow_environment()
    sys.argv = [request["argv0"]] + request["args"]
    sys.path.insert(0, request["path0"])
    os.close(status)
    channel.detach()
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))

def run_payload():
    code = 1
    try:
        code = cwltool.main.run(sys.argv[1:])
    except SystemExit as end:
        if end.code is None:
            code = 0
        elif isinstance(end.code, int):
            code = end.code
        else:
            print(end.code, file=sys.stderr)
    except KeyboardInterrupt:
        sys.stderr.flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
    try:
        import atexit
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code & 0xFF if isinstance(code, int) else 1)

def read_request():
    # In the child: its own request line and nothing past it. The zygote never reads a request,
    # so no child finds the environment or arguments of another payload in the memory it forked.
    line = b""
    while not line.endswith(b"\n"):
        peeked = channel.recv(1 << 20, socket.MSG_PEEK)
        if not peeked:
            raise EOFError("the pilot went away")
        end = peeked.find(b"\n")
        line += channel.recv(len(peeked) if end < 0 else end + 1)
    return json.loads(line)

def discard_request():
    # The request of a child that could not be forked, read a byte at a time (one-byte strings are
    # shared, nothing of it stays in memory) for its id: the pilot's line opens with {"id":N,
    number, index, digits = 0, 0, True
    while True:
        byte = os.read(CHANNEL, 1)
        if byte in (b"", b"\n"):
            return number
        if index >= 6 and digits:
            digits = byte.isdigit()
            if digits:
                number = number * 10 + int(byte)
        index += 1

def start():
    reader, writer = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(reader)
            request = read_request()
            os.write(writer, json.dumps({"id": request["id"]}).encode() + b"\n")
            become_payload(request, writer)
        except BaseException as error:
            code = errno.errorcode.get(getattr(error, "errno", None) or 0, "EINVAL")
            os.write(writer, json.dumps({"error": str(error), "code": code}).encode())
            os._exit(127)
        run_payload()
    os.close(writer)
    report = b""
    while True:
        chunk = os.read(reader, 65536)
        if not chunk:
            break
        report += chunk
    os.close(reader)
    started, newline, error = report.partition(b"\n")
    if not newline:
        send({"fatal": "a child ended before it read its request: %s" % error.decode(errors="replace")})
        sys.exit(1)
    if error:
        failed.add(pid)
        send(dict(json.loads(error), **json.loads(started)))
    else:
        send(dict(json.loads(started), pid=pid))

failed = set()

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in failed:
            failed.discard(pid)
            continue
        if os.WIFSIGNALED(status):
            send({"exit": pid, "code": None, "signal": signal.Signals(os.WTERMSIG(status)).name})
        else:
            send({"exit": pid, "code": os.WEXITSTATUS(status), "signal": None})

wake_reader, wake_writer = os.pipe()
os.set_blocking(wake_reader, False)
os.set_blocking(wake_writer, False)
signal.set_wakeup_fd(wake_writer)
signal.signal(signal.SIGCHLD, lambda number, frame: None)
gc.freeze()  # what is loaded stays shared with the children instead of copied on the first collection
send({"ready": True})

while True:
    readable, _, _ = select.select([CHANNEL, wake_reader], [], [])
    if wake_reader in readable:
        try:
            while os.read(wake_reader, 4096):
                pass
        except BlockingIOError:
            pass
    reap()
    if CHANNEL in readable:
        if not channel.recv(1, socket.MSG_PEEK):
            break
        try:
            start()
        except OSError as error:
            # fork or pipe refused (EAGAIN): this payload is spawned, the others run on.
            send({"id": discard_request(), "error": str(error), "code": errno.errorcode.get(error.errno, "EINVAL")})
        reap()
`;
