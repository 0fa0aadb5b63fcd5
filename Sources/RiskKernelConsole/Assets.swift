import Hummingbird

/// The stylesheet and script, served from the binary (nothing is fetched from the network).
enum Assets {
    static func register(on router: Router<ConsoleRequestContext>) {
        for (path, body, type) in [("/assets/console.css", AssetSources.css, "text/css; charset=utf-8"), ("/assets/console.js", AssetSources.js, "text/javascript; charset=utf-8")] {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
    }
}
