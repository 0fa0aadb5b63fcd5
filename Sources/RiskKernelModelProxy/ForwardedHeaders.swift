import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// Which headers cross the proxy, in each direction.
///
/// Everything passes unchanged (Authorization, `x-api-key`, `anthropic-version`, `OpenAI-Organization`,
/// rate-limit and request-id headers, unknown ones) except the hop-by-hop headers of RFC 9110
/// §7.6.1 (`Connection` and the headers it names, `Keep-Alive`, `Proxy-Connection`, `TE`,
/// `Transfer-Encoding`, `Upgrade`, `Proxy-Authorization`, `Proxy-Authenticate`, `Trailer`), `Host`
/// and `Content-Length` (each side's HTTP client sets its own), and `Accept-Encoding`, which the
/// proxy sets to `identity` so that it can read the usage in the response.
/// Header values are never stored or logged.
public enum ForwardedHeaders {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "proxy-authorization",
        "proxy-authenticate", "trailer", "host", "content-length",
    ]

    /// The names `Connection` lists, which are hop-by-hop too.
    private static func connectionNames(_ values: [String]) -> Set<String> {
        Set(values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }

    /// The client's headers as sent upstream.
    public static func upstream(_ fields: HTTPFields) -> HTTPHeaders {
        let named = connectionNames(fields[values: .connection])
        var headers = HTTPHeaders()
        for field in fields {
            let name = field.name.canonicalName
            if hopByHop.contains(name) || named.contains(name) || name == "accept-encoding" { continue }
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "accept-encoding", value: "identity")
        return headers
    }

    /// The provider's headers as returned to the client.
    public static func downstream(_ headers: HTTPHeaders) -> HTTPFields {
        let named = connectionNames(headers["connection"])
        var fields = HTTPFields()
        for (name, value) in headers {
            let lowered = name.lowercased()
            if hopByHop.contains(lowered) || named.contains(lowered) { continue }
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }
}
