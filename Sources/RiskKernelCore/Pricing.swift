import Foundation

/// What one model costs, in dollars per million tokens.
public struct ModelPrice: Sendable, Hashable, Codable {
    public var provider: String
    public var model: String
    /// Per million uncached prompt tokens.
    public var input: Money
    /// Per million completion tokens.
    public var output: Money
    /// Per million cached prompt tokens; the input price when the provider has no discount.
    public var cachedInput: Money
    /// Per million prompt tokens written to the provider's prompt cache; the input price when the
    /// provider charges nothing extra (Anthropic charges 1.25 times the input price for 5-minute writes).
    public var cacheWrite: Money
    /// Other names the model is known by.
    public var aliases: [String]

    public init(
        provider: String, model: String, input: Money, output: Money, cachedInput: Money? = nil, cacheWrite: Money? = nil,
        aliases: [String] = []
    ) {
        self.provider = provider
        self.model = model
        self.input = input
        self.output = output
        self.cachedInput = cachedInput ?? input
        self.cacheWrite = cacheWrite ?? input
        self.aliases = aliases
    }

    /// The exact cost of a call of `usage`, rounded half up to the micro-dollar: cache reads at
    /// ``cachedInput``, cache writes at ``cacheWrite``, the rest of the input at ``input``, and the
    /// output (reasoning included) at ``output``.
    public func cost(_ usage: ModelUsage) -> Money {
        cost(
            promptTokens: usage.inputTokens, completionTokens: usage.outputTokens, cachedPromptTokens: usage.cacheReadTokens,
            cacheWriteTokens: usage.cacheWriteTokens)
    }

    /// The exact cost of a call, rounded half up to the micro-dollar.
    ///
    /// `promptTokens` includes `cachedPromptTokens` and `cacheWriteTokens` (as OpenAI reports
    /// them); the cached part is charged at the cached price, the part written to the cache at the
    /// cache-write price, and the rest at the input price.
    public func cost(promptTokens: Int64, completionTokens: Int64, cachedPromptTokens: Int64 = 0, cacheWriteTokens: Int64 = 0) -> Money {
        let prompt = max(promptTokens, 0)
        let cached = min(max(cachedPromptTokens, 0), prompt)
        let written = min(max(cacheWriteTokens, 0), prompt - cached)
        let uncached = prompt - cached - written
        // Micro-dollars per million tokens times tokens: units of 1e-12 dollars. Each product of two
        // 64-bit numbers, and the sum of four, fits in 128 bits, so this is exact.
        let picos = Int128(uncached) * Int128(input.micros) + Int128(cached) * Int128(cachedInput.micros)
            + Int128(written) * Int128(cacheWrite.micros)
            + Int128(max(completionTokens, 0)) * Int128(output.micros)
        let (whole, remainder) = picos.quotientAndRemainder(dividingBy: 1_000_000)
        // Half a micro-dollar or more rounds away from zero.
        let micros = remainder.magnitude * 2 >= 1_000_000 ? whole + (picos < 0 ? -1 : 1) : whole
        // Beyond 64 bits a conversion would wrap (to a negative cost, say): saturate instead.
        return Money(micros: Int64(clamping: micros))
    }
}

/// A problem with a price file.
public struct PriceTableError: Error, Sendable, CustomStringConvertible {
    public var file: String?
    public var message: String
    public var description: String { [file, message].compactMap { $0 }.joined(separator: ": ") }
}

/// Model prices by provider and model, with lookups that accept provider-qualified and dated names.
public struct PriceTable: Sendable {
    public private(set) var prices: [ModelPrice]
    /// Positions in `prices` by every name (model and aliases), with and without the provider.
    private var index: [String: Int] = [:]
    /// Positions in `prices` by provider and model (not aliases): where an entry of the same
    /// provider and model is replaced. A dictionary, so that a table of thousands of models loads
    /// in linear time.
    private var positions: [String: Int] = [:]

    public init(prices: [ModelPrice]) {
        self.prices = []
        for price in prices { insert(price) }
    }

    /// The table shipped with RiskKernel (`BuiltInPrices`, compiled into the binary: it reads no file).
    public static func builtIn() throws -> PriceTable {
        try load(data: Data(BuiltInPrices.json.utf8), file: "built-in price table")
    }

