import Foundation
import RiskKernelCore
import SeededRandom
import Synchronization
import Testing

@Suite("Pricing")
struct PricingTests {
    static let tableJSON = """
        {
          "version": 1,
          "models": [
            {"provider": "openai", "model": "gpt-4o", "input": "2.50", "output": "10.00", "cachedInput": "1.25"},
            {"provider": "openai", "model": "gpt-4o-2024-05-13", "input": "5.00", "output": "15.00"},
            {"provider": "openai", "model": "gpt-4o-mini", "input": 0.15, "output": 0.6, "cachedInput": 0.075},
            {"provider": "anthropic", "model": "claude-sonnet-4-5", "input": 3, "output": 15, "cachedInput": "0.30", "aliases": ["claude-sonnet-4.5"]},
            {"provider": "gemini", "model": "gemini-2.5-pro", "input": "1.25", "output": "10"},
            {"provider": "mistral", "model": "mistral-large-latest", "input": "2", "output": "6", "aliases": ["mistral-large"]},
            {"provider": "deepseek", "model": "deepseek-chat", "input": "0.28", "output": "0.42", "cachedInput": "0.028"}
          ]
        }
        """

    func table(_ json: String = tableJSON, file: String? = "prices.json") throws -> PriceTable {
        try PriceTable.load(data: Data(json.utf8), file: file)
    }

    func dollars(_ text: String) -> Money { Money(dollars: text)! }

