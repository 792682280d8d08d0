"""HTTP hardening of a live `streamlit run app.py`.

* The shipped config keeps users safe: XSRF protection on, uploads capped at 25 MB, no error
  details for users, no usage stats (read from .streamlit/config.toml, and as the server runs).
* The upload endpoint ``PUT /_stcore/upload_file/{session_id}/{file_id}`` refuses a request
  without the XSRF cookie + header pair (403), even for a live session; with the pair a small
  upload is accepted (204), so the 403s are about the token and nothing else.
* An oversized upload on a valid session is refused: declared (Content-Length 30 MB -> 413 before
  any body is read) and streamed (chunked, no length, 40 MB sent 1 MB at a time -> 413 or the
  connection closed), and the server's resident memory does not grow by more than the limit.

The session id comes from a real browser session (the NewSession message on the websocket).
"""
from __future__ import annotations

import http.client
import threading
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 25
MB = 1024 * 1024


# ---------------------------------------------------------------------------- config
def test_config_keeps_the_safe_defaults():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["enableXsrfProtection"] is True
    assert cfg["server"]["maxUploadSize"] == LIMIT_MB
    assert cfg["client"]["showErrorDetails"] in ("none", False)
    assert cfg["browser"]["gatherUsageStats"] is False
    # secrets never live in the repo: .streamlit/secrets.toml is git-ignored
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    assert "secrets.toml" in ignored


# ---------------------------------------------------------------------------- helpers
def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class _PeakRss(threading.Thread):
    """Samples a process's VmRSS every 10 ms until stopped; ``peak`` in KiB."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self._stop_evt = pid, _rss_kib(pid), threading.Event()
        self.start()

    def run(self) -> None:
        while not self._stop_evt.is_set():
            try:
                self.peak = max(self.peak, _rss_kib(self.pid))
            except (OSError, AssertionError):
                return
            time.sleep(0.01)

    def stop(self) -> int:
        self._stop_evt.set()
        self.join(5)
        return self.peak


def _session(page, url: str) -> tuple[str, str]:
    """(session_id, xsrf cookie value) of a real browser session on the app."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ids: list[str] = []

    def on_ws(ws):
        def frame(payload):
            if isinstance(payload, (bytes, bytearray)):
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(bytes(payload))
                except Exception:  # noqa: BLE001 - other frames are not ours to judge
                    return
                if msg.WhichOneof("type") == "new_session" and msg.new_session.initialize.session_id:
                    ids.append(msg.new_session.initialize.session_id)
        ws.on("framereceived", frame)

    page.on("websocket", on_ws)
    page.goto(url + "/data_methods")
    page.get_by_role("heading", name="Data and methods").wait_for()
    deadline = time.monotonic() + 20
    while not ids and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert ids, "no NewSession message seen on the websocket"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert "_streamlit_xsrf" in cookies, cookies.keys()
    return ids[-1], cookies["_streamlit_xsrf"]


def _multipart(boundary: str, body: bytes, name: str = "stock.csv") -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()


def _put(port: int, path: str, body: bytes, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("PUT", path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


# ---------------------------------------------------------------------------- live server
@pytest.mark.browser
def test_upload_endpoint_refuses_missing_xsrf_and_oversized_bodies(page, fresh_server):
    port, pid = fresh_server.port, fresh_server.proc.pid
    sid, xsrf = _session(page, fresh_server.url)
    path = f"/_stcore/upload_file/{sid}/hardening-test-file"
    b = "----chokepointboundary7f3e"
    small = _multipart(b, b"material,on_hand,monthly_use\nDysprosium oxide,1,1\n")
    ctype = {"Content-Type": f"multipart/form-data; boundary={b}"}
    origin = {"Origin": fresh_server.url}

    # 1. no XSRF at all, cookie without header, header without cookie, mismatched pair -> 403
    assert _put(port, path, small, {**ctype, **origin}) == 403
    assert _put(port, path, small, {**ctype, **origin, "Cookie": f"_streamlit_xsrf={xsrf}"}) == 403
    assert _put(port, path, small, {**ctype, **origin, "X-Xsrftoken": xsrf}) == 403
    forged = "2|00000000|" + "0" * 64 + "|1700000000"
    assert _put(port, path, small, {**ctype, **origin, "X-Xsrftoken": forged,
                                    "Cookie": f"_streamlit_xsrf={xsrf}"}) == 403
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("DELETE", path, headers=origin)
    assert conn.getresponse().status == 403
    conn.close()

    ok_headers = {**ctype, **origin, "X-Xsrftoken": xsrf, "Cookie": f"_streamlit_xsrf={xsrf}"}
    # control: the same request with the token pair is accepted (the 403s were the token's)
    assert _put(port, path, small, ok_headers) == 204
    # a valid token on a session that does not exist is refused too
    assert _put(port, "/_stcore/upload_file/not-a-session/x", small, ok_headers) == 400

    # 2. declared oversized body: refused from the header, before the body is read
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest("PUT", path)
    for k, v in ok_headers.items():
        conn.putheader(k, v)
    conn.putheader("Content-Length", str(30 * MB))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()

    # 3. streamed oversized body (chunked, no Content-Length): 40 MB in 1 MB chunks, never held
    #    in memory here at once; refused with 413 or a closed connection, without a memory spike
    time.sleep(0.5)
    before = _rss_kib(pid)
    sampler = _PeakRss(pid)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("PUT", path)
    for k, v in ok_headers.items():
        conn.putheader(k, v)
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    head = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    chunk = (b"Dysprosium oxide,1,1\n" * (MB // 21 + 1))[:MB]
    sent, closed = 0, False

    def send(data: bytes) -> None:
        conn.send(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    try:
        send(head)
        for _ in range(40):
            send(chunk)
            sent += len(chunk)
        send(f"\r\n--{b}--\r\n".encode())
        conn.send(b"0\r\n\r\n")
    except OSError:
        closed = True            # the server stopped reading and closed the connection
    status = None
    try:
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        closed = True
    finally:
        conn.close()
    peak = sampler.stop()
    assert status == 413 or (closed and status is None), (status, closed, sent)
    assert sent <= 40 * MB
    growth_mb = (peak - before) / 1024
    print(f"\nstreamed oversized upload: sent {sent / MB:.0f} MB, status {status}, closed {closed}; "
          f"server RSS {before / 1024:.0f} MB -> peak {peak / 1024:.0f} MB (+{growth_mb:.1f} MB)")
    assert growth_mb < LIMIT_MB + 10, f"server RSS grew by {growth_mb:.1f} MB for a refused upload"

    # the server is alive and still serves the app
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/_stcore/health")
    assert conn.getresponse().status == 200
    conn.close()
    assert fresh_server.proc.poll() is None