    /// Reads a price file: `{"models": [{"provider", "model", "input", "output", "cachedInput"?, "cacheWrite"?, "aliases"?}]}`
    /// with prices in dollars per million tokens, as strings or numbers.
    public static func load(data: Data, file: String?) throws -> PriceTable {
        let document: JSONValue
        do {
            document = try JSONParser.parse(data)
        } catch {
            throw PriceTableError(file: file, message: "not valid JSON: \(error)")
        }
        guard let models = document["models"]?.arrayValue else {
            throw PriceTableError(file: file, message: "expected an object with a \"models\" list")
        }
        var prices: [ModelPrice] = []
        for (position, entry) in models.enumerated() {
            let where_ = "models[\(position + 1)]"
            guard case .object(let fields) = entry else { throw PriceTableError(file: file, message: "\(where_): must be an object") }
            let known: Set = ["provider", "model", "input", "output", "cachedInput", "cacheWrite", "aliases"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw PriceTableError(file: file, message: "\(where_).\(unknown): unknown field")
            }
            guard let provider = fields["provider"]?.stringValue, !provider.isEmpty else {
                throw PriceTableError(file: file, message: "\(where_).provider: required string")
            }
            guard let model = fields["model"]?.stringValue, !model.isEmpty else {
                throw PriceTableError(file: file, message: "\(where_).model: required string")
            }
            func money(_ key: String, required: Bool) throws -> Money? {
                guard let value = fields[key] else {
                    if required { throw PriceTableError(file: file, message: "\(where_).\(key): required price") }
                    return nil
                }
                let parsed: Money?
                switch value {
                case .string(let text): parsed = Money(dollars: text)
                case .integer(let whole): parsed = Money(dollars: String(whole))
                case .double(let amount): parsed = Money(dollars: amount)
                case .number(let text): parsed = Money(jsonNumber: text)
                default: parsed = nil
                }
                guard let parsed, parsed >= .zero else {
                    throw PriceTableError(file: file, message: "\(where_).\(key): must be a non-negative dollar amount")
                }
                return parsed
            }
            let aliases = try (fields["aliases"]?.arrayValue ?? []).map { alias -> String in
                guard let name = alias.stringValue else { throw PriceTableError(file: file, message: "\(where_).aliases: must be strings") }
                return name
            }
            prices.append(ModelPrice(
                provider: provider, model: model, input: try money("input", required: true)!,
                output: try money("output", required: true)!, cachedInput: try money("cachedInput", required: false),
                cacheWrite: try money("cacheWrite", required: false), aliases: aliases))
        }
        return PriceTable(prices: prices)
    }

    /// This table with every entry of `overrides` added or replacing the entry of the same provider and model.
    public func merging(_ overrides: PriceTable) -> PriceTable {
        var merged = self
        for price in overrides.prices { merged.insert(price) }
        return merged
    }

    private mutating func insert(_ price: ModelPrice) {
        let primary = Self.key(provider: price.provider, model: price.model)
        let position: Int
        if let existing = positions[primary] {
            prices[existing] = price
            position = existing
        } else {
            position = prices.count
            positions[primary] = position
            prices.append(price)
        }
        for name in [price.model] + price.aliases {
            index[Self.key(provider: price.provider, model: name)] = position
            index[Self.key(provider: nil, model: name)] = position
        }
    }

    private static func key(provider: String?, model: String) -> String {
        "\(provider?.lowercased() ?? "*")|\(model.lowercased())"
    }

    /// The price of `model` from `provider`, or `nil` when unknown.
    ///
    /// Accepts `anthropic/claude-sonnet-4-5`, `gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`,
    /// `gemini-2.5-pro@001`; the provider is matched case-insensitively and may be empty.
    public func price(provider: String?, model: String) -> ModelPrice? {
        let provider = provider.flatMap { $0.isEmpty ? nil : $0 }
        // A name as the table lists it (lower case, no spaces) is its own first candidate: it is
        // looked up before the other forms are made, which most calls never need.
        if Self.isListedForm(model), let price = price(provider: provider, candidate: model) { return price }
        for candidate in Self.candidateNames(model) {
            if let price = price(provider: provider, candidate: candidate) { return price }
        }
        return nil
    }

    /// The entry for one candidate name: listed under `provider`, or listed without a provider and
    /// of a provider that matches.
    private func price(provider: String?, candidate: String) -> ModelPrice? {
        if let provider, let position = index[Self.key(provider: provider, model: candidate)] { return prices[position] }
        if let position = index[Self.key(provider: nil, model: candidate)] {
            let price = prices[position]
            if provider == nil || Self.providerMatches(provider!, price.provider) { return price }
        }
        return nil
    }

    /// Whether `model` is printable ASCII without spaces or capitals, so that it is the first of
    /// its ``candidateNames(_:)``.
    static func isListedForm(_ model: String) -> Bool {
        !model.isEmpty && model.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }

    static func providerMatches(_ given: String, _ listed: String) -> Bool {
        let aliases: [String: String] = ["google": "gemini", "vertex": "gemini", "vertex_ai": "gemini", "mistralai": "mistral", "azure": "openai"]
        let normalise = { (name: String) in aliases[name.lowercased()] ?? name.lowercased() }
        return normalise(given) == normalise(listed)
    }

    /// The names to try for `model`: as given, without a `provider/` prefix, without a version or date suffix.
    static func candidateNames(_ model: String) -> [String] {
        var names: [String] = []
        func add(_ name: String) { if !name.isEmpty, !names.contains(name) { names.append(name) } }
        let trimmed = model.trimmingCharacters(in: .whitespaces).lowercased()
        add(trimmed)
        let unqualified = trimmed.split(separator: "/").last.map(String.init) ?? trimmed
        add(unqualified)
        for name in [trimmed, unqualified] {
            let undated = stripVersionSuffix(name)
            add(undated)
        }
        return names
    }

    /// Removes `@anything`, `-YYYY-MM-DD`, `-YYYYMMDD`, `-MMDD` or `-latest` from the end.
    static func stripVersionSuffix(_ name: String) -> String {
        var name = name
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        let parts = name.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        func isDigits(_ text: String, _ count: Int) -> Bool { text.count == count && text.allSatisfy(\.isNumber) }
        if parts.count > 3, isDigits(parts[parts.count - 3], 4), isDigits(parts[parts.count - 2], 2), isDigits(parts[parts.count - 1], 2) {
            return parts.dropLast(3).joined(separator: "-")
        }
        if parts.count > 1, let last = parts.last, isDigits(last, 8) || isDigits(last, 4) || last == "latest" {
            return parts.dropLast().joined(separator: "-")
        }
        return name
    }
}
