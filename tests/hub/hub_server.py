#!/usr/bin/env python3
"""A tiny Hugging Face hub on 127.0.0.1 for the model-manager tests (stdlib only).

Serves every folder ROOT/org/name as the repo org/name at one fixed commit, in the hub's URL
scheme:
  GET  /api/models/org/name/revision/REV   {"sha": COMMIT, "siblings": [{"rfilename": ...}]}
  HEAD/GET /org/name/resolve/REV/FILE      small files: 200 with ETag = git blob sha1;
                                           files > 100 kB ("LFS"): 302 to /_cdn/... with
                                           X-Linked-Etag = sha256, X-Linked-Size, X-Repo-Commit
  GET  /_cdn/org/name/FILE                 the bytes, with Range (206) support
Faults, read from the JSON file CONTROL (argv 2) whenever it changes (all optional; {} or no
file resets them):
  drop_after: N, drop_count: C   the next C file bodies close the connection after N bytes
  wrong_hash: true               X-Linked-Etag announces a wrong sha256
  status: 401|404|500            every repo route answers that status
  trickle: BYTES_PER_SECOND      file bodies are sent slowly
Every request is appended to the file LOG (argv 3) as "METHOD PATH RANGE".
Prints "PORT <n>" on stdout once listening. Only binds 127.0.0.1.
"""
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import socket

ROOT, CONTROL, LOGFILE = sys.argv[1], sys.argv[2], sys.argv[3]
LOCK = threading.Lock()
STATE = {}
CONTROL_MTIME = [None]
LFS_MIN = 100000


def commit_of(repo):
    return hashlib.sha1(("commit:" + repo).encode()).hexdigest()


def git_sha1(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def repo_files(repo):
    base = os.path.join(ROOT, repo)
    out = []
    for d, _, files in os.walk(base):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), base))
    return sorted(out)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self):
        with LOCK:
            with open(LOGFILE, "a") as log:
                log.write("%s %s %s\n" % (self.command, self.path, self.headers.get("Range", "")))
            try:
                mtime = os.stat(CONTROL).st_mtime_ns
            except OSError:
                mtime = None
            if mtime != CONTROL_MTIME[0]:
                CONTROL_MTIME[0] = mtime
                STATE.clear()
                if mtime is not None:
                    STATE.update(json.load(open(CONTROL)))

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, code):
        msg = {401: "Access to model is restricted", 404: "Repository not found"}.get(code, "error")
        body = json.dumps({"error": msg}).encode()
        self.send_response(code)
        self.send_header("X-Error-Message", msg)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.record()
        with LOCK:
            state = dict(STATE)
        parts = self.path.split("?")[0].split("/")
        if len(parts) >= 6 and parts[1] == "api" and parts[2] == "models":
            repo = parts[3] + "/" + parts[4]
            if state.get("status"):
                return self.fail(state["status"])
            if not os.path.isdir(os.path.join(ROOT, repo)) or parts[5] != "revision":
                return self.fail(404)
            rev = "/".join(parts[6:])
            if rev not in ("main", commit_of(repo)):
                return self.fail(404)
            return self.send_json(200, {"id": repo, "sha": commit_of(repo),
                                        "siblings": [{"rfilename": f} for f in repo_files(repo)]})
        if len(parts) >= 6 and parts[3] == "resolve":
            repo = parts[1] + "/" + parts[2]
            rev, name = parts[4], "/".join(parts[5:])
            path = os.path.join(ROOT, repo, name)
            if state.get("status"):
                return self.fail(state["status"])
            if rev not in ("main", commit_of(repo)) or not os.path.isfile(path):
                return self.fail(404)
            data = open(path, "rb").read()
            if len(data) > LFS_MIN:
                sha = hashlib.sha256(data).hexdigest()
                if state.get("wrong_hash"):
                    sha = hashlib.sha256(data + b"x").hexdigest()
                self.send_response(302)
                self.send_header("Location", "/_cdn/%s/%s?expires=1" % (repo, name))
                self.send_header("X-Linked-Etag", '"%s"' % sha)
                self.send_header("X-Linked-Size", str(len(data)))
                self.send_header("X-Repo-Commit", commit_of(repo))
                self.send_header("ETag", '"%s"' % git_sha1(open(path, "rb").read()[:100]))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"%s"' % git_sha1(data))
            self.send_header("X-Repo-Commit", commit_of(repo))
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
            return
        if len(parts) >= 5 and parts[1] == "_cdn":
            repo = parts[2] + "/" + parts[3]
            path = os.path.join(ROOT, repo, "/".join(parts[4:]))
            if not os.path.isfile(path):
                return self.fail(404)
            return self.send_file(open(path, "rb").read(), state)
        self.fail(404)

    def send_file(self, data, state):
        start = 0
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        drop = None
        with LOCK:
            if STATE.get("drop_after") is not None and STATE.get("drop_count", 1) > 0:
                drop = STATE["drop_after"]
                STATE["drop_count"] = STATE.get("drop_count", 1) - 1
        if drop is not None:
            self.wfile.write(body[:drop])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        rate = state.get("trickle")
        if rate:
            chunk = max(1, int(rate) // 10)
            for i in range(0, len(body), chunk):
                try:
                    self.wfile.write(body[i:i + chunk])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
            return
        self.wfile.write(body)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
