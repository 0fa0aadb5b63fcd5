"""Writes Tests/Fuzz/corpus (one input per file, fed to a gateway as it is) and
Tests/Fuzz/corpus-expectations.json (the responses each must get: [id, code], code null = any answer).
Run again after editing; the files are committed."""
import json, os
here = os.path.dirname(os.path.abspath(__file__))
corpus = os.path.join(here, "corpus")
os.makedirs(corpus, exist_ok=True)
PARSE, INVALID, METHOD, PARAMS = -32700, -32600, -32601, -32602
cases = {}

def req(i, method, params=None):
    m = {"jsonrpc": "2.0", "id": i, "method": method}
    if params is not None:
        m["params"] = params
    return json.dumps(m, separators=(",", ":")).encode()

def case(name, data, expected):
    cases[name] = (data, expected)

case("invalid-utf8", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xff"}}\n', [[None, PARSE]])
case("overlong-utf8", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xc0\x80"}}\n', [[None, PARSE]])
case("utf8-surrogate", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xed\xa0\x80"}}\n', [[None, PARSE]])
case("lone-surrogate-escape", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\\ud800"}}\n', [[None, PARSE]])
case("truncated-utf8-at-eof", b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\xe2\x82', [[None, PARSE]])
case("deep-nesting", b"[" * 100000 + b"\n" + b"{" * 50000 + b"\n", [[None, PARSE], [None, PARSE]])
case("deep-nesting-in-params", b'{"jsonrpc":"2.0","id":2,"method":"ping","params":{"a":' + b"[" * 200 + b"]" * 200 + b"}}\n", [[None, PARSE]])
case("huge-numbers", b'{"jsonrpc":"2.0","id":3,"method":"ping","params":{"n":1e999999}}\n'
     b'{"jsonrpc":"2.0","id":4,"method":"ping","params":{"n":-1e400}}\n'
     b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"n":123456789012345678901234567890123456789}}\n',
     [[None, PARSE], [None, PARSE], [5, None]])
case("duplicate-keys", b'{"jsonrpc":"2.0","id":4,"method":"tools/list","method":"tools/call"}\n'
     b'{"jsonrpc":"2.0","id":5,"id":6,"method":"ping"}\n'
     b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_files","name":"delete_file"}}\n'
     b'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_files","arguments":{"p":1,"\\u0070":2}}}\n',
     [[None, PARSE]] * 4)
case("batches", b"[" + req(7, "tools/call", {"name": "delete_file", "arguments": {}}) + b"]\n[]\n["
     + req(8, "ping") + b"," + req(9, "ping") + b"]\n",
     [[None, INVALID]] * 3)
case("wrong-jsonrpc", b'{"jsonrpc":"1.0","id":8,"method":"ping"}\n{"id":9,"method":"ping"}\n{"jsonrpc":2.0,"id":10,"method":"ping"}\n'
     b'{"jsonrpc":"2.0 ","id":11,"method":"ping"}\n',
     [[8, INVALID], [9, INVALID], [10, INVALID], [11, INVALID]])
case("ids-of-every-type", req("s", "ping") + b"\n" + req(11, "ping") + b"\n" + req(None, "ping") + b"\n" + req(True, "ping") + b"\n"
     + req([1], "ping") + b"\n" + req({"a": 1}, "ping") + b"\n" + req(1.5, "ping") + b"\n" + req(-9223372036854775808, "ping") + b"\n"
     + req("", "ping") + b"\n",
     [["s", None], [11, None], [None, INVALID], [None, INVALID], [None, INVALID], [None, INVALID], [None, INVALID],
      [-9223372036854775808, None], ["", None]])
case("no-newline-at-eof", req(13, "tools/call", {"name": "list_files", "arguments": {}}), [[13, None]])
case("crlf-and-blank-lines", b"\r\n\n   \n\t\r\n" + req(14, "ping") + b"\r\n" + req(15, "tools/list") + b"\r\n\r\n", [[14, None], [15, None]])
case("nul-and-garbage", b"\x00\x00\x00\n\x1b[31mhello\n\xef\xbb\xbf" + req(16, "ping") + b"\n", [[None, PARSE], [None, PARSE], [None, PARSE]])
case("not-objects", b'"tools/call"\n42\nnull\ntrue\n', [[None, INVALID]] * 4)
case("odd-casing", req(17, "Tools/Call", {"name": "delete_file"}) + b"\n" + req(18, "TOOLS/CALL", {"name": "delete_file"}) + b"\n"
     + req(19, " tools/call", {"name": "delete_file"}) + b"\n" + req(20, "tools/call\t", {"name": "delete_file"}) + b"\n",
     [[17, INVALID], [18, INVALID], [19, INVALID], [20, INVALID]])
case("tools-call-bad-params", req(21, "tools/call") + b"\n" + req(22, "tools/call", []) + b"\n" + req(23, "tools/call", {"name": ""}) + b"\n"
     + req(24, "tools/call", {"name": 5}) + b"\n" + req(25, "tools/call", {"name": "list_files", "arguments": "x"}) + b"\n"
     + req(26, "tools/call", {"name": "list_files", "arguments": [1]}) + b"\n" + req(27, "tools/call", "x") + b"\n",
     [[21, PARAMS], [22, PARAMS], [23, PARAMS], [24, PARAMS], [25, PARAMS], [26, PARAMS], [27, INVALID]])
case("riskkernel-methods-from-the-agent", req(28, "riskkernel/approve", {"id": "apr_x"}) + b"\n" + req(29, "riskkernel/policy/set", {"budget": {}}) + b"\n"
     + req(30, "RiskKernel/Approve", {"id": "apr_x"}) + b"\n" + req(31, "riskkernel/recordModelCall",
        {"provider": "openai", "model": "gpt-4o", "promptTokens": -1000000, "completionTokens": 0}) + b"\n"
     + req(32, "riskkernel/deny", {"id": "apr_x"}) + b"\n" + req(33, "riskkernel/budget/set", {"tokens": 1}) + b"\n"
     + b'{"jsonrpc":"2.0","method":"riskkernel/approve","params":{"id":"apr_x"}}\n',
     [[28, METHOD], [29, METHOD], [30, METHOD], [31, PARAMS], [32, METHOD], [33, METHOD]])
case("shapes", b'{"jsonrpc":"2.0","id":34,"method":"ping","params":"x"}\n{"jsonrpc":"2.0","id":35,"result":1,"error":{}}\n'
     b'{"jsonrpc":"2.0","id":36,"method":"ping","result":1}\n{"jsonrpc":"2.0","id":37,"method":""}\n{"jsonrpc":"2.0","id":38,"method":7}\n'
     b'{"jsonrpc":"2.0"}\n{}\n{"jsonrpc":"2.0","id":"orphan","result":{}}\n',
     [[34, INVALID], [35, INVALID], [36, INVALID], [37, INVALID], [38, INVALID], [None, INVALID], [None, INVALID]])
case("escapes-pass", req(39, "ping", {"x": "\u001b[31m\u202e\u0000"}) + b"\n" + req(40, "tools/call", {"name": "x\u001b]0;pwn\u0007", "arguments": {}}) + b"\n",
     [[39, None], [40, None]])
case("trailing-content", b'{"jsonrpc":"2.0","id":41,"method":"ping"} {}\n{"jsonrpc":"2.0","id":42,"method":"ping"},\n{"jsonrpc":"2.0","id":43,"method":"ping",}\n',
     [[None, PARSE]] * 3)
# The gateway owns the upstream-side id space: client ids equal to the ones it gives its own requests
# (and reused ids) are each answered once, with the client's id.
case("ids-equal-to-the-gateways-own", req(1, "ping") + b"\n" + req(2, "tools/list") + b"\n" + req("riskkernel-internal-1", "ping") + b"\n"
     + req(0, "tools/call", {"name": "list_files", "arguments": {}}) + b"\n" + req("1", "ping") + b"\n",
     [[1, None], [2, None], ["riskkernel-internal-1", None], [0, None], ["1", None]])
# Tasks no governed call of the run created are never served; a cancellation of a request never sent
# reaches nothing.
case("tasks-for-unknown-tasks", req(44, "tasks/result", {"taskId": "t1"}) + b"\n" + req(45, "tasks/get", {"taskId": "t1"}) + b"\n"
     + req(46, "tasks/cancel", {"taskId": "t1"}) + b"\n" + req(47, "tasks/get", {}) + b"\n"
     + b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"never-sent"}}\n' + req(48, "ping") + b"\n"
     + req(49, "Tasks/Result", {"taskId": "t1"}) + b"\n" + req(50, " tasks/list") + b"\n",
     [[44, PARAMS], [45, PARAMS], [46, PARAMS], [47, PARAMS], [48, None], [49, INVALID], [50, INVALID]])

for name in os.listdir(corpus):
    os.remove(os.path.join(corpus, name))
expectations = {}
for name, (data, expected) in sorted(cases.items()):
    with open(os.path.join(corpus, name + ".jsonl"), "wb") as f:
        f.write(data)
    expectations[name + ".jsonl"] = expected
with open(os.path.join(here, "corpus-expectations.json"), "w") as f:
    json.dump(expectations, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(cases), "cases")
