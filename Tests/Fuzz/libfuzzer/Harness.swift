// A libFuzzer entry point over the code that reads untrusted bytes first: the strict JSON parser,
// JSON-RPC classification, the oversized-message id reader and line framing. Built by scripts/fuzz
// together with those source files (`swiftc -sanitize=fuzzer,address`); a crash, a sanitizer
// finding or a broken invariant (`fatalError`) stops the run and leaves the input in a file.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = try? JSONParser.parse(bytes)
    if let parsed {
        // Canonical JSON reads back to itself.
        let encoded = CanonicalJSON.encode(parsed)
        guard let again = try? JSONParser.parse(encoded), CanonicalJSON.encode(again) == encoded else {
            fatalError("canonical JSON did not read back to itself")
        }
        // Numbers as written read back to the same value (and so to the same hashed form).
        let written = CanonicalJSON.encode(parsed, numbers: .asWritten)
        guard let reread = try? JSONParser.parse(written), reread == parsed, CanonicalJSON.encode(reread) == encoded else {
            fatalError("JSON with numbers as written did not read back to the same value")
        }
    }
    // RFC 8785 made from the text: the same bytes as from the parsed value, refused with it.
    if (try? RFC8785Transcoder.canonical(bytes)) != parsed.map({ RFC8785.encode($0) }) {
        fatalError("the RFC 8785 transcoder and the parser disagree")
    }
    switch JSONRPC.classify(bytes) {
    case .failure(let rejection):
        if (parsed == nil) != (rejection.code == JSONRPCErrorCode.parseError) { fatalError("parse errors and rejections disagree") }
    case .success(let (_, value)):
        if parsed != value { fatalError("classification read another value than the parser") }
    }
    _ = JSONRPC.leadingId(in: Array(bytes.prefix(LineSplitter.headBytes)))
    var splitter = LineSplitter(maxLineBytes: 64)
    var total = 0
    bytes.withUnsafeBufferPointer { buffer in
        splitter.feed(buffer) { event in
            switch event {
            case .line(let line): total += line.count
            case .oversized(let count, _, _): total += count
            }
        }
    }
    splitter.finish { _ in }
    if total > size { fatalError("framing produced more bytes than it was given") }
    return 0
}
