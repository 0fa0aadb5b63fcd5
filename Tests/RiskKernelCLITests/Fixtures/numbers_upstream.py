"""A test upstream MCP server that writes numbers no double holds, byte for byte.

Every answer is written as raw JSON text (Python's json module would turn `1.10` into `1.1`), so
that a test can check that the gateway passes each number on exactly as written.

- `tools/list` lists `measure` (whose schema holds 18446744073709551615 and friends) and `hidden`.
- tool `measure` answers with the request line it received, verbatim, as a text item; with the
  same numbers in `structuredContent`; and with a (fake) GitHub token in a second text item, so that
  a policy that redacts secrets in results has to re-encode the answer.
- any other request is answered with an empty result.
"""
import json
import sys

NUMBERS = '{"max":18446744073709551615,"min":-18446744073709551616,"price":1.10,"hundred":1e2,"tiny":0.10000000000000000001,"zero":-0}'
TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0" * 2


def send(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    message = json.loads(line)
    if "id" not in message or "method" not in message:
        continue
    ident = json.dumps(message["id"])
    method = message["method"]
    if method == "initialize":
        send('{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":%s,"capabilities":{"tools":{}},'
             '"serverInfo":{"name":"numbers-upstream","version":"1"}}}' % (ident, json.dumps(message["params"]["protocolVersion"])))
    elif method == "tools/list":
        send('{"jsonrpc":"2.0","id":%s,"result":{"tools":['
             '{"name":"measure","description":"measures","annotations":{"readOnlyHint":true},"inputSchema":{"type":"object",'
             '"properties":{"n":{"type":"integer","minimum":-18446744073709551616,"maximum":18446744073709551615,'
             '"multipleOf":1.0,"default":1e2,"examples":[0.10000000000000000001,1.10,-0]}}}},'
             '{"name":"hidden","description":"not allowed","inputSchema":{"type":"object"}}]}}' % ident)
    elif method == "tools/call":
        send('{"jsonrpc":"2.0","id":%s,"result":{"content":[{"type":"text","text":%s},{"type":"text","text":"token %s"}],'
             '"structuredContent":%s}}' % (ident, json.dumps(line), TOKEN, NUMBERS))
    else:
        send('{"jsonrpc":"2.0","id":%s,"result":{}}' % ident)
