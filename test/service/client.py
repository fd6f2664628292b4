"""A client that is not ours: the standard library only (urllib, json, subprocess).

Creates a key with the CLI, submits jobs with an Idempotency-Key, waits on the decision, follows
the events stream, reads the result and the budget. Exits non-zero on the first surprise.
Environment: VIDGATE_URL, VIDGATE_CLI (the command, space-separated), REDIS_URL, VIDGATE_PREFIX.
"""
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

URL = os.environ["VIDGATE_URL"]


def fail(message):
    sys.stderr.write("client.py: " + message + "\n")
    sys.exit(1)


def create_key():
    cli = os.environ["VIDGATE_CLI"].split(" ")
    args = cli + ["keys", "create", "--team", "studio-a", "--role", "submit", "--name", "python",
                  "--json", "--redis", os.environ["REDIS_URL"], "--prefix", os.environ["VIDGATE_PREFIX"]]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["key"]


def call(method, path, key, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode("utf-8")
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("Authorization", "Bearer " + key)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            return res.status, res.headers, res.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read().decode("utf-8")


def events(path, key):
    req = urllib.request.Request(URL + path)
    req.add_header("Authorization", "Bearer " + key)
    req.add_header("Accept", "text/event-stream")
    out, data = [], []
    with urllib.request.urlopen(req, timeout=60) as res:
        for raw in res:
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("data: "):
                data.append(line[6:])
            elif line == "" and data:
                out.append(json.loads("\n".join(data)))
                data = []
    return out


def main():
    key = create_key()
    job = {"id": "py-1", "team": "studio-a", "project": "trailer", "model": "kling-3.0",
           "resolution": "720p", "audio": "none", "durationSeconds": 5, "prompt": "a harbour at dawn"}
    status, _, text = call("POST", "/v1/jobs?wait=decision", key, job, {"Idempotency-Key": "py-key-1"})
    if status != 202:
        fail("submit answered %d: %s" % (status, text))
    first = json.loads(text)
    if first["decision"] is None or first["decision"]["outcome"] != "admit":
        fail("expected an admitted decision, got " + text)
    status, headers, again = call("POST", "/v1/jobs?wait=decision", key, job, {"Idempotency-Key": "py-key-1"})
    if status != 202 or json.loads(again) != first or headers.get("Idempotent-Replayed") != "true":
        fail("the same key and body should answer the first answer again: %d %s" % (status, again))
    status, _, text = call("POST", "/v1/jobs", key, dict(job, id="py-2"), {"Idempotency-Key": "py-key-1"})
    if status != 422 or json.loads(text)["error"]["code"] != "idempotency-key-reused":
        fail("the same key with another body should be 422: %d %s" % (status, text))

    states = [e["state"] for e in events(first["links"]["events"], key)]
    if not states or states[-1] != "completed":
        fail("the events should end in completed: %r" % states)

    status, _, text = call("GET", first["links"]["self"], key)
    shown = json.loads(text)
    if status != 200 or shown["state"] != "completed" or shown["actualCost"] != "0.375" or shown["result"]["videoUrl"] is None:
        fail("the result should be completed at 0.375 with a video: " + text)

    status, _, text = call("GET", "/v1/teams/studio-a/budgets", key)
    trailer = [s for s in json.loads(text)["scopes"] if s["name"] == "trailer"]
    if status != 200 or len(trailer) != 1 or trailer[0]["spent"] != "0.375":
        fail("the budget should show 0.375 spent: " + text)

    status, _, text = call("GET", "/v1/jobs/py-1", "vgk_000000000000_" + "A" * 43)
    if status != 401 or "error" not in json.loads(text):
        fail("a wrong key should be 401 in the error shape: %d %s" % (status, text))
    print("python client: ok (%s)" % " -> ".join(states))


main()
