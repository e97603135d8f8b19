#!/usr/bin/env python3
"""Stand-in for a syslog daemon in the integration tests.

Usage: syslog-listener.py SOCKET LOGFILE

Binds a unix datagram socket at SOCKET (normally /dev/log, where no daemon
runs on the test machines), appends every datagram to LOGFILE as one line,
and creates LOGFILE.ready once it listens. A stale socket nobody listens on
is replaced; a live one is never stolen: that is an error. On SIGTERM it
removes its socket and exits.
"""
import os
import signal
import socket
import stat
import sys


def fail(msg):
    sys.stderr.write("syslog-listener: %s\n" % msg)
    sys.exit(1)


def clear_stale(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(st.st_mode):
        fail("%s exists and is not a socket" % path)
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
    except ConnectionRefusedError:
        os.unlink(path)
        return
    finally:
        probe.close()
    fail("%s: a syslog daemon already listens there" % path)


def main():
    if len(sys.argv) != 3:
        fail("usage: syslog-listener.py SOCKET LOGFILE")
    path, logfile = sys.argv[1], sys.argv[2]
    clear_stale(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    os.chmod(path, 0o666)
    ino = os.lstat(path).st_ino

    def stop(signo, frame):
        try:
            if os.lstat(path).st_ino == ino:
                os.unlink(path)
        except FileNotFoundError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(logfile, "a", encoding="utf-8") as out:
        open(logfile + ".ready", "w").close()
        while True:
            data = sock.recv(65536)
            line = data.decode("utf-8", "replace").rstrip("\n")
            out.write(line.replace("\n", "\\n") + "\n")
            out.flush()


if __name__ == "__main__":
    main()