    func loadError(_ json: String, file: String? = "prices.json", sourceLocation: SourceLocation = #_sourceLocation) -> PriceTableError? {
        do {
            let table = try PriceTable.load(data: Data(json.utf8), file: file)
            Issue.record("expected a PriceTableError, loaded \(table.prices.count) prices", sourceLocation: sourceLocation)
            return nil
        } catch let error as PriceTableError {
            return error
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    // MARK: Cost

    let gpt4o = ModelPrice(provider: "openai", model: "gpt-4o", input: Money(micros: 2_500_000), output: Money(micros: 10_000_000), cachedInput: Money(micros: 1_250_000))

    @Test func costChargesUncachedCachedAndCompletionTokens() {
        // 800 uncached × $2.50/M + 200 cached × $1.25/M + 500 × $10/M = 0.002 + 0.00025 + 0.005
        #expect(gpt4o.cost(promptTokens: 1000, completionTokens: 500, cachedPromptTokens: 200) == dollars("0.00725"))
        #expect(gpt4o.cost(promptTokens: 1000, completionTokens: 500) == dollars("0.0075"))
        #expect(gpt4o.cost(promptTokens: 1_000_000, completionTokens: 1_000_000) == dollars("12.50"))
        #expect(gpt4o.cost(promptTokens: 1_000_000, completionTokens: 0, cachedPromptTokens: 1_000_000) == dollars("1.25"))
    }

    /// The cost as it was first computed, in Foundation's `Decimal`: the reference that the 128-bit
    /// integer arithmetic must agree with.
    static func decimalCost(_ price: ModelPrice, prompt: Int64, completion: Int64, cached: Int64, written: Int64) -> Money {
        let prompt = max(prompt, 0)
        let cached = min(max(cached, 0), prompt)
        let written = min(max(written, 0), prompt - cached)
        let picos = Decimal(prompt - cached - written) * Decimal(price.input.micros) + Decimal(cached) * Decimal(price.cachedInput.micros)
            + Decimal(written) * Decimal(price.cacheWrite.micros) + Decimal(max(completion, 0)) * Decimal(price.output.micros)
        var micros = picos / Decimal(1_000_000)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &micros, 0, .plain)
        guard rounded <= Decimal(Int64.max) else { return Money(micros: Int64.max) }
        return Money(micros: NSDecimalNumber(decimal: rounded).int64Value)
    }

    @Test func costAgreesWithDecimalArithmetic() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        func count() -> Int64 {
            random.pick([Int64(0), 1, 3, 999_999, 1_000_000, 1_500_001]) + Int64(random.int(0...1_000_000)) * Int64(random.pick([0, 1, 1000, 1_000_000]))
        }
        func micros() -> Money { Money(micros: random.pick([Int64(0), 1, 5, 499_999, 500_000, 2_500_000, 15_000_000]) + Int64(random.int(0...999))) }
        for round in 0..<5000 {
            let price = ModelPrice(provider: "p", model: "m", input: micros(), output: micros(), cachedInput: micros(), cacheWrite: micros())
            let (prompt, completion, cached, written) = (count(), count(), count(), count())
            #expect(price.cost(promptTokens: prompt, completionTokens: completion, cachedPromptTokens: cached, cacheWriteTokens: written)
                == Self.decimalCost(price, prompt: prompt, completion: completion, cached: cached, written: written),
                "seed \(seed), round \(round): \(prompt), \(completion), \(cached), \(written) tokens at \(price)")
        }
        let dear = ModelPrice(provider: "p", model: "m", input: Money(micros: Int64.max), output: Money(micros: Int64.max))
        #expect(dear.cost(promptTokens: Int64.max, completionTokens: Int64.max) == Money(micros: Int64.max))
    }

    @Test func costOfNothingIsZero() {
        #expect(gpt4o.cost(promptTokens: 0, completionTokens: 0) == .zero)
    }

    @Test func costRoundsHalfUpToTheMicroDollar() {
        let half = ModelPrice(provider: "p", model: "m", input: dollars("0.5"), output: dollars("0.3"))
        #expect(half.cost(promptTokens: 1, completionTokens: 0) == Money(micros: 1))  // 0.5 → 1
        #expect(half.cost(promptTokens: 3, completionTokens: 0) == Money(micros: 2))  // 1.5 → 2
        #expect(half.cost(promptTokens: 0, completionTokens: 1) == Money(micros: 0))  // 0.3 → 0
        #expect(half.cost(promptTokens: 0, completionTokens: 2) == Money(micros: 1))  // 0.6 → 1
        #expect(half.cost(promptTokens: 1, completionTokens: 1) == Money(micros: 1))  // 0.8 → 1
        let tiny = ModelPrice(provider: "p", model: "m", input: Money(micros: 1), output: Money(micros: 1))
        #expect(tiny.cost(promptTokens: 499_999, completionTokens: 0) == .zero)  // 0.499999
        #expect(tiny.cost(promptTokens: 500_000, completionTokens: 0) == Money(micros: 1))  // 0.5
    }

    @Test func costRoundsTheTotalNotEachPart() {
        // Half a micro-dollar each for one uncached and one cached token: 1 micro in total, not 2.
        let price = ModelPrice(provider: "p", model: "m", input: dollars("0.5"), output: .zero, cachedInput: dollars("0.5"))
        #expect(price.cost(promptTokens: 2, completionTokens: 0, cachedPromptTokens: 1) == Money(micros: 1))
        let mixed = ModelPrice(provider: "p", model: "m", input: dollars("0.4"), output: dollars("0.1"), cachedInput: dollars("0.05"))
        // 0.4 + 0.05 + 0.1 = 0.55 → 1
        #expect(mixed.cost(promptTokens: 2, completionTokens: 1, cachedPromptTokens: 1) == Money(micros: 1))
    }

    @Test func costIsExactForLargeCounts() {
        let expensive = ModelPrice(provider: "openai", model: "gpt-4.5", input: dollars("75"), output: dollars("150"), cachedInput: dollars("37.5"))
        #expect(expensive.cost(promptTokens: 1_000_000_000, completionTokens: 1_000_000_000) == dollars("225000"))
        // 7 tokens at $0.028/M = 0.196 micros → 0
        let cheap = ModelPrice(provider: "deepseek", model: "deepseek-chat", input: dollars("0.28"), output: dollars("0.42"), cachedInput: dollars("0.028"))
        #expect(cheap.cost(promptTokens: 7, completionTokens: 0, cachedPromptTokens: 7) == .zero)
        // 123,457 prompt (100,000 cached) + 9,876 completion:
        // 23,457 × 0.28 + 100,000 × 0.028 + 9,876 × 0.42 = 6567.96 + 2800 + 4147.92 = 13515.88 → 13516 micros
        #expect(cheap.cost(promptTokens: 123_457, completionTokens: 9_876, cachedPromptTokens: 100_000) == Money(micros: 13_516))
    }

    @Test func cachedInputDefaultsToInput() {
        let price = ModelPrice(provider: "p", model: "m", input: dollars("2"), output: dollars("4"))
        #expect(price.cachedInput == dollars("2"))
        #expect(price.cost(promptTokens: 1000, completionTokens: 0, cachedPromptTokens: 1000) == price.cost(promptTokens: 1000, completionTokens: 0))
    }

    @Test func cachedTokensAreClampedToPromptTokens() {
        // More cached than prompt tokens: every prompt token is cached, nothing more.
        #expect(gpt4o.cost(promptTokens: 100, completionTokens: 0, cachedPromptTokens: 500) == gpt4o.cost(promptTokens: 100, completionTokens: 0, cachedPromptTokens: 100))
        #expect(gpt4o.cost(promptTokens: 100, completionTokens: 0, cachedPromptTokens: 500) == Money(micros: 125))
    }

    @Test func negativeCountsCountAsZero() {
        #expect(gpt4o.cost(promptTokens: -100, completionTokens: -5, cachedPromptTokens: -3) == .zero)
        #expect(gpt4o.cost(promptTokens: 100, completionTokens: 0, cachedPromptTokens: -50) == Money(micros: 250))
    }

    // MARK: Loading

    @Test func loadsStringAndNumberPrices() throws {
        let table = try table()
        #expect(table.prices.count == 7)
        let mini = try #require(table.price(provider: "openai", model: "gpt-4o-mini"))
        #expect(mini.input == dollars("0.15"))
        #expect(mini.output == dollars("0.6"))
        #expect(mini.cachedInput == dollars("0.075"))
        let claude = try #require(table.price(provider: "anthropic", model: "claude-sonnet-4-5"))
        #expect(claude.input == dollars("3"))
        #expect(claude.output == dollars("15"))
        #expect(claude.cachedInput == dollars("0.3"))
        #expect(claude.aliases == ["claude-sonnet-4.5"])
        #expect(claude.provider == "anthropic")
        let gemini = try #require(table.price(provider: nil, model: "gemini-2.5-pro"))
        #expect(gemini.cachedInput == gemini.input)
    }

    @Test func loadsAnEmptyTable() throws {
        let table = try table(#"{"models": []}"#)
        #expect(table.prices.isEmpty)
        #expect(table.price(provider: nil, model: "gpt-4o") == nil)
    }

    @Test func invalidJSONIsAnError() throws {
        let error = try #require(loadError("{models: []}"))
        #expect(error.file == "prices.json")
        #expect(error.message.hasPrefix("not valid JSON"))
        #expect(error.description.hasPrefix("prices.json: not valid JSON"))
        // The strict parser refuses duplicate keys.
        let duplicate = try #require(loadError(#"{"models": [], "models": []}"#))
        #expect(duplicate.message.contains("duplicate key"))
    }

    @Test func missingModelsListIsAnError() throws {
        #expect(try #require(loadError(#"{"prices": []}"#)).message == #"expected an object with a "models" list"#)
        #expect(try #require(loadError(#"[]"#)).message == #"expected an object with a "models" list"#)
        #expect(try #require(loadError(#"{"models": {}}"#)).message == #"expected an object with a "models" list"#)
    }

    @Test func entryErrorsNameTheEntryAndField() throws {
        let cases: [(String, String)] = [
            (#"[5]"#, "models[1]: must be an object"),
            (#"[{"provider": "p", "model": "m", "input": 1, "output": 1, "price": 2}]"#, "models[1].price: unknown field"),
            (#"[{"provider": "p", "model": "a", "input": 1, "output": 1}, {"model": "m", "input": 1, "output": 1}]"#, "models[2].provider: required string"),
            (#"[{"provider": "", "model": "m", "input": 1, "output": 1}]"#, "models[1].provider: required string"),
            (#"[{"provider": "p", "model": 4, "input": 1, "output": 1}]"#, "models[1].model: required string"),
            (#"[{"provider": "p", "model": "", "input": 1, "output": 1}]"#, "models[1].model: required string"),
            (#"[{"provider": "p", "model": "m", "output": 1}]"#, "models[1].input: required price"),
            (#"[{"provider": "p", "model": "m", "input": 1}]"#, "models[1].output: required price"),
            (#"[{"provider": "p", "model": "m", "input": 1, "output": "-1"}]"#, "models[1].output: must be a non-negative dollar amount"),
            (#"[{"provider": "p", "model": "m", "input": -0.5, "output": 1}]"#, "models[1].input: must be a non-negative dollar amount"),
            (#"[{"provider": "p", "model": "m", "input": "0.0000001", "output": 1}]"#, "models[1].input: must be a non-negative dollar amount"),
            (#"[{"provider": "p", "model": "m", "input": true, "output": 1}]"#, "models[1].input: must be a non-negative dollar amount"),
            (#"[{"provider": "p", "model": "m", "input": 1, "output": 1, "cachedInput": "cheap"}]"#, "models[1].cachedInput: must be a non-negative dollar amount"),
            (#"[{"provider": "p", "model": "m", "input": 1, "output": 1, "aliases": ["a", 1]}]"#, "models[1].aliases: must be strings"),
        ]
        for (models, message) in cases {
            let error = try #require(loadError(#"{"models": "# + models + "}", file: "custom.json"), "\(models)")
            #expect(error.message == message)
            #expect(error.file == "custom.json")
            #expect(error.description == "custom.json: " + message)
        }
    }

    @Test func errorWithoutFileIsJustTheMessage() throws {
        let error = try #require(loadError(#"{"models": [1]}"#, file: nil))
        #expect(error.file == nil)
        #expect(error.description == "models[1]: must be an object")
    }

    // MARK: Lookups

    @Test func exactNames() throws {
        let table = try table()
        #expect(table.price(provider: "openai", model: "gpt-4o")?.input == dollars("2.50"))
        #expect(table.price(provider: nil, model: "gpt-4o")?.model == "gpt-4o")
        #expect(table.price(provider: "deepseek", model: "deepseek-chat")?.output == dollars("0.42"))
    }

    @Test func datedOpenAINameFallsBackToTheBaseModel() throws {
        let table = try table()
        let price = try #require(table.price(provider: "openai", model: "gpt-4o-2024-08-06"))
        #expect(price.model == "gpt-4o")
        #expect(price.input == dollars("2.50"))
        #expect(table.price(provider: nil, model: "gpt-4o-mini-2024-07-18")?.model == "gpt-4o-mini")
    }

    @Test func listedDatedNameBeatsTheBaseModel() throws {
        let table = try table()
        let price = try #require(table.price(provider: "openai", model: "gpt-4o-2024-05-13"))
        #expect(price.model == "gpt-4o-2024-05-13")
        #expect(price.input == dollars("5"))
    }

    @Test func providerQualifiedName() throws {
        let table = try table()
        #expect(table.price(provider: nil, model: "anthropic/claude-sonnet-4-5")?.model == "claude-sonnet-4-5")
        #expect(table.price(provider: "anthropic", model: "anthropic/claude-sonnet-4-5")?.model == "claude-sonnet-4-5")
        #expect(table.price(provider: nil, model: "openai/gpt-4o-2024-08-06")?.model == "gpt-4o")
    }

    @Test func datedAnthropicName() throws {
        let table = try table()
        #expect(table.price(provider: "anthropic", model: "claude-sonnet-4-5-20250929")?.model == "claude-sonnet-4-5")
        #expect(table.price(provider: nil, model: "claude-sonnet-4-5-20250929")?.model == "claude-sonnet-4-5")
        #expect(table.price(provider: nil, model: "anthropic/claude-sonnet-4-5-20250929")?.model == "claude-sonnet-4-5")
    }

    @Test func otherVersionSuffixes() throws {
        let table = try table()
        #expect(table.price(provider: nil, model: "gemini-2.5-pro@001")?.model == "gemini-2.5-pro")
        #expect(table.price(provider: nil, model: "claude-sonnet-4-5@20250929")?.model == "claude-sonnet-4-5")
        // -latest is stripped; mistral-large is an alias of mistral-large-latest.
        #expect(table.price(provider: nil, model: "mistral-large-latest")?.model == "mistral-large-latest")
        #expect(table.price(provider: nil, model: "mistral-large")?.model == "mistral-large-latest")
        #expect(table.price(provider: nil, model: "mistral-large-2411")?.model == "mistral-large-latest")
        #expect(table.price(provider: nil, model: "gpt-4o-latest")?.model == "gpt-4o")
    }

    @Test func aliases() throws {
        let table = try table()
        #expect(table.price(provider: nil, model: "claude-sonnet-4.5")?.model == "claude-sonnet-4-5")
        #expect(table.price(provider: "anthropic", model: "claude-sonnet-4.5")?.model == "claude-sonnet-4-5")
    }

    @Test func lookupIgnoresCaseAndSurroundingSpaces() throws {
        let table = try table()
        #expect(table.price(provider: "OpenAI", model: "GPT-4o")?.model == "gpt-4o")
        #expect(table.price(provider: "ANTHROPIC", model: " Claude-Sonnet-4-5 ")?.model == "claude-sonnet-4-5")
    }

    @Test func emptyProviderMeansAnyProvider() throws {
        let table = try table()
        #expect(table.price(provider: "", model: "deepseek-chat")?.provider == "deepseek")
    }

    @Test func providerSynonyms() throws {
        let table = try table()
        #expect(table.price(provider: "google", model: "gemini-2.5-pro")?.model == "gemini-2.5-pro")
        #expect(table.price(provider: "vertex_ai", model: "gemini-2.5-pro@001")?.model == "gemini-2.5-pro")
        #expect(table.price(provider: "mistralai", model: "mistral-large-latest")?.model == "mistral-large-latest")
        #expect(table.price(provider: "azure", model: "gpt-4o")?.model == "gpt-4o")
    }

    @Test func wrongProviderFindsNothing() throws {
        let table = try table()
        #expect(table.price(provider: "openai", model: "claude-sonnet-4-5") == nil)
        #expect(table.price(provider: "anthropic", model: "gpt-4o-2024-08-06") == nil)
        #expect(table.price(provider: "deepseek", model: "gemini-2.5-pro") == nil)
    }

    @Test(arguments: ["gpt-5-turbo", "llama-3-70b", "", "gpt", "gpt-4", "claude-sonnet", "claude-sonnet-4", "gemini-2.5-pro-max", "o1-2024-12-17"])
    func unknownModelsAreNil(model: String) throws {
        #expect(try table().price(provider: nil, model: model) == nil)
    }

    // MARK: Building and merging

    @Test func laterEntryForTheSameModelReplacesTheEarlier() {
        let table = PriceTable(prices: [
            ModelPrice(provider: "openai", model: "gpt-4o", input: dollars("1"), output: dollars("1")),
            ModelPrice(provider: "OpenAI", model: "GPT-4o", input: dollars("2"), output: dollars("2")),
        ])
        #expect(table.prices.count == 1)
        #expect(table.price(provider: "openai", model: "gpt-4o")?.input == dollars("2"))
    }

    @Test func sameModelNameFromTwoProvidersAreSeparateEntries() {
        let table = PriceTable(prices: [
            ModelPrice(provider: "openai", model: "shared", input: dollars("1"), output: dollars("1")),
            ModelPrice(provider: "together", model: "shared", input: dollars("3"), output: dollars("3")),
        ])
        #expect(table.prices.count == 2)
        #expect(table.price(provider: "openai", model: "shared")?.input == dollars("1"))
        #expect(table.price(provider: "together", model: "shared")?.input == dollars("3"))
    }

    @Test func mergingOverridesReplacesAndAdds() throws {
        let base = try table()
        let overrides = try table("""
            {"models": [
              {"provider": "OpenAI", "model": "GPT-4o", "input": "2.00", "output": "8.00"},
              {"provider": "acme", "model": "acme-1", "input": "0.10", "output": "0.20", "aliases": ["acme-one"]}
            ]}
            """)
        let merged = base.merging(overrides)
        #expect(merged.prices.count == base.prices.count + 1)
        let gpt = try #require(merged.price(provider: "openai", model: "gpt-4o-2024-08-06"))
        #expect(gpt.input == dollars("2"))
        #expect(gpt.output == dollars("8"))
        #expect(gpt.cachedInput == dollars("2"))
        #expect(merged.price(provider: nil, model: "acme-one")?.model == "acme-1")
        // Entries not overridden are untouched.
        #expect(merged.price(provider: nil, model: "claude-sonnet-4-5") == base.price(provider: nil, model: "claude-sonnet-4-5"))
        // The base table is a value and does not change.
        #expect(base.price(provider: "openai", model: "gpt-4o")?.input == dollars("2.50"))
        #expect(base.price(provider: nil, model: "acme-1") == nil)
    }

    @Test func mergingAnEmptyTableChangesNothing() throws {
        let base = try table()
        let merged = base.merging(PriceTable(prices: []))
        #expect(merged.prices == base.prices)
    }

    // MARK: Built-in table

    /// A name in the form the table lists is looked up before its other forms are made; the answer
    /// is the one the full search gives, which a name with a leading space or capitals always takes.
    @Test func listedFormsFindWhatTheFullSearchFinds() throws {
        let table = try PriceTable.builtIn()
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededRandom(seed: seed)
        let providers: [String?] = [nil, "", "openai", "anthropic", "google", "mistral", "groq", "azure", "openrouter", "nobody"]
        var found = 0
        for round in 0..<4000 {
            let listed = random.pick(table.prices)
            var name = random.chance(0.3) ? random.pick(listed.aliases.isEmpty ? [listed.model] : listed.aliases) : listed.model
            if random.chance(0.2) { name = random.pick(["openai/", "anthropic/", "x/"]) + name }
            if random.chance(0.2) { name += random.pick(["-2025-01-31", "-20250131", "-0613", "-latest", "@2024", "-x"]) }
            let provider = random.chance(0.5) ? listed.provider : random.pick(providers)
            let fast = table.price(provider: provider, model: name)
            #expect(fast == table.price(provider: provider, model: " " + name), "seed \(seed), round \(round): \(provider ?? "nil")/\(name)")
            // Capitals are lowered again only where upper-casing is undone by lower-casing (ASCII).
            #expect(!name.utf8.allSatisfy { $0 < 0x80 } || fast == table.price(provider: provider, model: name.uppercased()), "seed \(seed), round \(round): \(provider ?? "nil")/\(name)")
            if fast != nil { found += 1 }
        }
        #expect(found > 2000, "seed \(seed): only \(found) names were found")
    }

    @Test func aDeferredTableIsBuiltOnceOnFirstUseAndAFailedBuildFailsEveryUse() throws {
        let builds = Mutex(0)
        let listed = gpt4o
        let deferred = DeferredPriceTable {
            builds.withLock { $0 += 1 }
            return PriceTable(prices: [listed])
        }
        #expect(builds.withLock { $0 } == 0)
        for _ in 0..<3 { #expect(try deferred.table().price(provider: "openai", model: "gpt-4o") == listed) }
        #expect(builds.withLock { $0 } == 1)

        struct Broken: Error {}
        let failing = DeferredPriceTable { builds.withLock { $0 += 1 }; throw Broken() }
        for _ in 0..<2 { #expect(throws: Broken.self) { try failing.table() } }
        #expect(builds.withLock { $0 } == 2)
    }

    @Test func builtInTableLoadsAndPricesGPT4o() throws {
        let table = try PriceTable.builtIn()
        let price = try #require(table.price(provider: "openai", model: "gpt-4o"))
        #expect(price.provider == "openai")
        #expect(price.input > .zero)
        #expect(price.output > .zero)
        #expect(price.cost(promptTokens: 1_000_000, completionTokens: 1_000_000) == price.input + price.output)
        #expect(table.price(provider: nil, model: "gpt-4o-2024-08-06") != nil)
        for model in ["claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest", "deepseek-chat"] {
            #expect(table.price(provider: nil, model: model) != nil, "\(model) missing from the built-in table")
        }
    }

    @Test("property: an entry replaces the earlier one of the same provider and model in any case, in its place; lookups find the last")
    func replacementKeepsPlaceAndLastWins() {
        var random = SeededRandom(seed: 0x9A1CE)
        for _ in 0..<300 {
            let entries = (0..<random.int(0...30)).map { index in
                ModelPrice(
                    provider: random.pick(["openai", "OpenAI", "anthropic"]), model: random.pick(["m1", "M1", "m2", "m3"]),
                    input: Money(micros: Int64(index)), output: .zero)
            }
            // The reference: a linear search, as a table of a handful of entries would do it.
            var expected: [ModelPrice] = []
            for entry in entries {
                if let existing = expected.firstIndex(where: { $0.provider.lowercased() == entry.provider.lowercased() && $0.model.lowercased() == entry.model.lowercased() }) {
                    expected[existing] = entry
                } else {
                    expected.append(entry)
                }
            }
            let table = PriceTable(prices: entries)
            #expect(table.prices == expected)
            for entry in expected {
                #expect(table.price(provider: entry.provider.uppercased(), model: entry.model) == entry)
            }
        }
    }
}
