"""The record format Go and Python exchange, in one place: record layouts, record kinds,
content-type codes, route flags and method codes.

Every number here has a twin on the Go side (libbolt/bridge and the route config it reads);
docs/bridge.md describes the format. A change to the format is a change to this file (and
its Go twin) only: every other module imports these names.

Nothing here imports anything else of django_bolt, nor cffi: it is safe to import anywhere.
"""

from __future__ import annotations

import struct

#: The version of the C ABI and of every layout below. Go's twin is bridge.ABIVersion; Python
#: refuses to load a library whose version differs, so bump both with any layout change.
ABI_VERSION = 7

# ---- record layouts ------------------------------------------------------------------------

#: A request record's fixed part (Go -> Python, bridge RequestHeaderSize = 40 bytes):
#: id u64 | kind u8 | method u8 | route u16 | flags u16 | record_flags u16 |
#: path_len u32 | params_len u32 | query_len u32 | headers_len u32 | body_len u32 | extra_len u32,
#: followed by the path, params, query, headers, body and extra sections in that order.
REQ_HEADER = struct.Struct("<QBBHHHIIIIII")
#: A response record's fixed part (Python -> Go, bridge ResponseHeaderSize = 24 bytes):
#: id u64 | kind u8 | content_type u8 | status u16 | headers_len u32 | body_len u32 | reserved u32,
#: followed by the header block (``name\0value\0`` repeated) and the body.
RESP_HEADER = struct.Struct("<QBBHIII")

#: record_flags of a request record: the body is not in the batch (it is bigger than
#: bridge.BodyApartMin); Python copies it out with ``bolt_read_body``. The only record flag.
RECORD_BODY_APART = 1

# ---- record kinds --------------------------------------------------------------------------
# Request and response records number their kinds separately (bridge Kind* constants).

#: Go -> Python: a request for a route handler.
KIND_REQUEST = 1
#: Go -> Python: stop working on this request id (timeout, shutdown, client gone).
KIND_CANCEL = 2
#: Go -> Python: a streamed reply may send ``flags`` more chunks.
KIND_CREDIT = 3

#: Python -> Go: a complete response.
KIND_RESPONSE = 1
#: Python -> Go: the body is the absolute path of a file that Go sends.
KIND_FILE = 2
#: Python -> Go: status, content type and headers of a streamed reply (empty body).
KIND_STREAM_START = 3
#: Python -> Go: the next piece of a streamed body.
KIND_CHUNK = 4
#: Python -> Go: the streamed body is complete; its status field is STREAM_OK or STREAM_FAILED.
KIND_STREAM_END = 5
STREAM_OK, STREAM_FAILED = 0, 1

#: bridge.StreamWindow: chunks a stream may have in flight before it needs credits.
STREAM_WINDOW = 16

# ---- WebSocket record kinds (bridge/record.go, docs/websockets.md) --------------------------
# A WebSocket connection keeps its request id for as long as it is open.

#: Go -> Python: a request record for a WebSocket route, before the handshake.
KIND_WS_OPEN = 4
#: Go -> Python: a message; ``flags`` is the opcode (WS_TEXT, WS_BINARY), the body the payload.
KIND_WS_MESSAGE = 5
#: Go -> Python: the connection ended; ``flags`` is the close code, the body the reason.
KIND_WS_CLOSED = 6
#: Python -> Go: complete the handshake; headers: extra handshake headers, body: subprotocol.
KIND_WS_ACCEPT = 6
#: Python -> Go: one message; content_type is the opcode. Spends a send credit (KIND_CREDIT
#: records give them back).
KIND_WS_SEND = 7
#: Python -> Go: close; status is the code, body the reason.
KIND_WS_CLOSE = 8
#: Python -> Go: the handler consumed ``status`` messages; Go may read that many more.
KIND_WS_ACK = 9
#: Python -> Go: join / leave the group named by the body.
KIND_WS_JOIN, KIND_WS_LEAVE = 10, 11
#: Python -> Go: send the body to every member of the group named by the header block;
#: content_type is the opcode; id 0.
KIND_WS_BROADCAST = 12
#: Opcodes of message records.
WS_TEXT, WS_BINARY = 1, 2
#: bridge.SocketWindow: sends in flight before a credit is needed, and messages Go reads
#: ahead of the handler before it waits for an ack.
SOCKET_WINDOW = 16

# ---- content-type codes (response records' content_type byte) ------------------------------

CT_NONE, CT_JSON, CT_TEXT, CT_BYTES, CT_HTML = 0, 1, 2, 3, 4
#: The media type each code stands for (Go's contentTypes table); CT_NONE: a content-type
#: header, if any, travels in the header block instead.
CONTENT_TYPES = {
    CT_JSON: "application/json",
    CT_TEXT: "text/plain; charset=utf-8",
    CT_BYTES: "application/octet-stream",
    CT_HTML: "text/html; charset=utf-8",
}
#: Never sent: marks an Encoded whose body is a file path (sent as a KIND_FILE record).
CT_FILE = 255
#: Never sent: marks an Encoded whose body is a StreamBody (a streamed reply).
CT_STREAM = 254

# ---- route flags (the "flags" of each route in the server config) -------------------------

#: Copy the request headers into the record (routes whose handler never reads them skip it).
FLAG_HEADERS = 1 << 0
#: An ASGI route: the query section is the raw query string, the extra section carries the
#: client address.
FLAG_ASGI = 1 << 1
#: Parse a multipart/form-data body into form fields and files.
FLAG_MULTIPART = 1 << 2
#: A WebSocket route: Go checks the upgrade and sends KIND_WS_OPEN.
FLAG_WEBSOCKET = 1 << 3

# ---- method codes (a request record's method byte) -----------------------------------------

#: Method names by code; code 0 is unused.
METHOD_NAMES = ("", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "QUERY")
#: Method name -> code (Go's methodCodes).
METHOD_CODES = {name: code for code, name in enumerate(METHOD_NAMES) if name}
